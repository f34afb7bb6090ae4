#!/usr/bin/env bash
# Builds Ballast's contracts to wasm that cosmwasm-vm 3.0.x (what chains run) accepts, optimizes
# them, and checks them as a chain's upload would. See ../shared/design/WASM.md for why the build
# needs Debian's rustc-web with -Zbuild-std (no bulk-memory opcodes) and --allow-undefined.
#
# Usage: scripts/build-wasm.sh [package ...]
#   default: every package under contracts/*/ ; name packages (e.g. ballast-oracle) to build
#   only those (a crate without entry points fails cosmwasm-check, so leave it out).
# Output: artifacts/<crate>.wasm (wasm-opt -Oz --mvp-features), artifacts/checksums.txt.
# Fails when a build fails, cosmwasm-check refuses an artifact, or an artifact reaches its size
# budget: 400 KiB (half of wasmd's 800 KiB upload limit) for every contract but the market, whose
# budget is 560 KiB (70% of the limit) until it is split; docs/GAS.md ("Size") says why.
#
# Installs nothing. Missing tools are named with the line that installs them
# (scripts/ci-wasm.sh runs those lines on a fresh machine).
# Environment: WASM_CAPABILITIES (default "iterator": the contracts enable no cosmwasm_*
#   capability feature, so a chain needs to offer nothing more), MAX_WASM_BYTES (overrides every
#   contract's budget).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_LINE="apt-get update && apt-get install -y --no-install-recommends rustc-web cargo-web rust-web-src rust-web-llvm lld-22 binaryen"
CHECK_LINE="cargo install cosmwasm-check --version 3.0.10 --locked"
CAPABILITIES="${WASM_CAPABILITIES:-iterator}"
# Size budget of a contract's optimized artifact, in bytes.
budget_of() {
  if [ -n "${MAX_WASM_BYTES:-}" ]; then echo "$MAX_WASM_BYTES"; return; fi
  case "$1" in
    ballast_market) echo 573440 ;;   # 560 KiB: see docs/GAS.md, "Size"
    *) echo 409600 ;;                # 400 KiB
  esac
}

DEB_CARGO=/usr/bin/cargo          # from cargo-web
DEB_RUSTC=/usr/bin/rustc          # from rustc-web (sysroot /usr)
WASM_OPT=/usr/bin/wasm-opt        # from binaryen
STD_SRC=/usr/lib/rustlib/src/rust/library   # from rust-web-src

missing=0
for f in "$DEB_CARGO" "$DEB_RUSTC" "$WASM_OPT" "$STD_SRC/std/Cargo.toml" /usr/bin/rust-lld; do
  if [ ! -e "$f" ]; then echo "build-wasm: missing $f" >&2; missing=1; fi
done
if [ "$missing" = 1 ]; then
  echo "build-wasm: install the wasm toolchain (as root, about 20 s, 1 GB):" >&2
  echo "  $APT_LINE" >&2
  exit 2
fi
if ! command -v cosmwasm-check >/dev/null 2>&1; then
  echo "build-wasm: cosmwasm-check is missing; install it (about 5.5 min on 2 cores):" >&2
  echo "  $CHECK_LINE" >&2
  exit 2
fi

# Keep rustup out of the way: it must not pick the compiler.
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_BUILD_TARGET CARGO_ENCODED_RUSTFLAGS
export RUSTC="$DEB_RUSTC"
export RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1          # lets the stable Debian cargo accept -Zbuild-std
# target-cpu=mvp: no post-MVP opcodes in our code and, with build-std, in std either.
# --allow-undefined: rustc >= 1.96 no longer passes it; cosmwasm-std's host imports need it.
# --remap-path-prefix: checksums independent of where the repo and CARGO_HOME are.
# panic=immediate-abort: a contract must never panic (no user input may panic it), so it needs
#   no panic message formatting; this drops it from every contract (about 50 KB from the market).
export RUSTFLAGS="-C target-cpu=mvp -C link-arg=--allow-undefined -Zunstable-options -C panic=immediate-abort \
--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo --remap-path-prefix=$ROOT=/src"
export CARGO_TARGET_DIR="$ROOT/target/wasm-debian"   # one wasm target dir for all contracts

if [ "$#" -gt 0 ]; then
  pkgs=("$@")
else
  pkgs=()
  for m in contracts/*/Cargo.toml; do
    [ -e "$m" ] || continue
    name="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$m" | head -1)"
    [ -n "$name" ] && pkgs+=("$name")
  done
fi
[ "${#pkgs[@]}" -gt 0 ] || { echo "build-wasm: no packages given and none found under contracts/*" >&2; exit 2; }

mkdir -p artifacts
built=()
for p in "${pkgs[@]}"; do
  echo "== $p"
  # One package per cargo invocation, as cosmwasm/optimizer does: no feature unification
  # between contracts.
  "$DEB_CARGO" build --profile wasm --lib --locked -p "$p" \
      --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
  crate="${p//-/_}"
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/$crate.wasm"
  [ -f "$raw" ] || { echo "build-wasm: $p produced no $raw (is its crate-type cdylib?)" >&2; exit 1; }
  # --mvp-features: wasm-opt must not add post-MVP opcodes of its own.
  # -ocimfs=50: a function with one caller is inlined into it only when small. Unbounded, the
  #   market's handlers merged into functions with over 100 locals, which cosmwasm-vm refuses
  #   at upload ("more than 100 locals"); bounded, no function has more than 74, and the four
  #   contracts move by -1.6 to +1.5 KB (docs/GAS.md, Size).
  "$WASM_OPT" -Oz --mvp-features -ocimfs=50 "$raw" -o "artifacts/$crate.wasm"
  built+=("artifacts/$crate.wasm")
done

(cd artifacts && sha256sum -- *.wasm > checksums.txt)

echo
echo "== sizes (budget per contract; wasmd's upload limit is 819200 bytes)"
too_big=0
for f in "${built[@]}"; do
  crate="$(basename "$f" .wasm)"
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/$crate.wasm"
  size="$(stat -c%s "$f")"
  budget="$(budget_of "$crate")"
  printf '%-28s raw %8d B  optimized %8d B (%d KiB)  budget %d B\n' "$crate.wasm" "$(stat -c%s "$raw")" "$size" $((size / 1024)) "$budget"
  if [ "$size" -ge "$budget" ]; then
    echo "build-wasm: $f is $size bytes, at or over its budget of $budget" >&2
    too_big=1
  fi
done

echo
echo "== cosmwasm-check $(cosmwasm-check --version 2>/dev/null | head -1) (available capabilities: $CAPABILITIES)"
cosmwasm-check --available-capabilities "$CAPABILITIES" "${built[@]}"

[ "$too_big" = 0 ] || exit 1
echo
echo "artifacts: ${built[*]} (checksums in artifacts/checksums.txt)"
