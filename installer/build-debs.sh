#!/bin/sh
# Build certlink's Debian packages (debian/, docs/packaging.md): certlink, certlink-desktop and
# certlink-server, as dpkg-buildpackage -us -uc -b builds them, into OUTDIR.
#
#   installer/build-debs.sh [--no-deps] [--lintian] [--no-dbgsym] OUTDIR
#
# The build runs in a copy of the source tree (build directories and .git left out), so the checkout is not
# touched. --no-deps skips installer/deps.sh (the package test, which must not install anything);
# --lintian runs lintian on the result and fails on an error or an unexplained warning; --no-dbgsym skips
# the debug symbol packages. Prints the paths of the .deb files.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
deps=1
lint=0
dbgsym=1
out=""
for arg in "$@"; do
	case "$arg" in
	--no-deps) deps=0 ;;
	--lintian) lint=1 ;;
	--no-dbgsym) dbgsym=0 ;;
	-*) echo "usage: installer/build-debs.sh [--no-deps] [--lintian] [--no-dbgsym] OUTDIR" >&2; exit 100 ;;
	*) out=$arg ;;
	esac
done
[ -n "$out" ] || { echo "usage: installer/build-debs.sh [--no-deps] [--lintian] [--no-dbgsym] OUTDIR" >&2; exit 100; }
[ "$deps" = 0 ] || "$top/installer/deps.sh"
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/certlink-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# dpkg-buildpackage writes the packages into the parent of the source directory.
src=$work/certlink
mkdir "$src"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./obj-*' --exclude=./debian/.debhelper \
	--exclude=./debian/files --exclude='./debian/*.substvars' --exclude='./debian/*.debhelper' \
	--exclude=./debian/certlink --exclude=./debian/certlink-desktop --exclude=./debian/certlink-server \
	--exclude=./debian/tmp --exclude='__pycache__' -cf - . | tar -C "$src" -xf -

opts="parallel=$(nproc)"
[ "$dbgsym" = 1 ] || opts="$opts noautodbgsym"
(cd "$src" && DEB_BUILD_OPTIONS="$opts ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -n 60 "$work/build.log" >&2
	echo "build-debs: dpkg-buildpackage failed (last lines above)" >&2
	exit 1
}
for f in "$work"/*.deb "$work"/*.ddeb "$work"/*.changes "$work"/*.buildinfo; do
	[ -e "$f" ] && cp "$f" "$out/"
done
cp "$work/build.log" "$out/build.log"

if [ "$lint" = 1 ]; then
	# --fail-on error,warning: every warning that stays is explained in debian/*.lintian-overrides.
	lintian --fail-on error,warning "$out"/certlink_*.changes >"$out/lintian.log" 2>&1 || {
		cat "$out/lintian.log" >&2
		echo "build-debs: lintian found problems (above)" >&2
		exit 1
	}
fi
ls "$out"/*.deb
