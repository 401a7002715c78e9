#!/usr/bin/env bash
# Fleet audit throughput (issue 11): `netattest audit --pull never` against asyncssh and Netmiko doing the
# same commands over one SSH connection per device, at the same concurrency.
#
# Starts one throwaway OpenSSH sshd on a free 127.0.0.1 port (own host key, own client key, temp dir; the
# settings of bench/pull.sh plus MaxStartups/MaxSessions high enough for 256 connections at once). The
# inventory is BENCH_DEVICES entries (dev-0001, ...), each a distinct name pointing at that sshd with
# platform `linux`, so every device runs the linux profile's probes on this machine. Untimed: `netattest
# init`, `enroll --all`, and one `check` whose transcript gives the list of commands an audit actually sends
# (the Python clients run exactly that list, in that order, one exec channel per command, as netattest
# does; Netmiko has no exec mode and sends them to one interactive shell, which is how Netmiko works).
# asyncssh and Netmiko are installed from PyPI into a virtualenv in the temp dir (BENCH_VENV: use an
# existing one instead).
#
# Timed, BENCH_ROUNDS rounds, rotating which client goes first each round, at each concurrency:
#   netattest  `netattest audit --pull never --concurrency C` (read_ssh_offer = false: one connection)
#   asyncssh   asyncio, a semaphore of C, one connection per device, conn.run() per command
#   netmiko    a thread pool of C, ConnectHandler(device_type="linux"), send_command() per command
# Per run: wall time (process start to exit, start-up and imports included), devices that failed (netattest:
# any outcome but verified; Python: any exception), the client's peak RSS (GNU time -v), and the CPU
# time of the whole sshd tree (the listener's utime+stime+cutime+cstime from /proc/PID/stat before and
# after: every per-connection sshd and the commands it ran are reaped into the listener's cutime/cstime).
# The commands' own CPU, run locally without SSH, is printed too, so sshd's share can be told apart.
#
# The temp dir lives in /dev/shm when it can (BENCH_TMPDIR overrides): the profile's `find` probes list
# /tmp and /var/tmp, and a state dir growing there would make later runs list more files than earlier ones.
#
# Environment: BENCH_DEVICES (default 200), BENCH_ROUNDS (3), BENCH_CONCURRENCY ("16 64 256"),
# BENCH_CLIENTS ("netattest asyncssh netmiko"), NETATTEST_BIN (a built binary; default: build the release
# binary here), BENCH_VENV, BENCH_TMPDIR, BENCH_KEEP_BASHRC (see below), BENCH_IMAGE_MB (1: the size of the
# image file every device's `sha512sum` hashes). Needs openssh-server, python3 with venv and network access to
# PyPI; installs GNU time with apt-get when /usr/bin/time is missing.
set -euo pipefail

DEVICES=${BENCH_DEVICES:-200}
ROUNDS=${BENCH_ROUNDS:-3}
read -r -a CONCS <<<"${BENCH_CONCURRENCY:-16 64 256}"
read -r -a CLIENTS <<<"${BENCH_CLIENTS:-netattest asyncssh netmiko}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SSHD=/usr/sbin/sshd

die() { echo "fleet.sh: $*" >&2; exit 1; }

[[ -x $SSHD ]] || die "$SSHD is missing (apt-get install -y openssh-server)"
for tool in ssh-keygen python3 awk sort pgrep; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
if [[ ! -x /usr/bin/time ]]; then
    echo "installing GNU time for peak-RSS measurement" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q time >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
    else sudo apt-get install -y -q time >/dev/null; fi
fi

if [[ -z ${NETATTEST_BIN:-} ]]; then
    echo "building netattest (release)" >&2
    (cd "$ROOT" && cargo build --release -q --bin netattest)
    NETATTEST_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/netattest
fi
BIN=$NETATTEST_BIN
[[ -x $BIN ]] || die "no $BIN"

BASE=${BENCH_TMPDIR:-}
if [[ -z $BASE ]]; then
    if [[ -d /dev/shm && -w /dev/shm ]]; then BASE=/dev/shm; else BASE=${TMPDIR:-/tmp}; fi
fi
TMP=$(mktemp -d "$BASE/netattest-fleet-bench.XXXXXX")
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

