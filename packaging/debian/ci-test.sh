#!/usr/bin/env bash
# The Debian package, end to end, as tests/run.sh runs it (as root, on
# Debian 12): build the .deb from a copy of the tree, install it, check
# what it installed, start the installed daemon on its installed
# configuration, forward through it with ssh -W to a loopback target,
# stop it, do the same once through a socket passed as jumpgate.socket
# would, purge the package and check that nothing is left behind.
#
# systemd is not PID 1 here, so the daemon is started the way the unit
# would start it, by hand, with -o overrides for a free loopback port; the
# units themselves are checked with systemd-analyze.
#
#   packaging/debian/ci-test.sh          (from anywhere in the tree)
#   JG_KEEP=1 packaging/debian/ci-test.sh   keep the temporary directory
set -euo pipefail
cd "$(dirname "$0")/../.."

# The account the installed daemon runs as after start-up: the User
# keyword's default, which the package creates.
expect_user=jumpgate

[ "$(id -u)" -eq 0 ] || { echo "ci-test.sh: must run as root" >&2; exit 1; }

. packaging/build-lib.sh
deps_install dpkg-dev debhelper fakeroot openssh-client python3 systemd

tmp=$(mktemp -d /tmp/jumpgate-deb.XXXXXX)
pid=""
target=""
notify=""
. packaging/ci-tally.sh

purge() {
	if dpkg-query -W -f='${Status}' jumpgate 2>/dev/null |
	    grep -q "install\|config-files"; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq jumpgate \
			>"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; return 1; }
	fi
}

cleanup() {
	local rc=$?
	# Under set -e a failing last command of a list would end the trap.
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ -n "$target" ]; then kill "$target" 2>/dev/null || true; fi
	if [ -n "$notify" ]; then kill "$notify" 2>/dev/null || true; fi
	rm -f /etc/jumpgate/authorized_keys/jgci
	purge || rc=1
	if [ "${JG_KEEP:-}" = 1 ] || [ $rc -ne 0 ]; then
		echo "ci-test.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit $rc
}
trap cleanup EXIT


# A jumpgate left installed by an interrupted run of this script.
if dpkg-query -W -f='${Status}' jumpgate 2>/dev/null | grep -q "ok installed"; then
	echo "ci-test.sh: purging a jumpgate package left by an earlier run" >&2
	purge
fi

# ---- build ---------------------------------------------------------------
start=$(date +%s)
deb=$(packaging/debian/build.sh "$tmp")
ok "dpkg-buildpackage -us -uc -b built $(basename "$deb") in $(( $(date +%s) - start ))s"

# ---- install -------------------------------------------------------------
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$deb" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	echo "ci-test.sh: installing the package failed" >&2
	exit 1
fi
ok "apt-get install ./$(basename "$deb")"

for f in /usr/sbin/jumpgate /usr/share/man/man8/jumpgate.8.gz \
    /usr/share/man/man5/jumpgate.conf.5.gz /etc/jumpgate/jumpgate.conf \
    /lib/systemd/system/jumpgate.service /lib/systemd/system/jumpgate.socket \
    /usr/share/doc/jumpgate/examples/gateway.conf; do
	check "installed $f" dpkg -S "$f" >/dev/null
done
check "jumpgate.conf is a conffile" \
	grep -q "^ /etc/jumpgate/jumpgate.conf " \
	<(dpkg-query -W -f='${Conffiles}\n' jumpgate)
check "system user jumpgate exists, no login shell" \
	test "$(getent passwd jumpgate | cut -d: -f7)" = /usr/sbin/nologin
check "host key is root:jumpgate 0640" \
	test "$(stat -c '%U:%G %a' /etc/jumpgate/ssh_host_ed25519_key)" = \
	"root:jumpgate 640"
check "state directory is jumpgate's, 0750" \
	test "$(stat -c '%U:%G %a' /var/lib/jumpgate)" = "jumpgate:jumpgate 750"
check "installed configuration loads (jumpgate -t)" \
	/usr/sbin/jumpgate -t -f /etc/jumpgate/jumpgate.conf

# The units, as installed.  verify also runs man for Documentation=.
if systemd-analyze verify /lib/systemd/system/jumpgate.service \
    /lib/systemd/system/jumpgate.socket >"$tmp/verify.log" 2>&1 &&
    ! [ -s "$tmp/verify.log" ]; then
	ok "systemd-analyze verify: no complaint"
else
	sed 's/^/# /' "$tmp/verify.log"
	bad "systemd-analyze verify"
fi
systemd-analyze security --offline=yes \
	/lib/systemd/system/jumpgate.service >"$tmp/security.log" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for jumpgate.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security.log")
# 2.6 when this was written ("OK"); above 4 means a hardening line went.
check "systemd-analyze security: exposure ${exposure:-?} (at most 4.0)" \
	python3 -c "import sys; sys.exit(not float('${exposure:-99}') <= 4.0)"

# ---- serve ---------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C jgci -f "$tmp/client"
echo "restrict,port-forwarding $(cat "$tmp/client.pub")" \
	>/etc/jumpgate/authorized_keys/jgci
# The host key the package generated, pinned: the client must meet it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 /etc/jumpgate/ssh_host_ed25519_key.pub)" \
	>"$tmp/known_hosts"

# Loopback echo target: prints its port, answers one connection.
python3 -u packaging/echo-target.py >"$tmp/target.port" &
target=$!

