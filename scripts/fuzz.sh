#!/usr/bin/env bash
# Smoke-fuzzes every parser: builds the fuzz crate (fuzz/) and runs each target for FUZZ_SECONDS (default
# 20) from the committed corpus, with the limits the parsers must hold to: no crash, no input over 1 s,
# no more than 256 MiB. Exits non-zero on any finding; the input that found it is in
# fuzz/artifacts/<target>/. New corpus entries go to a temporary directory, so the checkout stays clean.
#
#   scripts/fuzz.sh                  every target, 20 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh probe listing
#
# cargo-fuzz is installed when missing. It needs nightly flags, which the stable toolchain accepts with
# RUSTC_BOOTSTRAP=1 (set here). Targets are built without a sanitizer (the crate forbids unsafe code) but
# with debug assertions and overflow checks.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

cargo fuzz build -s none

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
total=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "$work/$t"
  log="$work/$t.log"
  if cargo fuzz run -s none "$t" "$work/$t" "corpus/$t" -- \
    -timeout=1 -rss_limit_mb=256 -max_len=65536 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    total=$((total + ${runs:-0}))
    echo "$t: ok, ${runs:-?} executions"
  else
    echo "$t: FAILED (input in fuzz/artifacts/$t/)" >&2
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -20 >&2 || tail -20 "$log" >&2
    failed+=("$t")
  fi
done
echo "total: $total executions over ${#targets[@]} targets"
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings in: ${failed[*]}" >&2
  exit 1
fi