# bash reads ~/.bashrc even for `bash -c CMD` when sshd started it, so every exec channel pays for it (a
# `pyenv init` there costs 0.3 s a command). A network device's shell has no such start-up: as root, sshd
# runs where ~/.bashrc is empty (BENCH_KEEP_BASHRC=1 keeps it).
CLEAN_RC=0
if [[ -z ${BENCH_KEEP_BASHRC:-} && -s $HOME/.bashrc && $(id -u) -eq 0 ]] && command -v unshare >/dev/null &&
    unshare -m true 2>/dev/null; then
    CLEAN_RC=1
    : >"$TMP/empty_rc"
elif [[ -s $HOME/.bashrc ]]; then
    echo "note: sshd's shells read $HOME/.bashrc; its start-up is in every command's time" >&2
fi

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
MaxStartups 1000:30:2000
MaxSessions 100
PerSourceMaxStartups none
PerSourcePenalties no
EOF
    # PerSourcePenalties is OpenSSH 9.8+; drop it where this sshd does not know it.
    "$SSHD" -t -f "$TMP/sshd_config" 2>/dev/null || sed -i '/^PerSourcePenalties/d' "$TMP/sshd_config"
    if ((CLEAN_RC)); then
        # A mount namespace of its own, where ~/.bashrc is an empty file: sshd and its shells only.
        unshare -m sh -c 'mount --bind "$1" "$2" && exec "$3" -D -e -f "$4"' sh "$TMP/empty_rc" "$HOME/.bashrc" \
            "$SSHD" "$TMP/sshd_config" 2>>"$TMP/sshd.log" &
    else
        "$SSHD" -D -e -f "$TMP/sshd_config" 2>>"$TMP/sshd.log" &
    fi
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

# CPU seconds of the sshd tree so far: the listener's own time and that of every child it has reaped.
TICKS=$(getconf CLK_TCK)
sshd_cpu() {
    # Fields after the ")" of comm: state is 1, so utime..cstime (14..17) are 12..15.
    awk -v t="$TICKS" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13 + $14 + $15) / t }' "/proc/$SSHD_PID/stat"
}
# Waits (up to 10 s) until the listener has no live children, so their time is in its cutime/cstime.
sshd_idle() {
    for _ in $(seq 200); do
        pgrep -P "$SSHD_PID" >/dev/null || return 0
        sleep 0.05
    done
    echo "  (sshd still has children after 10 s; its CPU figure for this run is short)" >&2
}

# --- the inventory, enrollment ------------------------------------------------------------------------
# The image each device's `sha512sum` hashes (SONiC finds its own from /proc/cmdline; this box has none).
IMAGE_MB=${BENCH_IMAGE_MB:-1}
head -c $((IMAGE_MB * 1048576)) /dev/urandom >"$TMP/image.bin"
CFG=$TMP/netattest.toml
{
    cat <<EOF
state_dir = "state"
ssh_config = false
keep_runs = 100

[defaults]
user = "$USER_NAME"
port = $PORT
connect_timeout = "60s"
command_timeout = "2m"
pull = "never"
read_ssh_offer = false
concurrency = 16
auth = { key_file = "$TMP/client_ed25519" }
EOF
    for i in $(seq -f "%04g" 1 "$DEVICES"); do
        printf '\n[[device]]\nname = "dev-%s"\nhost = "127.0.0.1"\nplatform = "linux"\nimage_path = "%s"\n' "$i" "$TMP/image.bin"
    done
} >"$CFG"

echo "enrolling $DEVICES devices (untimed)" >&2
"$BIN" --config "$CFG" --quiet init >/dev/null
"$BIN" --config "$CFG" --quiet enroll --all --concurrency 16 --format json >"$TMP/enroll.json" ||
    die "enroll --all failed: $(head -c 2000 "$TMP/enroll.json")"

