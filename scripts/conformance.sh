#!/usr/bin/env bash
# Parses every real capture in DIR (default ../shared/device-outputs) with the built-in profiles, through the
# collector's own code path, and compares what comes out with the hand-checked facts in tests/conformance/.
# Fails when any case fails or DIR is missing; prints each profile's pass count.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-../shared/device-outputs}"
if [ ! -d "$dir" ]; then
  echo "conformance: captures directory $dir is missing" >&2
  exit 1
fi
dir="$(cd "$dir" && pwd)"
exec cargo test --locked --test conformance -- --captures "$dir"
