#!/bin/bash
# Runs inside the container of packaging/systemd/ci-test.sh, where
# systemd is PID 1: installs the package, and checks the units as
# systemd runs them -- the account, capabilities and sandbox of the
# started service, a forward through it, reload, stop, socket
# activation, an upgrade, purge.  Prints "ok - ..." / "not ok - ..." lines.
#   bash ci-inside.sh DEB NEXT_DEB RELOAD
# NEXT_DEB is the same package with a higher version; RELOAD is "keeps"
# once SIGHUP reloads.
set -u
deb=$1
next=$2
reload=$3

ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; }
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
active() {
	local i
	for i in $(seq 100); do
		[ "$(systemctl is-active "$1")" = active ] && return 0
		sleep 0.1
	done
	return 1
}
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }
mainpid() { systemctl show -p MainPID --value jumpgate.service; }
journal() {
	journalctl -u jumpgate.service --no-pager -o cat
}

# A forward through port 2222 to a one-shot loopback target.
forward() {
	local tport
	python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"hello from the target\n")
c.close()
' >/tmp/target.port &
	for _ in $(seq 100); do [ -s /tmp/target.port ] && break; sleep 0.1; done
	tport=$(cat /tmp/target.port)
	rm -f /tmp/target.port
	timeout 60 ssh -F /dev/null -i /tmp/client -p 2222 \
	    -o BatchMode=yes -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/known_hosts \
	    -W 127.0.0.1:"$tport" jgci@127.0.0.1 </dev/null 2>/tmp/ssh.log |
		grep -q "hello from the target" && return 0
	sed 's/^/# /' /tmp/ssh.log
	journal | tail -20 | sed 's/^/# /'
	return 1
}

if ! dpkg -i "$deb" >/tmp/dpkg.log 2>&1; then
	sed 's/^/# /' /tmp/dpkg.log
	bad "dpkg -i"
	exit 1
fi
check "installing the package started jumpgate.service" active jumpgate.service
check "jumpgate.socket is installed, not enabled" \
	test "$(systemctl is-enabled jumpgate.socket)" = disabled

pid=$(mainpid)
check "the service runs as the jumpgate user" \
	test "$(field Uid "$pid")" = "$(id -u jumpgate)"
check "no effective capability" test "$(field CapEff "$pid")" = 0000000000000000
# CAP_DAC_READ_SEARCH (2), CAP_SETGID (6), CAP_SETUID (7),
# CAP_NET_BIND_SERVICE (10): the unit's bounding set, which jumpgate may
# narrow further.
check "bounding set within the unit's four capabilities" \
	python3 -c 'import sys; sys.exit(int(sys.argv[1], 16) & ~0x4c4 != 0)' \
	"$(field CapBnd "$pid")"
check "NoNewPrivileges" test "$(field NoNewPrivs "$pid")" = 1
check "system call filter" test "$(field Seccomp "$pid")" = 2
# In the service's own mount namespace (as root, so only a read-only
# mount can refuse): ProtectSystem=strict, StateDirectory, ProtectHome.
# nsenter failing fails the check.
inns() { nsenter -t "$pid" -m sh -c "$1"; }
check "ProtectSystem=strict: /etc is read-only for the service" \
	inns '! touch /etc/jumpgate/ci-write 2>/dev/null'
check "StateDirectory: /var/lib/jumpgate is writable for the service" \
	inns 'touch /var/lib/jumpgate/ci-write && rm /var/lib/jumpgate/ci-write'
check "ProtectHome=read-only: /root is read-only for the service" \
	inns '! touch /root/ci-write 2>/dev/null'
check "PrivateTmp: the service's /tmp is not the host's" \
	inns '! test -e /tmp/dpkg.log'

ssh-keygen -q -t ed25519 -N '' -C jgci -f /tmp/client
echo "restrict,port-forwarding $(cat /tmp/client.pub)" \
	>/etc/jumpgate/authorized_keys/jgci
echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 /etc/jumpgate/ssh_host_ed25519_key.pub)" \
	>/tmp/known_hosts
check "ssh -W through the service" forward

# Upgrade as README says: the administrator's edit of the conffile and
# the host key stay, and the service runs the new files.
echo "# an administrator's edit" >>/etc/jumpgate/jumpgate.conf
fp=$(ssh-keygen -lf /etc/jumpgate/ssh_host_ed25519_key.pub)
if ! DEBIAN_FRONTEND=noninteractive dpkg -i "$next" >/tmp/dpkg.log 2>&1; then
	sed 's/^/# /' /tmp/dpkg.log
	bad "upgrade: dpkg -i"
fi
check "upgrade: the new version is installed" \
	test "$(dpkg-query -W -f='${Version}' jumpgate)" = \
	"$(dpkg-deb -f "$next" Version)"
check "upgrade: the edited jumpgate.conf is kept" \
	grep -q "^# an administrator's edit$" /etc/jumpgate/jumpgate.conf
check "upgrade: the host key is kept" \
	test "$(ssh-keygen -lf /etc/jumpgate/ssh_host_ed25519_key.pub)" = "$fp"
check "upgrade: the service was restarted" \
	bash -c "systemctl is-active -q jumpgate.service &&
		[ \"\$(systemctl show -p MainPID --value jumpgate.service)\" != $pid ]"
check "ssh -W after the upgrade" forward
pid=$(mainpid)

check "systemctl reload: ExecReload succeeds" systemctl reload jumpgate.service
if [ "$reload" = keeps ]; then
	check "reload keeps the same process" test "$(mainpid)" = "$pid"
	check "ssh -W after the reload" forward
else
	# A forward proves the workers run, and they start only once the
	# signal handlers are in place: a stop before that (Type=simple
	# reports "started" at once) would kill jumpgate by SIGTERM.
	systemctl restart jumpgate.service
	check "ssh -W after a restart" forward
fi

systemctl stop jumpgate.service
check "systemctl stop: exit status 0, result success" \
	test "$(systemctl show -p ExecMainStatus --value jumpgate.service)" = 0 \
	-a "$(systemctl show -p Result --value jumpgate.service)" = success

systemctl enable --now jumpgate.socket >/dev/null 2>&1
check "socket activation: jumpgate.socket listening" active jumpgate.socket
check "socket activation: the service waits for a connection" \
	test "$(systemctl is-active jumpgate.service)" = inactive
check "socket activation: ssh -W starts the service and forwards" forward
check "socket activation: the daemon serves systemd's socket" \
	bash -c "journalctl -u jumpgate.service --no-pager -o cat |
		grep -q 'socket activation: 1 socket from systemd'"
systemctl disable --now jumpgate.socket >/dev/null 2>&1
systemctl stop jumpgate.service

rm -f /etc/jumpgate/authorized_keys/jgci
dpkg --purge jumpgate >/tmp/dpkg.log 2>&1 || sed 's/^/# /' /tmp/dpkg.log
check "purged: no package, configuration, state or account left" \
	test -z "$(dpkg-query -W -f='${Status}' jumpgate 2>/dev/null)" \
	-a ! -e /etc/jumpgate -a ! -e /var/lib/jumpgate \
	-a -z "$(getent passwd jumpgate)"
check "purged: systemd knows no jumpgate unit" \
	test -z "$(systemctl list-unit-files --no-legend 'jumpgate*' 2>/dev/null)"