# The commands an audit sends, from the transcript of one untimed check.
"$BIN" --config "$CFG" --quiet check dev-0001 --pull never --format json >"$TMP/check.json" || true
TRANSCRIPT=$(ls -t "$TMP"/state/runs/*/transcripts/dev-0001.json 2>/dev/null | head -n1)
[[ -n $TRANSCRIPT ]] || die "no transcript of the check in $TMP/state/runs"
python3 - "$TRANSCRIPT" >"$TMP/commands.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
def commands(node):
    # The structured transcript: a list of exchanges, each naming the command it sent.
    if isinstance(node, dict):
        if isinstance(node.get("command"), str):
            yield node["command"]
            return
        for v in node.values():
            yield from commands(v)
    elif isinstance(node, list):
        for v in node:
            yield from commands(v)
print(json.dumps(list(commands(t))))
PY
NCMD=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMP/commands.json")
((NCMD > 0)) || die "no commands in $TRANSCRIPT"
echo "an audit sends $NCMD commands per device:" >&2
python3 -c 'import json,sys; [print("  " + c, file=sys.stderr) for c in json.load(open(sys.argv[1]))]' "$TMP/commands.json"

# --- the Python clients ---------------------------------------------------------------------------------
VENV=${BENCH_VENV:-}
if [[ -z $VENV ]]; then
    VENV=$TMP/venv
    echo "installing asyncssh and netmiko into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check asyncssh netmiko >"$TMP/pip.log" 2>&1 ||
        die "pip install failed: $(tail -n 20 "$TMP/pip.log")"
fi
PY=$VENV/bin/python
VERSIONS=$("$PY" -c 'import asyncssh, netmiko, paramiko; print("asyncssh %s, Netmiko %s (paramiko %s)" % (asyncssh.__version__, netmiko.__version__, paramiko.__version__))')

cat >"$TMP/clients.py" <<'PY'
"""The same audit commands over one SSH connection per device: asyncssh or Netmiko."""
import asyncio, json, sys, time
from concurrent.futures import ThreadPoolExecutor

client, conc, port, user, key, known_hosts, commands_file, devices = sys.argv[1:9]
conc, port, devices = int(conc), int(port), int(devices)
commands = json.load(open(commands_file))
names = ["dev-%04d" % i for i in range(1, devices + 1)]  # every name is 127.0.0.1

def run_asyncssh():
    import asyncssh

    async def device(sem, name):
        async with sem:
            try:
                async with asyncssh.connect("127.0.0.1", port=port, username=user, client_keys=[key],
                                            known_hosts=known_hosts, agent_path=None, config=[],
                                            connect_timeout=60) as conn:
                    size = 0
                    for cmd in commands:
                        r = await asyncio.wait_for(conn.run(cmd, check=False, encoding=None), 120)
                        size += len(r.stdout or b"")
                    return None
            except Exception as e:  # a device that failed
                return "%s: %s" % (name, e)

    async def main():
        sem = asyncio.Semaphore(conc)
        return await asyncio.gather(*(device(sem, n) for n in names))

    return asyncio.run(main())

def run_netmiko():
    from netmiko import ConnectHandler

    def device(name):
        try:
            conn = ConnectHandler(device_type="linux", host="127.0.0.1", port=port, username=user,
                                  use_keys=True, key_file=key, allow_agent=False, ssh_strict=True,
                                  system_host_keys=False, alt_host_keys=True, alt_key_file=known_hosts,
                                  conn_timeout=60, timeout=120)
            try:
                for cmd in commands:
                    # Unstripped: strip_prompt drops the last line, which for find's NUL-separated
                    # records (no newline) is the whole answer.
                    conn.send_command(cmd, read_timeout=120, strip_prompt=False, strip_command=False)
            finally:
                conn.disconnect()
            return None
        except Exception as e:
            return "%s: %s" % (name, e)

    with ThreadPoolExecutor(max_workers=conc) as pool:
        return list(pool.map(device, names))

errors = [e for e in (run_asyncssh() if client == "asyncssh" else run_netmiko()) if e]
for e in errors[:5]:
    print(e, file=sys.stderr)
print(json.dumps({"devices": devices, "errors": len(errors)}))
PY

# Local cost of the commands themselves (no SSH): CPU ms per device, median of 3.
for _ in 1 2 3; do
    /usr/bin/time -f '%U %S' -o "$TMP/cmd.time" bash -c "$("$PY" -c 'import json,sys; print("\n".join("(%s) >/dev/null 2>&1" % c for c in json.load(open(sys.argv[1]))))' "$TMP/commands.json")" || true
    awk '{ printf "%.1f\n", ($1 + $2) * 1000 }' "$TMP/cmd.time" >>"$TMP/cmd.ms"
done

# --- runs ---------------------------------------------------------------------------------------------
now() { date +%s.%N; }

# Runs client $1 at concurrency $2; appends wall s, errors, peak RSS KiB and sshd CPU s to $TMP/$1.$2.
run_client() {
    local c=$1 n=$2 t0 t1 cpu0 cpu1 errors rc=0
    sshd_idle
    cpu0=$(sshd_cpu)
    t0=$(now)
    case $c in
        netattest)
            /usr/bin/time -v -o "$TMP/time.out" "$BIN" --config "$CFG" --quiet audit --pull never \
                --concurrency "$n" --format json >"$TMP/out.json" 2>"$TMP/err.log" || rc=$?
            ;;
        asyncssh | netmiko)
            /usr/bin/time -v -o "$TMP/time.out" "$PY" "$TMP/clients.py" "$c" "$n" "$PORT" "$USER_NAME" \
                "$TMP/client_ed25519" "$TMP/known_hosts" "$TMP/commands.json" "$DEVICES" \
                >"$TMP/out.json" 2>"$TMP/err.log" || rc=$?
            ;;
    esac
    t1=$(now)
    sshd_idle
    cpu1=$(sshd_cpu)
    case $c in
        netattest)
            # Exit 1 is "findings at or above fail_on" (files under /var/log change): not a failure.
            ((rc <= 1)) || echo "  netattest exited $rc: $(head -c 500 "$TMP/err.log")" >&2
            errors=$(python3 - "$TMP/out.json" "$DEVICES" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except Exception:
    print(sys.argv[2]); sys.exit()
ok = [d for d in report.get("devices", []) if d.get("outcome") == "verified"]
print(int(sys.argv[2]) - len(ok))
PY
)
            ;;
        *)
            ((rc == 0)) || echo "  $c exited $rc: $(head -c 500 "$TMP/err.log")" >&2
            errors=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"])' "$TMP/out.json" 2>/dev/null || echo "$DEVICES")
            [[ -s $TMP/err.log ]] && sed 's/^/  /' "$TMP/err.log" | head -n 5 >&2
            ;;
    esac
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time.out")
    awk -v a="$t0" -v b="$t1" -v e="$errors" -v r="$rss" -v c0="$cpu0" -v c1="$cpu1" \
        'BEGIN { printf "%.3f %d %d %.3f\n", b - a, e, r, c1 - c0 }' >>"$TMP/$c.$n"
    printf '  %-9s c=%-3s %6.2fs errors %s rss %s MiB sshd cpu %ss\n' "$c" "$n" "$(tail -n1 "$TMP/$c.$n" | cut -d' ' -f1)" \
        "$errors" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$(tail -n1 "$TMP/$c.$n" | cut -d' ' -f4)" >&2
}

NC=${#CLIENTS[@]}
for ((r = 0; r < ROUNDS; r++)); do
    echo "round $((r + 1))/$ROUNDS" >&2
    for n in "${CONCS[@]}"; do
        for ((i = 0; i < NC; i++)); do
            run_client "${CLIENTS[$(((r + i) % NC))]}" "$n"
        done
    done
done

# --- the table ------------------------------------------------------------------------------------------
median_col() { awk -v k="$2" '{ print $k }' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max_col() { awk -v k="$2" '{ print $k }' "$1" | sort -g | tail -n1; }

SSHD_VERSION=$("$SSHD" -V 2>&1 | head -n1 | awk '{print $1}' | tr -d , | sed 's/^OpenSSH_//')
echo
echo "Auditing $DEVICES inventory entries (platform linux, $NCMD commands each, one connection per device) on one"
echo "OpenSSH $SSHD_VERSION sshd on loopback, $(nproc) cores, median of $ROUNDS rounds; client fd limit $(ulimit -n)."
echo "netattest $("$BIN" --version 2>/dev/null | awk '{print $NF}'), $VERSIONS, Python $(python3 -c 'import platform; print(platform.python_version())')."
echo
echo "| client | concurrency | median wall s | devices/s | vs asyncssh | errors | peak RSS MiB | sshd CPU ms/device |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${CONCS[@]}"; do
    base=
    [[ -f $TMP/asyncssh.$n ]] && base=$(median_col "$TMP/asyncssh.$n" 1)
    for c in "${CLIENTS[@]}"; do
        f=$TMP/$c.$n
        wall=$(median_col "$f" 1)
        ratio=-
        [[ -n $base ]] && ratio=$(awk -v b="$base" -v w="$wall" 'BEGIN { printf "%.2fx", b / w }')
        awk -v c="$c" -v n="$n" -v w="$wall" -v d="$DEVICES" -v q="$ratio" -v e="$(max_col "$f" 2)" \
            -v r="$(max_col "$f" 3)" -v cpu="$(median_col "$f" 4)" \
            'BEGIN { printf "| %s | %d | %.2f | %.1f | %s | %d | %.1f | %.1f |\n", c, n, w, d / w, q, e, r / 1024, cpu * 1000 / d }'
    done
done
echo
echo "vs asyncssh: asyncssh's median wall time over the client's (above 1 is faster). errors: the most devices"
echo "that failed in any round. sshd CPU: the whole sshd tree, including the commands it ran; the commands"
echo "alone, run locally without SSH, take $(median_col "$TMP/cmd.ms" 1) ms of CPU per device."
