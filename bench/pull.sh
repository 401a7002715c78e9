#!/usr/bin/env bash
# Pull-and-hash throughput: netattest's SSH client against OpenSSH's own `ssh HOST cat FILE | sha512sum`.
#
# Starts a throwaway OpenSSH sshd on a free 127.0.0.1 port (own host key, own client key, temp dir, the
# same settings as the sshd end-to-end tests), writes a random file, builds examples/pull_bench in release,
# then runs BENCH_ROUNDS rounds of four methods, rotating their order each round:
#   (a) ssh cat | sha512sum               OpenSSH client, default cipher
#   (b) ssh -c aes128-gcm cat | sha512sum  the fastest OpenSSH pipeline
#   (c) netattest sftp                     russh-sftp, hashed as it streams
#   (d) netattest cat                      russh exec `cat`, hashed as it streams
# Every run's SHA-512 must equal the file's. Prints medians of wall time (process start to exit, connection
# set-up included for all four), ratios to (a) and (b), and netattest's peak RSS, as a markdown table.
#
# Environment: BENCH_SIZE_MB (default 1024), BENCH_ROUNDS (default 5). Needs openssh-server and
# openssh-client; installs GNU time with apt-get when /usr/bin/time is missing. Run as any user that
# sshd can log in (root works: the privilege-separation dir /run/sshd is created when missing).
set -euo pipefail

SIZE_MB=${BENCH_SIZE_MB:-1024}
ROUNDS=${BENCH_ROUNDS:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SSHD=/usr/sbin/sshd

die() { echo "pull.sh: $*" >&2; exit 1; }

[[ -x $SSHD ]] || die "$SSHD is missing (apt-get install -y openssh-server)"
for tool in ssh ssh-keygen sha512sum cargo awk sort; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
if [[ ! -x /usr/bin/time ]]; then
    echo "installing GNU time for peak-RSS measurement" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q time >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
    else sudo apt-get install -y -q time >/dev/null; fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/netattest-pull-bench.XXXXXX")
SSHD_PID=
cleanup() {
    if [[ -n $SSHD_PID ]]; then kill "$SSHD_PID" 2>/dev/null || true; wait "$SSHD_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# --- sshd -------------------------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$TMP/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$TMP/client_ed25519"
cp "$TMP/client_ed25519.pub" "$TMP/authorized_keys"
[[ -d /run/sshd ]] || mkdir -p /run/sshd 2>/dev/null || true
USER_NAME=$(id -un)

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_sshd() {
    local port=$1
    cat >"$TMP/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $TMP/host_ed25519
PidFile none
AuthorizedKeysFile $TMP/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
    "$SSHD" -D -e -f "$TMP/sshd_config" 2>>"$TMP/sshd.log" &
    SSHD_PID=$!
    for _ in $(seq 100); do
        kill -0 "$SSHD_PID" 2>/dev/null || { wait "$SSHD_PID" 2>/dev/null || true; SSHD_PID=; return 1; }
        port_accepts "$port" && return 0
        sleep 0.05
    done
    kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true; SSHD_PID=
    return 1
}

PORT=
for _ in 1 2 3 4 5; do
    candidate=$((20000 + RANDOM % 40000))
    port_accepts "$candidate" && continue # taken
    if start_sshd "$candidate"; then PORT=$candidate; break; fi
done
[[ -n $PORT ]] || die "sshd did not start: $(cat "$TMP/sshd.log")"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1-2 "$TMP/host_ed25519.pub")" >"$TMP/known_hosts"
FINGERPRINT=$(ssh-keygen -lf "$TMP/host_ed25519.pub" | awk '{print $2}')

SSH=(ssh -F /dev/null -p "$PORT" -i "$TMP/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
     -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$TMP/known_hosts" -o LogLevel=ERROR
     -l "$USER_NAME")

# --- the file, the binary -----------------------------------------------------------------------------
FILE="$TMP/image.bin"
echo "writing a ${SIZE_MB} MiB random file" >&2
head -c $((SIZE_MB * 1048576)) /dev/urandom >"$FILE"
EXPECTED=$(sha512sum "$FILE" | awk '{print $1}') # also leaves the file in the page cache

echo "building examples/pull_bench (release)" >&2
(cd "$ROOT" && cargo build --quiet --release --example pull_bench)
BENCH_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/pull_bench"
[[ -x $BENCH_BIN ]] || die "no $BENCH_BIN after the build"

# --- runs ---------------------------------------------------------------------------------------------
now() { date +%s.%N; }

# Runs method $1, appends its wall time to $TMP/$1.times (and peak RSS to $TMP/$1.rss for netattest).
run_method() {
    local m=$1 t0 t1 out hash
    t0=$(now)
    case $m in
        a) out=$("${SSH[@]}" 127.0.0.1 cat -- "$FILE" | sha512sum) ;;
        b) out=$("${SSH[@]}" -c aes128-gcm@openssh.com 127.0.0.1 cat -- "$FILE" | sha512sum) ;;
        c | d)
            local how=sftp
            [[ $m == d ]] && how=cat
            out=$(/usr/bin/time -f %M -o "$TMP/rss.out" "$BENCH_BIN" 127.0.0.1 "$PORT" "$USER_NAME" \
                "$TMP/client_ed25519" "$FILE" "$how" --expect "$FINGERPRINT")
            [[ $out == "$how "* ]] || die "($m) pulled by something else: $out"
            ;;
    esac
    t1=$(now)
    case $m in
        a | b) hash=$(awk '{print $1}' <<<"$out") ;;
        c | d) hash=$(awk '{print $3}' <<<"$out"); tail -n1 "$TMP/rss.out" >>"$TMP/$m.rss" ;;
    esac
    [[ $hash == "$EXPECTED" ]] || die "($m) hash mismatch: $hash"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$TMP/$m.times"
    printf '  %s %ss\n' "$m" "$(tail -n1 "$TMP/$m.times")" >&2
}

