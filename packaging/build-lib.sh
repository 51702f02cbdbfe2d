# Sourced by packaging/demo.sh, tests/run.sh and the packaging CI scripts:
# installing what is missing, and quiet builds that still show what went
# wrong.

# Installs those of the named Debian packages that are missing.
deps_install() {
	local p sudo="" missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "installing: ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

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
