#!/usr/bin/env bash
# CI's wasm step (called by .ci/run): installs what a fresh machine lacks, builds and checks the
# contracts (scripts/build-wasm.sh), then runs the gas harness in check mode against the
# committed docs/GAS.md.
#
# Installs, only when missing: Debian's wasm toolchain (apt, about 20 s) and cosmwasm-check
# 3.0.10 (cargo install, about 5.5 min on 2 cores).
# Which contracts: the arguments, else $WASM_PACKAGES (space-separated package names), else
# every contract under contracts/ (build-wasm.sh's default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 binaryen)
COSMWASM_CHECK_VERSION=3.0.10

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else echo "ci-wasm: need root for: $*" >&2; return 1
  fi
}

step "wasm toolchain"
need_apt=0
for f in /usr/bin/cargo /usr/bin/rustc /usr/bin/wasm-opt /usr/bin/rust-lld \
         /usr/lib/rustlib/src/rust/library/std/Cargo.toml; do
  [ -e "$f" ] || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  echo "installing: ${APT_PACKAGES[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
else
  echo "present: ${APT_PACKAGES[*]}"
fi

step "cosmwasm-check"
have="$(cosmwasm-check --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)"
if [ "$have" != "$COSMWASM_CHECK_VERSION" ]; then
  echo "installing cosmwasm-check $COSMWASM_CHECK_VERSION (found: ${have:-none})"
  cargo install cosmwasm-check --version "$COSMWASM_CHECK_VERSION" --locked
else
  echo "present: cosmwasm-check $have"
fi

step "build, size limit, cosmwasm-check"
if [ "$#" -eq 0 ] && [ -n "${WASM_PACKAGES:-}" ]; then
  # shellcheck disable=SC2086  # a space-separated list by design
  set -- $WASM_PACKAGES
fi
scripts/build-wasm.sh "$@"

step "gas check (against docs/GAS.md)"
cargo run -p ballast-gas --release --locked -- --check
