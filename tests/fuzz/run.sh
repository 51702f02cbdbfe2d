#!/bin/sh
#
# run.sh: runs every libFuzzer target for a while on a scratch copy of
# its seed corpus, so the checked-in corpus never changes by accident.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
#
# BUILD_DIR was set up with CC=clang and -Dfuzz=true.  SECONDS (default
# 60) is per target.  Exits non-zero when any target crashed, leaked,
# timed out or printed a sanitizer report; the reproducer and the log are
# left in the scratch directory, whose path is printed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-60}
targets="fuzz_config_line fuzz_authkeys_options fuzz_permitopen fuzz_match
    fuzz_proxy fuzz_cert"
work=$(mktemp -d "${TMPDIR:-/tmp}/jgfuzz.XXXXXX")
failed=0

# Leaks count as failures; UBSan stops at the first report like ASan.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

for t in $targets; do
	bin=$build/tests/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "$t: $bin missing (CC=clang meson setup ... -Dfuzz=true?)"
		failed=1
		continue
	fi
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	cp "$here/corpus/$t/"* "$work/$t/corpus/"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix="$work/$t/artifacts/" \
	    "$work/$t/corpus" >"$work/$t/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$work/$t/log")
	# A sanitizer report without a non-zero exit still fails the run.
	if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' \
	    "$work/$t/log" || [ -n "$(ls "$work/$t/artifacts")" ]; then
		echo "$t: FAILED (exit $rc), log $work/$t/log"
		ls "$work/$t/artifacts"
		failed=1
	else
		echo "$t: ok, ${execs:-?} execs in ${secs}s," \
		    "$(ls "$work/$t/corpus" | wc -l) corpus files"
	fi
done

if [ $failed -eq 0 ]; then
	rm -rf "$work"
else
	echo "kept $work"
fi
exit $failed
