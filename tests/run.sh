#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, runs every test,
# then builds again under AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test again, then runs each libFuzzer target for a minute.
# After the plain pass: the Debian package, the container image and the
# systemd units end to end (packaging/{debian,container,systemd}/ci-test.sh).
# This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh --test
. packaging/build-lib.sh

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87"

run_suite() {
	local dir=$1 skip=$2; shift 2
	build_setup "$dir" -Dwerror=true -Dtests=enabled "$@"
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2 $skip \
		${JG_TEST_ARGS:-}
}

run_suite build-test ""
# The Debian package: build, install, serve, forward, purge (about 20 s);
# the container image: build without a registry, run, forward (about 15 s);
# the systemd units under systemd as PID 1 in a container, with an upgrade
# (about 70 s).
packaging/debian/ci-test.sh
packaging/container/ci-test.sh
packaging/systemd/ci-test.sh
run_suite build-asan "" -Db_sanitize=address,undefined \
	-Db_lundef=false -Dc_args=-fno-sanitize-recover=all

# libFuzzer (clang) on the config line, authorized_keys options, PermitOpen
# and destination entries, and the pattern/CIDR matchers: about a minute each.
CC=clang build_setup build-fuzz -Dwerror=true -Dtests=enabled -Dfuzz=true
ninja -C build-fuzz
tests/fuzz/run.sh build-fuzz "${JG_FUZZ_SECONDS:-60}"
echo "all tests passed (plain and ASan/UBSan builds, fuzzers)"
