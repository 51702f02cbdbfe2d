#!/usr/bin/env bash
# The systemd units under a real systemd, as tests/run.sh runs it (as
# root, on Debian 12).  systemd is not PID 1 on this machine, so it runs
# in a container where it is: a minimal bookworm made by mmdebstrap from
# Debian's packages, booted with rootful podman (--systemd=always, no
# network but its own loopback; CAP_SYS_ADMIN and CAP_SYS_PTRACE so that
# nsenter can look into the service's mount namespace).  The Debian
# package is installed there and packaging/systemd/ci-inside.sh checks
# the running service.
#
#   packaging/systemd/ci-test.sh
#
# runc and explicit resource limits, as in packaging/container/ci-test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

# "keeps": SIGHUP reloads, so a reload must keep the main process and
# serve afterwards ("exits" checks only ExecReload, for a jumpgate whose
# SIGHUP still ends it).
reload=keeps

[ "$(id -u)" -eq 0 ] || { echo "systemd/ci-test.sh: must run as root" >&2; exit 1; }
. packaging/build-lib.sh
deps_install podman runc mmdebstrap dpkg-dev debhelper

image=localhost/jumpgate-systemd-test:bookworm
name=jumpgate-systemd-ci-$$
runtime=${JG_RUNTIME:-runc}
tmp=$(mktemp -d /tmp/jumpgate-systemd.XXXXXX)

cleanup() {
	local rc=$?
	podman --runtime="$runtime" rm -f "$name" >/dev/null 2>&1 || true
	podman image rm -f "$image" >/dev/null 2>&1 || true
	if [ "${JG_KEEP:-}" = 1 ] || [ $rc -ne 0 ]; then
		echo "systemd/ci-test.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit $rc
}
trap cleanup EXIT

start=$(date +%s)
deb=$(packaging/debian/build.sh "$tmp")
# The same with a higher version, to upgrade to.
deb2=$(packaging/debian/build.sh "$tmp" "$(dpkg-parsechangelog \
	-l packaging/debian/changelog -S Version)+upgradetest")

# What the package needs at run time, systemd, and python3 for the
# loopback target; the .deb's own dependencies come with them.
mmdebstrap --quiet --variant=minbase \
	--include=systemd,systemd-sysv,dbus,adduser,openssh-client,procps,python3-minimal,libssh-4,libevent-2.1-7,libevent-core-2.1-7,libevent-pthreads-2.1-7 \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	bookworm "$tmp/rootfs.tar"
podman import --quiet --change 'CMD=["/sbin/init"]' "$tmp/rootfs.tar" "$image" >/dev/null
rm -f "$tmp/rootfs.tar"

podman --runtime="$runtime" run -d --name "$name" --systemd=always \
	--network=none --ulimit nofile=4096:4096 --ulimit nproc=1024:1024 \
	--cap-add=SYS_PTRACE,SYS_ADMIN \
	"$image" /sbin/init >/dev/null
state=""
for _ in $(seq 300); do
	state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
	case $state in running|degraded) break ;; esac
	sleep 0.2
done
case $state in
running|degraded) ;;
*)	podman logs "$name" 2>&1 | tail -30 >&2
	echo "systemd/ci-test.sh: systemd did not come up ($state)" >&2
	exit 1 ;;
esac
echo "ok - systemd is PID 1 in the container ($state) after $(( $(date +%s) - start ))s"

podman cp "$deb" "$name":/tmp/jumpgate.deb
podman cp "$deb2" "$name":/tmp/jumpgate-next.deb
podman cp packaging/systemd/ci-inside.sh "$name":/tmp/ci-inside.sh
podman exec "$name" bash /tmp/ci-inside.sh /tmp/jumpgate.deb \
	/tmp/jumpgate-next.deb "$reload" |
	tee "$tmp/inside.log"

passes=$(( $(grep -c '^ok - ' "$tmp/inside.log" || true) + 1 ))
fails=$(grep -c '^not ok - ' "$tmp/inside.log" || true)
[ "$passes" -gt 20 ] || { echo "systemd/ci-test.sh: the checks did not run" >&2; fails=$((fails + 1)); }
echo "systemd: $passes passed, $fails failed in $(( $(date +%s) - start ))s"
[ "$fails" -eq 0 ]
