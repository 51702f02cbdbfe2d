# Sourced by the packaging CI scripts (packaging/*/ci-test.sh): one line
# per check, "ok - WHAT" or "not ok - WHAT", and the count at the end.
passes=0
fails=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
bad() { fails=$((fails + 1)); echo "not ok - $*"; }
# check WHAT COMMAND...: ok when COMMAND succeeds.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
# "NAME: P passed, F failed"; false when anything failed.
tally_report() {
	echo "$1: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
