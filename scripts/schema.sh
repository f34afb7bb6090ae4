#!/usr/bin/env bash
# Regenerates schema/<contract>.json from the message types in packages/types.
# With --check, fails when the committed schemas differ from the generated ones (CI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo run --quiet -p ballast-types --example schema
if [ "${1:-}" = "--check" ]; then
  if [ -n "$(git status --porcelain -- schema/)" ]; then
    echo "schema/ is stale: run scripts/schema.sh and commit the result" >&2
    git status --short -- schema/ >&2
    git --no-pager diff --stat -- schema/ >&2
    exit 1
  fi
  echo "schema/ is up to date"
fi
