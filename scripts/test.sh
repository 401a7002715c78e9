#!/usr/bin/env bash
# Runs every test netattest has, after installing what the tests need on a fresh machine.
# The interop tests start a real OpenSSH sshd on a loopback port, so openssh-server must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "installing openssh-server and openssh-client for the interop tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssh-server openssh-client >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
