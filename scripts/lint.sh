#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh ARCH...: the static checks on our files, in the assembled tree:
# checkpatch --strict on every patch of the series, kernel-doc, and for
# each ARCH a W=1 build with sparse (C=2) of our objects, in the KUnit
# build directory that kunit.sh configured.  Prints each finding; exits
# non-zero if there is any.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

src=$(tree_dir ours)
out=$build/lint
rm -rf "$out"
mkdir -p "$out"
fail=0

cd "$top" || exit 1
mapfile -t cfiles < <(git ls-files --cached --others --exclude-standard \
	-- 'kernel/*.c' 'arch/*.c' 'include/*.h' 'kernel/*.h' 'arch/*.h')

log "checkpatch --strict on the series"
python3 scripts/series.py export "$out/patches" >/dev/null || exit 1
# New files are covered by the existing F: kernel/dma/ entry of MAINTAINERS;
# the compatibles of the dma_coherent suite's test nodes are no bindings.
# Debian's python3 first: checkpatch's SPDX check needs its python3-ply.
if ! (cd "$src" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict --quiet \
	--ignore FILE_PATH_CHANGES,UNDOCUMENTED_DT_STRING "$out"/patches/*.patch) > "$out/checkpatch.txt" 2>&1; then
	cat "$out/checkpatch.txt"
	fail=1
fi

log "kernel-doc on ${#cfiles[@]} files"
(cd "$src" && scripts/kernel-doc -none -Wall "${cfiles[@]}") \
	> "$out/kernel-doc.txt" 2>&1 || fail=1
if [ -s "$out/kernel-doc.txt" ]; then
	cat "$out/kernel-doc.txt"
	fail=1
fi

for arch in "$@"; do
	bdir=$build/kunit/ours-$arch
	[ -f "$bdir/.config" ] || die "no $arch build to lint in: run kunit.sh first"
	objs=()
	for f in "${cfiles[@]}"; do
		case $f in
		*.c) [ -f "$bdir/${f%.c}.o" ] && objs+=("${f%.c}.o") ;;
		esac
	done
	# No target would mean the whole kernel: refuse rather than build it.
	[ ${#objs[@]} -gt 0 ] || { log "no $arch objects of ours to lint"; fail=1; continue; }
	log "W=1 and sparse (C=2) on ${#objs[@]} $arch objects"
	# shellcheck disable=SC2046
	make -C "$src" O="$bdir" $(make_arch_args "$arch") \
		CC="$(kunit_cc "$arch")" W=1 C=2 "${objs[@]}" \
		> "$out/build-$arch.txt" 2>&1 || fail=1
	if grep -E '(warning|error):' "$out/build-$arch.txt" |
		grep -F -f <(printf '%s\n' "${cfiles[@]}") > "$out/findings-$arch.txt"; then
		cat "$out/findings-$arch.txt"
		fail=1
	fi
done

[ $fail -eq 0 ] && log "lint clean"
exit $fail
