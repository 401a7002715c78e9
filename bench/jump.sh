#!/usr/bin/env bash
# Audit throughput through a jump host: the same lab fleet audited directly and through one real OpenSSH sshd
# bastion, devices per second both ways, and the bastion's logins per audit.
#
# Starts `netattest lab` (BENCH_DEVICES devices, BENCH_IMAGE image each) and a throwaway sshd on a free
# 127.0.0.1 port (own host key, own client key, AllowTcpForwarding yes, LogLevel VERBOSE), enrolls every
# device (the first through the bastion, which pins its key, the rest directly, BENCH_ENROLL_JOBS at once),
# then runs BENCH_ROUNDS rounds of `audit` both ways, alternating which goes first. Every audit must end with
# every device verified. Prints medians as a markdown table.
#
# Environment: BENCH_DEVICES (default 500), BENCH_CONCURRENCY (default 16), BENCH_ROUNDS (default 3),
# BENCH_IMAGE (default 256KiB), BENCH_ENROLL_JOBS (default 8). Needs openssh-server, ssh-keygen, python3.
set -euo pipefail

DEVICES=${BENCH_DEVICES:-500}
CONC=${BENCH_CONCURRENCY:-16}
ROUNDS=${BENCH_ROUNDS:-3}
IMAGE=${BENCH_IMAGE:-256KiB}
JOBS=${BENCH_ENROLL_JOBS:-8}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SSHD=/usr/sbin/sshd

die() { echo "jump.sh: $*" >&2; exit 1; }
[[ -x $SSHD ]] || die "$SSHD is missing (apt-get install -y openssh-server)"
for tool in ssh-keygen cargo python3; do command -v "$tool" >/dev/null || die "$tool is missing"; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netattest-jump-bench.XXXXXX")
SSHD_PID= LAB_PID=
cleanup() {
    for pid in $LAB_PID $SSHD_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

echo "building netattest (release)" >&2
(cd "$ROOT" && cargo build --release -q --bin netattest)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/netattest

# The bastion.
mkdir -p /run/sshd 2>/dev/null || true
ssh-keygen -q -t ed25519 -N "" -f "$TMP/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$TMP/client_key"
cp "$TMP/client_key.pub" "$TMP/authorized_keys"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/sshd_config" <<EOF
ListenAddress 127.0.0.1:$PORT
HostKey $TMP/host_key
PidFile none
AuthorizedKeysFile $TMP/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
AllowTcpForwarding yes
LogLevel VERBOSE
EOF
"$SSHD" -D -e -f "$TMP/sshd_config" 2>"$TMP/sshd.log" &
SSHD_PID=$!

# The lab.
"$BIN" lab --devices "$DEVICES" --image-size "$IMAGE" --dir "$TMP/lab" >"$TMP/lab.out" 2>&1 &
LAB_PID=$!
for _ in $(seq 1 200); do
    grep -q "lab running" "$TMP/lab.out" 2>/dev/null && break
    kill -0 "$LAB_PID" 2>/dev/null || die "the lab did not start: $(cat "$TMP/lab.out")"
    sleep 0.1
done
grep -q "lab running" "$TMP/lab.out" || die "the lab did not start in time"

DIRECT=$TMP/lab/netattest.toml
JUMPED=$TMP/lab/jumped.toml
{
    cat "$DIRECT"
    printf 'jump = ["bastion"]\n[[jump]]\nname = "bastion"\nhost = "127.0.0.1"\nport = %s\nuser = "%s"\nauth = { key_file = "%s" }\n' \
        "$PORT" "$(id -un)" "$TMP/client_key"
} >"$JUMPED"
"$BIN" --config "$DIRECT" init >/dev/null

mapfile -t NAMES < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$TMP/lab/inventory.toml")
echo "enrolling ${#NAMES[@]} devices" >&2
# Exit code 1 only says some device has a low finding; `baseline list` says whether all were enrolled.
"$BIN" --config "$JUMPED" --quiet enroll "${NAMES[0]}" >/dev/null || true
printf '%s\n' "${NAMES[@]:1}" | xargs -P "$JOBS" -I{} "$BIN" --config "$DIRECT" --quiet enroll {} >/dev/null 2>&1 || true
# Enrollments at once contend for the state directory's writer lock: the ones refused go again, one by one.
mapfile -t DONE < <("$BIN" --config "$DIRECT" baseline list | awk '{print $1}')
for n in "${NAMES[@]}"; do
    [[ " ${DONE[*]} " == *" $n "* ]] || "$BIN" --config "$DIRECT" --quiet enroll "$n" >/dev/null || true
done
ENROLLED=$("$BIN" --config "$DIRECT" baseline list | grep -c '^lab-' || true)
[[ $ENROLLED -eq $DEVICES ]] || die "only $ENROLLED of $DEVICES devices enrolled"

logins() { grep -c "Accepted publickey" "$TMP/sshd.log" || true; }

# One audit: prints seconds; fails unless every device is verified.
audit() {
    local config=$1 out=$TMP/report.json start end
    start=$(date +%s.%N)
    "$BIN" --config "$config" --quiet audit --concurrency "$CONC" --format json --output "$out" || true
    end=$(date +%s.%N)
    python3 - "$out" "$DEVICES" <<'EOF' || die "not every device verified"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [(d["device"], d["outcome"], d.get("detail")) for d in r["devices"] if d["outcome"] != "verified"]
if bad or len(r["devices"]) != int(sys.argv[2]):
    print(bad[:5], file=sys.stderr); sys.exit(1)
EOF
    python3 -c "print($end - $start)"
}

DIRECT_T=() JUMP_T=() JUMP_LOGINS=()
for round in $(seq 1 "$ROUNDS"); do
    order=(direct jump)
    (( round % 2 == 0 )) && order=(jump direct)
    for way in "${order[@]}"; do
        if [[ $way == direct ]]; then
            DIRECT_T+=("$(audit "$DIRECT")")
        else
            before=$(logins)
            JUMP_T+=("$(audit "$JUMPED")")
            JUMP_LOGINS+=("$(( $(logins) - before ))")
        fi
    done
    echo "round $round: direct ${DIRECT_T[-1]}s, jump ${JUMP_T[-1]}s, bastion logins ${JUMP_LOGINS[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
MD=$(median "${DIRECT_T[@]}") MJ=$(median "${JUMP_T[@]}")
echo
echo "$DEVICES lab devices, image $IMAGE, pull always, concurrency $CONC, $ROUNDS rounds (medians)"
echo
echo "| audit | seconds | devices/s | bastion logins per audit |"
echo "|---|---|---|---|"
python3 -c "print(f'| direct | {$MD:.2f} | {$DEVICES/$MD:.1f} | 0 |')"
python3 -c "print(f'| through one sshd bastion | {$MJ:.2f} | {$DEVICES/$MJ:.1f} | $(median "${JUMP_LOGINS[@]}") |')"
