#!/usr/bin/env bash
# Builds the Debian package from a copy of the tree, so that nothing is
# written next to the checkout (dpkg-buildpackage wants debian/ at the
# top and writes the .deb into the parent directory).
#   packaging/debian/build.sh OUTDIR [VERSION]
#                                    -> OUTDIR/jumpgate_VERSION_ARCH.deb
# VERSION (for upgrade tests) replaces debian/changelog's in the copy.
# The build log is OUTDIR/build.log; the path of the .deb is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=$(realpath "${1:?usage: build.sh OUTDIR}")
mkdir -p "$out"

src=$(mktemp -d "$out/src.XXXXXX")
trap 'rm -rf "$src"' EXIT
mkdir "$src/jumpgate"
# The tracked and the new files, no build directories.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z -c -o --exclude-standard |
		tar -C "$top" --null -T - -cf - | tar -C "$src/jumpgate" -xf -
else
	tar -C "$top" --exclude='./build*' -cf - . | tar -C "$src/jumpgate" -xf -
fi
rm -rf "$src/jumpgate/debian"
cp -r packaging/debian "$src/jumpgate/debian"
if [ -n "${2:-}" ]; then
	{
		printf 'jumpgate (%s) unstable; urgency=medium\n\n' "$2"
		printf '  * Rebuilt as %s.\n\n' "$2"
		printf ' -- %s  %s\n\n' "$(sed -n 's/^Maintainer: //p' packaging/debian/control)" \
			"$(date -R)"
		cat packaging/debian/changelog
	} >"$src/jumpgate/debian/changelog"
fi
if ! (cd "$src/jumpgate" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -60 "$out/build.log" >&2
	echo "debian/build.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
mv "$src"/*.deb "$src"/*.buildinfo "$src"/*.changes "$out"/
ver=$(dpkg-parsechangelog -l "$src/jumpgate/debian/changelog" -S Version)
ls "$out"/jumpgate_"$ver"_*.deb
