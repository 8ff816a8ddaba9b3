#!/bin/bash
# Check that every tracked C file under src/, include/ and tests/ is laid out
# as .clang-format says.  Changes nothing: lists the files clang-format would
# change and exits 1 if there are any (0 when all conform, 2 when
# clang-format is missing).  To fix a file: clang-format -i FILE.
#
#   utils/check-format.sh [-v]     -v: also print clang-format's diagnostics
#
# CLANG_FORMAT selects the binary (default clang-format).  The tree is laid
# out with clang-format 14; other versions may disagree on some lines.
set -u

verbose=false
if [ "${1:-}" = "-v" ]; then
	verbose=true
elif [ $# -gt 0 ]; then
	echo "usage: $0 [-v]" >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "check-format: $cf not found; install clang-format 14 (./utils/install-deps.sh does)" >&2
	exit 2
fi
case "$("$cf" --version)" in
*"version 14."*) ;;
*) echo "check-format: note: $("$cf" --version) is not clang-format 14" >&2 ;;
esac

cd "$top" || exit 2
nfiles=$(git ls-files -- 'src/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' | wc -l)
if [ "$nfiles" -eq 0 ]; then
	echo "check-format: no tracked C files found under $top" >&2
	exit 2
fi

# One clang-format per file (in parallel) so that a file is listed by its
# exit status, not by parsing diagnostics.
# shellcheck disable=SC2016
mapfile -t bad < <(git ls-files -z -- 'src/*.[ch]' 'include/*.[ch]' 'tests/*.[ch]' |
	xargs -0 -n 1 -P "$(nproc)" sh -c \
		'"$0" --style=file --dry-run --Werror "$1" >/dev/null 2>&1 || printf "%s\n" "$1"' \
		"$cf" | sort)

for f in "${bad[@]}"; do
	echo "$f"
	if $verbose; then
		"$cf" --style=file --dry-run "$f"
	fi
done
if [ ${#bad[@]} -gt 0 ]; then
	echo "check-format: ${#bad[@]} of $nfiles files differ from .clang-format" \
	     "(clang-format -i FILE to fix)" >&2
	exit 1
fi
echo "check-format: all $nfiles files conform to .clang-format"
