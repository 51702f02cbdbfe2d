#!/usr/bin/env bash
# Builds the jumpgate container image without any image registry:
#   1. a base image: a Debian 12 root file system holding only jumpgate's
#      runtime libraries (libssh-4, libevent and what they need), made by
#      mmdebstrap from Debian's packages and imported into podman;
#   2. jumpgate, built here (Debian 12, the same libraries);
#   3. packaging/container/Containerfile on that base (podman build).
#
#   packaging/container/build.sh [TAG]     default TAG localhost/jumpgate:latest
#
# Needs root (mmdebstrap and rootful podman), and podman, mmdebstrap,
# meson and the build dependencies (packaging/install-deps.sh); what is
# missing of those is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
tag=${1:-localhost/jumpgate:latest}
base=localhost/jumpgate-base:bookworm

. packaging/build-lib.sh
deps_install podman runc mmdebstrap
packaging/install-deps.sh

tmp=$(mktemp -d /tmp/jumpgate-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- 1. base image ---------------------------------------------------------
# --variant=extract unpacks the named packages and their dependencies and
# runs no maintainer script: no shell, no package manager, no coreutils
# in the image.  The hooks add the accounts and directories jumpgate
# needs: uid 10022 (numeric, for runAsNonRoot), its state directory, and
# the mount point for per-user key files.
mmdebstrap --quiet --variant=extract \
	--include=libssh-4,libevent-2.1-7,libevent-core-2.1-7,libevent-pthreads-2.1-7 \
	--customize-hook='printf "%s\n" \
		"root:x:0:0:root:/root:/usr/sbin/nologin" \
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin" \
		"jumpgate:x:10022:10022:jumpgate:/var/lib/jumpgate:/usr/sbin/nologin" \
		>"$1/etc/passwd"' \
	--customize-hook='printf "%s\n" "root:x:0:" "nogroup:x:65534:" \
		"jumpgate:x:10022:" >"$1/etc/group"' \
	--customize-hook='printf "%s\n" "passwd: files" "group: files" \
		"hosts: files dns" >"$1/etc/nsswitch.conf"' \
	--customize-hook='install -d -m 0755 "$1/etc/jumpgate/authorized_keys"' \
	--customize-hook='install -d -m 0700 -o 10022 -g 10022 "$1/var/lib/jumpgate"' \
	--customize-hook='install -d -m 1777 "$1/tmp"' \
	--customize-hook='rm -rf "$1"/usr/share/doc "$1"/usr/share/man \
		"$1"/usr/share/locale "$1"/usr/share/lintian "$1"/var/cache/* \
		"$1"/var/lib/apt "$1"/var/log/* "$1"/etc/apt' \
	bookworm "$tmp/rootfs.tar"
podman image rm -f "$base" >/dev/null 2>&1 || true
podman import --quiet "$tmp/rootfs.tar" "$base" >/dev/null

# ---- 2. jumpgate -----------------------------------------------------------
# A distribution build (prefix /usr: configuration in /etc/jumpgate).
meson setup --prefix=/usr --buildtype=release -Dtests=disabled \
	"$tmp/build" "$top" >"$tmp/build.log" 2>&1 &&
	ninja -C "$tmp/build" server/jumpgate >>"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; exit 1; }
mkdir "$tmp/context"
install -m 0755 -s "$tmp/build/server/jumpgate" "$tmp/context/jumpgate"
install -m 0644 packaging/examples/sidecar.conf "$tmp/context/jumpgate.conf"

# ---- 3. the image ----------------------------------------------------------
# chroot isolation: the Containerfile's RUN (jumpgate -t) needs no OCI
# runtime, so the build works where running a container does not.
podman build --quiet --isolation=chroot \
	--build-arg BASE="$base" -f packaging/container/Containerfile \
	-t "$tag" "$tmp/context" >/dev/null
echo "built $tag ($(podman image inspect --format '{{.Size}}' "$tag") bytes) on $base"
