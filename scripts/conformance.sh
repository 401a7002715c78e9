#!/usr/bin/env bash
# Parses every real capture in DIR with the built-in profiles, through the collector's own code path
# (apply_probe_to), and compares what comes out with the hand-checked facts in tests/conformance/.
# DIR defaults to ../shared/device-outputs beside the repository. Fails when any case fails or DIR is
# missing; prints one line per case, each profile's pass count, and the captures no built-in probe reads.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$repo/../shared/device-outputs}"
if [ ! -d "$dir" ]; then
  echo "conformance: captures directory $dir is missing" >&2
  exit 1
fi
dir="$(cd "$dir" && pwd)"
cd "$repo"
exec cargo test --locked --test conformance -- --captures "$dir"
