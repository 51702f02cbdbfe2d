#!/usr/bin/env bash
# The container image, end to end, as tests/run.sh runs it (as root, on
# Debian 12): build it with build.sh (no registry), run it with rootful
# podman with a configuration, the users' keys and a host key mounted,
# forward through it with ssh -W to a loopback target, check that it runs
# as uid 10022 and logs to the container's output, stop it (SIGTERM,
# exit 0), and remove the container and the images.
#
# The container shares the host's network namespace (--network=host):
# the target is a process on the host's loopback, as the application is
# on the pod's loopback for a sidecar.  Resource limits are given
# explicitly: podman's defaults (nofile 1048576, nproc 32768) are refused
# by some sandboxes' setrlimit, these work everywhere.  The runtime is
# runc (JG_RUNTIME to change it): crun refuses hybrid cgroup layouts.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" -eq 0 ] || { echo "container/ci-test.sh: must run as root" >&2; exit 1; }

tag=localhost/jumpgate:ci
base=localhost/jumpgate-base:bookworm
name=jumpgate-ci-$$
runtime=${JG_RUNTIME:-runc}
tmp=$(mktemp -d /tmp/jumpgate-ctr.XXXXXX)
target=""
. packaging/ci-tally.sh

cleanup() {
	local rc=$?
	podman --runtime="$runtime" rm -f "$name" >/dev/null 2>&1 || true
	podman image rm -f "$tag" "$base" >/dev/null 2>&1 || true
	# Under set -e a failing last command of a list would end the trap.
	if [ -n "$target" ]; then kill "$target" 2>/dev/null || true; fi
	if [ "${JG_KEEP:-}" = 1 ] || [ $rc -ne 0 ]; then
		echo "container/ci-test.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit $rc
}
trap cleanup EXIT


start=$(date +%s)
packaging/container/build.sh "$tag" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; exit 1; }
ok "$(tail -1 "$tmp/build.log") in $(( $(date +%s) - start ))s"
if podman run --rm --runtime="$runtime" --network=none \
    --ulimit nofile=4096:4096 --ulimit nproc=1024:1024 \
    --entrypoint /bin/sh "$tag" -c true >/dev/null 2>&1; then
	bad "image has no shell"
else
	ok "image has no shell"
fi

# Mounted: the configuration, one key file per user, the host key.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 0755 "$tmp/keys" "$tmp/hostkey"
ssh-keygen -q -t ed25519 -N '' -C jgci -f "$tmp/client"
echo "restrict,port-forwarding $(cat "$tmp/client.pub")" >"$tmp/keys/jgci"
chmod 0644 "$tmp/keys/jgci"
ssh-keygen -q -t ed25519 -N '' -C jgci-host -f "$tmp/hostkey/ssh_host_ed25519_key"
chown 10022:10022 "$tmp/hostkey/ssh_host_ed25519_key"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$tmp/hostkey/ssh_host_ed25519_key.pub")" \
	>"$tmp/known_hosts"

python3 -u packaging/echo-target.py >"$tmp/target.port" &
target=$!
for _ in $(seq 100); do [ -s "$tmp/target.port" ] && break; sleep 0.1; done
tport=$(cat "$tmp/target.port")

cat >"$tmp/jumpgate.conf" <<EOF
# ci-test.sh: the sidecar shape, on a free loopback port.
ListenAddress 127.0.0.1:$port
HostKey /etc/jumpgate/hostkey/ssh_host_ed25519_key
AuthorizedKeysFile /etc/jumpgate/authorized_keys/%u
PidFile none
LogLevel VERBOSE
Workers 1
PermitDestination 127.0.0.1:$tport
EOF
chmod 0644 "$tmp/jumpgate.conf"

podman --runtime="$runtime" run -d --name "$name" --network=host \
	--ulimit nofile=4096:4096 --ulimit nproc=1024:1024 \
	-v "$tmp/jumpgate.conf:/etc/jumpgate/jumpgate.conf:ro" \
	-v "$tmp/keys:/etc/jumpgate/authorized_keys:ro" \
	-v "$tmp/hostkey:/etc/jumpgate/hostkey:ro" \
	"$tag" >/dev/null
for _ in $(seq 300); do
	podman logs "$name" 2>&1 | grep -q "Server listening on 127.0.0.1 port $port\." &&
		break
	[ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
	sleep 0.1
done
if ! podman logs "$name" 2>&1 | grep -q "Server listening on 127.0.0.1 port $port\."; then
	podman logs "$name" 2>&1 | sed 's/^/# /'
	echo "container/ci-test.sh: the container did not start" >&2
	exit 1
fi
ok "container listens on 127.0.0.1:$port"
cpid=$(podman inspect --format '{{.State.Pid}}' "$name")
check "jumpgate in the container runs as uid 10022" \
	test "$(stat -c %u "/proc/$cpid")" = 10022

head -c 200000 /dev/urandom >"$tmp/payload"
if timeout 60 ssh -F /dev/null -i "$tmp/client" -p "$port" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$tmp/known_hosts" \
    -W 127.0.0.1:"$tport" jgci@127.0.0.1 <"$tmp/payload" >"$tmp/echoed" \
    2>"$tmp/ssh.log" && cmp -s "$tmp/payload" "$tmp/echoed"; then
	ok "ssh -W through the container: 200000 bytes echoed intact"
else
	sed 's/^/# /' "$tmp/ssh.log"
	podman logs "$name" 2>&1 | sed 's/^/# /'
	bad "ssh -W through the container"
fi
check "the container's log has the login and the forward" \
	bash -c "podman logs '$name' 2>&1 | grep -q 'Accepted publickey for jgci' &&
		podman logs '$name' 2>&1 | grep -q 'forward allowed for user jgci'"

podman stop -t 30 "$name" >/dev/null
check "podman stop (SIGTERM): exit status 0" \
	test "$(podman inspect --format '{{.State.ExitCode}}' "$name")" = 0

tally_report container
