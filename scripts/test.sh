#!/usr/bin/env bash
# Runs every test netattest has, after installing what the tests need on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The interop tests start a real OpenSSH sshd on a loopback port and copy files onto it with scp, sftp and
# rsync, as an intruder would; everything they need is installed here when missing.
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 && command -v scp >/dev/null 2>&1 || need+=(openssh-client)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v rsync >/dev/null 2>&1 || need+=(rsync)
# tests/it/deploy.rs checks the units in deploy/systemd with `systemd-analyze verify` and `security`.
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# The report-format tests (tests/it/formats.rs) render HTML in headless Chromium, lint Prometheus output with
# promtool, and validate SARIF with Python's jsonschema in a venv they make under target/ (the schema and
# jsonschema come from PyPI at test time).
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
python3 -m venv --help >/dev/null 2>&1 || need+=(python3 python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the interop and report-format tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
