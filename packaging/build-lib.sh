# Sourced by packaging/demo.sh and tests/run.sh: quiet builds that still
# show what went wrong.

# Runs a command with its output hidden, unless it fails.
build_quiet() {
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "failed: $*" >&2
		return 1
	fi
}

# Configures DIR unless it holds a finished setup.  A setup that failed
# half-way leaves DIR without build.ninja, and meson then refuses to
# configure it again: start it afresh.
build_setup() {
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] && return 0
	rm -rf "$dir"
	build_quiet meson setup "$dir" "$@"
}