# The notify socket systemd would pass: what the daemon says there is
# checked below when the installed unit is Type=notify.  World-writable
# and reachable, as systemd's is, since the daemon switches to jumpgate.
chmod 0711 "$tmp"
python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode("utf-8", "replace").replace("\n", " "))
' "$tmp/notify" >"$tmp/notify.log" &
notify=$!
for _ in $(seq 100); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
chmod 0777 "$tmp/notify"

NOTIFY_SOCKET="$tmp/notify" /usr/sbin/jumpgate -e -f /etc/jumpgate/jumpgate.conf \
	-o ListenAddress=127.0.0.1:"$port" -o PidFile="$tmp/jumpgate.pid" \
	2>"$tmp/daemon.log" &
pid=$!
for _ in $(seq 300); do
	grep -q "Server listening on 127.0.0.1 port $port\." "$tmp/daemon.log" &&
		[ -s "$tmp/target.port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "Server listening on 127.0.0.1 port $port\." "$tmp/daemon.log"; then
	sed 's/^/# /' "$tmp/daemon.log"
	echo "ci-test.sh: the installed daemon did not start" >&2
	exit 1
fi
ok "installed daemon listens on 127.0.0.1:$port"
# systemd waits for READY=1 from a Type=notify service and fails its
# start without it.
unit_type=$(sed -n 's/^Type=//p' /lib/systemd/system/jumpgate.service)
if [ "$unit_type" = notify ]; then
	for _ in $(seq 100); do
		grep -q "READY=1" "$tmp/notify.log" && break
		sleep 0.1
	done
	check "Type=notify: the daemon sent READY=1" grep -q "READY=1" "$tmp/notify.log"
fi
tport=$(cat "$tmp/target.port")

check "daemon runs as $expect_user" \
	test "$(ps -o user= -p "$pid")" = "$expect_user"
# The packaged configuration reads no home directory: nothing is kept.
check "daemon kept no capability" \
	grep -q "^CapEff:[[:space:]]*0000000000000000$" "/proc/$pid/status"

head -c 200000 /dev/urandom >"$tmp/payload"
if timeout 60 ssh -F /dev/null -i "$tmp/client" -p "$port" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$tmp/known_hosts" \
    -W 127.0.0.1:"$tport" jgci@127.0.0.1 <"$tmp/payload" >"$tmp/echoed" \
    2>"$tmp/ssh.log" && cmp -s "$tmp/payload" "$tmp/echoed"; then
	ok "ssh -W through the installed daemon: 200000 bytes echoed intact"
else
	sed 's/^/# /' "$tmp/ssh.log" "$tmp/daemon.log"
	bad "ssh -W through the installed daemon"
fi
check "daemon logged the accepted key and the forward" \
	grep -q "Accepted publickey for jgci" "$tmp/daemon.log"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
check "SIGTERM: daemon exited 0" test "$rc" -eq 0
if [ "$unit_type" = notify ]; then
	check "Type=notify: the daemon sent STOPPING=1" \
		grep -q "STOPPING=1" "$tmp/notify.log"
fi
kill "$notify" 2>/dev/null || true
notify=""

# ---- socket activation ----------------------------------------------------
# What jumpgate.socket does, by systemd's own tool: it binds the port and
# starts the installed daemon on the first connection, passing the
# listening socket (LISTEN_FDS); the configured Port 2222 is not bound.
python3 -u -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"hello through the activated socket\n")
c.close()
' >"$tmp/target2.port" &
target=$!
for _ in $(seq 100); do [ -s "$tmp/target2.port" ] && break; sleep 0.1; done
tport=$(cat "$tmp/target2.port")
systemd-socket-activate -l 127.0.0.1:"$port" /usr/sbin/jumpgate -e \
	-f /etc/jumpgate/jumpgate.conf -o PidFile=none 2>"$tmp/activated.log" &
pid=$!
for _ in $(seq 100); do
	grep -q "Listening on" "$tmp/activated.log" && break
	sleep 0.1
done
if timeout 60 ssh -F /dev/null -i "$tmp/client" -p "$port" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$tmp/known_hosts" \
    -W 127.0.0.1:"$tport" jgci@127.0.0.1 </dev/null >"$tmp/activated.out" \
    2>"$tmp/ssh2.log" &&
    grep -q "hello through the activated socket" "$tmp/activated.out"; then
	ok "socket activation: ssh -W through the passed socket"
else
	sed 's/^/# /' "$tmp/ssh2.log" "$tmp/activated.log"
	bad "socket activation: ssh -W through the passed socket"
fi
check "socket activation: the daemon serves systemd's socket" \
	grep -q "socket activation: 1 socket from systemd" "$tmp/activated.log"
check "socket activation: the configured port 2222 is not bound" \
	bash -c "! grep -q 'port 2222' '$tmp/activated.log'"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
check "socket activation: SIGTERM, exit 0" test "$rc" -eq 0

# ---- purge ------------------------------------------------------------------
rm -f /etc/jumpgate/authorized_keys/jgci
purge
check "purged: package gone" \
	test -z "$(dpkg-query -W -f='${Status}' jumpgate 2>/dev/null)"
for f in /etc/jumpgate /var/lib/jumpgate /usr/sbin/jumpgate \
    /lib/systemd/system/jumpgate.service; do
	check "purged: $f gone" test ! -e "$f"
done
check "purged: user and group jumpgate gone" \
	test -z "$(getent passwd jumpgate; getent group jumpgate)"

tally_report packaging
