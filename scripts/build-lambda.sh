#!/usr/bin/env bash
# Builds the agent-stack Lambda for the provided.al2023 runtime and packages it as
# target/lambda/<arch>/bootstrap.zip (a zip with one executable named `bootstrap`).
#
# Preferred: a static musl binary (needs `rustup target add <arch>-unknown-linux-musl` and a musl C
# compiler: Debian's musl-tools for x86_64, or gcc-aarch64-linux-gnu for arm64).
# Fallback when the musl target cannot be installed: cargo-zigbuild against glibc 2.34 (the
# version on Amazon Linux 2023), with zig from PyPI (`pip install ziglang`).
#
# Usage: scripts/build-lambda.sh [x86_64|arm64]
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-x86_64}
case "$arch" in
  x86_64) rust_arch=x86_64 ;;
  arm64) rust_arch=aarch64 ;;
  *) echo "usage: $0 [x86_64|arm64]" >&2; exit 2 ;;
esac
musl="$rust_arch-unknown-linux-musl"
out=target/lambda/$arch
mkdir -p "$out"

have_musl_target() { rustup target list --installed 2>/dev/null | grep -qx "$musl"; }

if have_musl_target || rustup target add "$musl" >/dev/null 2>&1; then
  if [ "$rust_arch" = x86_64 ]; then
    command -v musl-gcc >/dev/null || { echo "musl-gcc missing: apt-get install musl-tools" >&2; exit 1; }
    export CC_x86_64_unknown_linux_musl=musl-gcc
  else
    command -v aarch64-linux-gnu-gcc >/dev/null || { echo "aarch64-linux-gnu-gcc missing: apt-get install gcc-aarch64-linux-gnu" >&2; exit 1; }
    export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc
  fi
  cargo build --release --locked -p agent-stack-lambda --target "$musl"
  bin="target/$musl/release/bootstrap"
else
  echo "musl target unavailable; building against glibc 2.34 with cargo-zigbuild" >&2
  command -v python-zig >/dev/null || python3 -m pip install --quiet ziglang
  command -v cargo-zigbuild >/dev/null || cargo install --locked cargo-zigbuild
  gnu="$rust_arch-unknown-linux-gnu"
  rustup target add "$gnu" >/dev/null 2>&1 || true
  cargo zigbuild --release --locked -p agent-stack-lambda --target "$gnu.2.34"
  bin="target/$gnu/release/bootstrap"
fi

cp "$bin" "$out/bootstrap"
rm -f "$out/bootstrap.zip"
# A deterministic zip (fixed timestamp, executable bit) so the artifact's content hash is stable.
python3 - "$out/bootstrap" "$out/bootstrap.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, f.read())
PY
ls -l "$out/bootstrap.zip"
