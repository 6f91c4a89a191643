#!/usr/bin/env bash
# Packer itself on every image template: `packer fmt -check`, then `packer validate` with every
# variable combination docs/images.md documents (Ubuntu focal/jammy/noble x x86_64/arm64, Windows
# Server 2019/2022/2025, macOS x86_64/arm64). Packer and its Amazon plugin come from the Go module
# proxy at pinned versions and are built into .tools once.
#
# Why not `go install`: both modules' go.mod files hold `replace` directives, which `go install
# module@version` refuses, and the proxy here serves their exact versions but not their version
# lists, which `go install` asks for. So the pinned module is downloaded (its checksum compared with
# the one pinned below, since the checksum database has no entry for it here) and built in a copy
# of itself with its own go.mod and go.sum, which is what `go install` would have built.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/go-scratch.sh
source scripts/go-scratch.sh

packer_version=v1.14.3
packer_sum="h1:8Vd10c6rsxcVNfUjzTE4P6rh/LPCBGCMjeFgpV/pQrw="
# The version images/*/*.pkr.hcl require (required_plugins amazon).
plugin_version=v1.8.2
plugin_sum="h1:fNNWpbfky9+KY9+qZWgfTGjdDUOvVag8rC3gEUWkjOY="

# build_from_proxy NAME MODULE VERSION SUM: REPLY is the built binary.
build_from_proxy() {
  local name=$1 module=$2 version=$3 sum=$4
  local out="$PWD/.tools/$name-$version/$name"
  if [ ! -x "$out" ]; then
    echo "== building $name from $module@$version (Go module proxy)"
    local json got dir src
    go_scratch
    json=$(GOFLAGS=-mod=mod GONOSUMDB="$module" go mod download -json "$module@$version")
    got=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    if [ "$got" != "$sum" ]; then
      echo "$module@$version: checksum $got, expected $sum" >&2
      exit 1
    fi
    src=$(mktemp -d)
    cp -R "$dir/." "$src"
    chmod -R u+w "$src"
    (cd "$src" && go build -trimpath -o "$out" .)
    rm -rf "$src"
  fi
  REPLY=$out
}

build_from_proxy packer github.com/hashicorp/packer "$packer_version" "$packer_sum"
packer=$REPLY
build_from_proxy packer-plugin-amazon github.com/hashicorp/packer-plugin-amazon "$plugin_version" "$plugin_sum"
plugin=$REPLY
go_scratch_remove

export CHECKPOINT_DISABLE=1 PACKER_PLUGIN_PATH="$PWD/.tools/packer-plugins"
# `packer init` cannot download: register the built plugin the way Packer documents for local
# builds; it then satisfies required_plugins (version = "${plugin_version#v}").
"$packer" plugins install --path "$plugin" github.com/hashicorp/amazon >/dev/null

echo "== packer $("$packer" version | head -n 1): fmt -check and validate on every image template"
for dir in images/linux images/windows images/macos; do
  "$packer" fmt -check -diff "$dir"
done

# The templates upload the agent-stack binary; validate needs a file there, not a real build.
binary=$(mktemp)
trap 'rm -f "$binary"' EXIT
common=(-var region=us-east-1 -var stack_version=0.0.0-ci -var "agent_stack_binary=$binary")
checked=0
validate() {
  if ! out=$("$packer" validate "$@" 2>&1); then
    echo "packer validate $*:" >&2
    echo "$out" >&2
    exit 1
  fi
  checked=$((checked + 1))
}
for name in focal jammy noble; do
  for arch in x86_64 arm64; do
    validate "${common[@]}" -var "ubuntu_name=$name" -var "arch=$arch" images/linux
  done
done
for version in 2019 2022 2025; do
  validate "${common[@]}" -var "windows_version=$version" images/windows
done
for arch in x86_64 arm64; do
  validate "${common[@]}" -var "arch=$arch" images/macos
done
echo "packer: $checked passed, 0 failed"
