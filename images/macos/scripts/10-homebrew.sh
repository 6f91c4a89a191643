#!/bin/bash
# Command-line tools CI jobs commonly expect, from the Homebrew that Amazon's image ships.
set -euo pipefail

for brew in /opt/homebrew/bin/brew /usr/local/bin/brew; do
  if [ -x "$brew" ]; then
    eval "$("$brew" shellenv)"
    break
  fi
done
command -v brew >/dev/null || { echo "Homebrew not found" >&2; exit 1; }

export HOMEBREW_NO_AUTO_UPDATE=1 HOMEBREW_NO_INSTALL_CLEANUP=1 HOMEBREW_NO_ANALYTICS=1
brew update
brew install coreutils jq
brew cleanup
