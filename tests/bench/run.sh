#!/usr/bin/env bash
# jumpgate benchmark: jumpgate vs OpenSSH sshd vs Dropbear on loopback.
#
#   tests/bench/run.sh            full run (about 6 minutes); writes
#                                 tests/bench/results/ and the table in
#                                 tests/bench/README.md
#   tests/bench/run.sh --smoke    every measurement at a tiny size (well
#                                 under a minute); exits non-zero if any fails
#
# Needs root (sshd and Dropbear log in the benchmark user, root).  Installs
# openssh-server, dropbear-bin and gnuplot-nox if missing.  Uses the
# binaries in $JUMPGATE and $JGBENCH when set; otherwise builds this tree in
# $JG_BENCH_BUILD (default: build-bench at the top of the tree).  Extra
# arguments go to bench.py (e.g. --servers jumpgate,sshd --keep).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

smoke=
for a in "$@"; do [ "$a" = --smoke ] && smoke=1; done

if [ -z "${JUMPGATE:-}" ] || [ -z "${JGBENCH:-}" ]; then
	build=${JG_BENCH_BUILD:-$top/build-bench}
	. "$top/packaging/build-lib.sh"
	(cd "$top" && build_setup "$build" -Dtests=enabled)
	ninja -C "$build" server/jumpgate tests/bench/jgbench
	JUMPGATE=${JUMPGATE:-$build/server/jumpgate}
	JGBENCH=${JGBENCH:-$build/tests/bench/jgbench}
fi

rev=${JG_BENCH_REV:-$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)}
if [ -n "$smoke" ]; then
	out=${JG_BENCH_OUT:-$(mktemp -d /tmp/jgbench-smoke.XXXXXX)}
	extra=()
else
	out=${JG_BENCH_OUT:-$here/results}
	extra=(--readme)
fi
exec /usr/bin/python3 "$here/bench.py" --jumpgate "$JUMPGATE" \
	--jgbench "$JGBENCH" --out "$out" --rev "$rev" "${extra[@]}" "$@"