# Session set-up cost (connect, auth, the login shell's start-up): part of (a), (b) and (d), not of (c).
for _ in 1 2 3; do
    t0=$(now); "${SSH[@]}" 127.0.0.1 true; t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$TMP/setup.times"
done

METHODS=(a b c d)
for ((r = 0; r < ROUNDS; r++)); do
    echo "round $((r + 1))/$ROUNDS" >&2
    for ((i = 0; i < 4; i++)); do
        run_method "${METHODS[$(((r + i) % 4))]}"
    done
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { sort -g "$1" | tail -n1; }

A=$(median "$TMP/a.times")
B=$(median "$TMP/b.times")
GIB=$(awk -v mb="$SIZE_MB" 'BEGIN { print mb / 1024 }')
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'; }
per_gib() { awk -v x="$1" -v g="$GIB" 'BEGIN { printf "%.2f", x / g }'; }
rss_mib() { awk -v k="$(max "$1")" 'BEGIN { printf "%.1f", k / 1024 }'; }

label() {
    case $1 in
        a) echo '(a) `ssh cat \| sha512sum` (default cipher)' ;;
        b) echo '(b) `ssh -c aes128-gcm@openssh.com cat \| sha512sum`' ;;
        c) echo '(c) netattest, SFTP' ;;
        d) echo '(d) netattest, exec `cat`' ;;
    esac
}

echo
echo "Pulling and hashing (SHA-512) a ${SIZE_MB} MiB file from OpenSSH $("$SSHD" -V 2>&1 | head -n1 | awk '{print $1}' | tr -d , | sed 's/^OpenSSH_//') sshd on loopback,"
echo "$(nproc) cores, median of $ROUNDS rounds; wall time per run includes connection set-up."
echo
echo "| method | median s | s per GiB | vs (a) | vs (b) | peak RSS |"
echo "|---|---|---|---|---|---|"
for m in a b c d; do
    med=$(median "$TMP/$m.times")
    rss=-
    [[ -f $TMP/$m.rss ]] && rss="$(rss_mib "$TMP/$m.rss") MiB"
    echo "| $(label $m) | $med | $(per_gib "$med") | $(ratio "$med" "$A")x | $(ratio "$med" "$B")x | $rss |"
done
echo
echo "Session set-up (\`ssh HOST true\`, median of 3): $(median "$TMP/setup.times") s, included in (a), (b) and (d)."
echo "Targets: (c) and (d) at most 0.65x of (a) and 0.9x of (b); peak RSS under 64 MiB."
