#!/usr/bin/env bash
# The cost of reading each device's SSH algorithm offer over its second, unauthenticated connection: the same
# lab fleet audited with `read_ssh_offer = true` (the default) and `false`, BENCH_ROUNDS rounds alternating
# which goes first; prints the median seconds and devices per second both ways, and the per-device cost.
#
# Environment: BENCH_DEVICES (default 100), BENCH_CONCURRENCY (16), BENCH_ROUNDS (3), NETATTEST_BIN (a built
# binary; default: build the release binary here).
set -euo pipefail
DEVICES=${BENCH_DEVICES:-100}
CONC=${BENCH_CONCURRENCY:-16}
ROUNDS=${BENCH_ROUNDS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${NETATTEST_BIN:-} ]]; then
    (cd "$ROOT" && cargo build --release -q --bin netattest)
    NETATTEST_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/netattest
fi
BIN=$NETATTEST_BIN
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netattest-offer-bench.XXXXXX")
LAB_PID=
cleanup() { [[ -n $LAB_PID ]] && kill "$LAB_PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$BIN" lab --devices "$DEVICES" --image-size 256KiB --dir "$TMP/lab" --quiet >"$TMP/lab.log" 2>&1 &
LAB_PID=$!
for _ in $(seq 100); do [[ -f $TMP/lab/netattest.toml ]] && break; sleep 0.2; done
CFG=$TMP/lab/netattest.toml
"$BIN" --config "$CFG" init >/dev/null
for i in $(seq -f "%02g" 1 "$DEVICES"); do
    "$BIN" --config "$CFG" --quiet enroll "lab-$i" --format json >/dev/null || { echo "enroll lab-$i failed" >&2; exit 1; }
done
sed 's/^\[defaults\]$/[defaults]\nread_ssh_offer = false/' "$CFG" >"$TMP/lab/no-offer.toml"

run() { # config -> seconds
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN" --config "$1" --quiet audit --pull never --concurrency "$CONC" --format json >"$TMP/out.json" || { echo "audit failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
with=() without=()
for r in $(seq "$ROUNDS"); do
    if (( r % 2 )); then with+=("$(run "$CFG")"); without+=("$(run "$TMP/lab/no-offer.toml")")
    else without+=("$(run "$TMP/lab/no-offer.toml")"); with+=("$(run "$CFG")"); fi
done
python3 - "$DEVICES" "${with[*]}" "${without[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
a = statistics.median(map(float, sys.argv[2].split()))
b = statistics.median(map(float, sys.argv[3].split()))
print("| read_ssh_offer | audit of %d devices, median s | devices/s |" % n)
print("|---|---|---|")
print("| true (default) | %.2f | %.1f |" % (a, n / a))
print("| false | %.2f | %.1f |" % (b, n / b))
print("\nper device: %.1f ms of wall time for the offer connection (%.2fx)" % ((a - b) / n * 1000, a / b))
PY
