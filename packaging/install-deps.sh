#!/usr/bin/env bash
# Installs what jumpgate needs on Debian 12, and only what is missing.
#   packaging/install-deps.sh          build dependencies
#   packaging/install-deps.sh --test   plus every client and tool the tests drive
set -euo pipefail

pkgs=(meson ninja-build pkg-config gcc libc6-dev libssh-dev libevent-dev)
if [ "${1:-}" = "--test" ]; then
	pkgs+=(libcmocka-dev clang libclang-rt-14-dev
	       openssh-client openssh-server putty-tools dropbear-bin
	       python3 python3-paramiko python3-asyncssh ncat socat curl procps
	       systemd)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null
