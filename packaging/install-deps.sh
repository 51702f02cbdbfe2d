#!/usr/bin/env bash
# Installs what jumpgate needs on Debian 12, and only what is missing.
#   packaging/install-deps.sh          build dependencies
#   packaging/install-deps.sh --test   plus every client and tool the tests drive
set -euo pipefail

pkgs=(meson ninja-build pkg-config gcc libc6-dev libssh-dev libevent-dev libssl-dev)
if [ "${1:-}" = "--test" ]; then
	pkgs+=(libcmocka-dev clang libclang-rt-14-dev
	       openssh-client openssh-server putty-tools dropbear-bin
	       python3 python3-paramiko python3-asyncssh python3-yaml ncat socat curl procps
	       haproxy systemd)
fi

. "$(dirname "$0")/build-lib.sh"
deps_install "${pkgs[@]}"
