# shellcheck shell=bash
# Sourced by the scripts that build Go tools into .tools (test.sh, packer-check.sh).
# `go_scratch` points Go's module and build caches at a directory of their own under .tools, and
# `go_scratch_remove` deletes it once the tools are built: the binaries stay, while the caches
# (3.7 GB on a fresh machine, mostly Packer and its plugin) do not fill the disk that the Rust
# tests build on next, and the user's own Go caches are left alone.

go_scratch() {
  if [ -n "${go_scratch_dir:-}" ]; then return; fi
  mkdir -p .tools
  go_scratch_dir=$(mktemp -d "$PWD/.tools/go-scratch.XXXXXX")
  export GOCACHE="$go_scratch_dir/build" GOMODCACHE="$go_scratch_dir/mod"
  trap go_scratch_remove EXIT
}

go_scratch_remove() {
  if [ -z "${go_scratch_dir:-}" ]; then return; fi
  # The module cache is read-only by design.
  chmod -R u+w "$go_scratch_dir" 2>/dev/null || true
  rm -rf "$go_scratch_dir"
  go_scratch_dir=""
  unset GOCACHE GOMODCACHE
}
