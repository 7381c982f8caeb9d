#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bisect-check.sh ARCH...: every patch of the series builds.  For each
# patch of the assembled tree (.build/linux) in order, check it out and
# build, with W=1, the objects it touches: those of the .c files it
# changes and those that include a header it changes, as the final KUnit
# kernel of ARCH builds them (their .cmd files name their headers).  A
# build error, or a warning in one of the series' files, fails the check.
#
# Needs the KUnit build of our tree for each ARCH (kernel_dir ours kunit
# ours-ARCH, made by kunit.sh) for its .config and dependency files.
# Patches are checked out in a worktree of their own, .build/bisect, and
# built in .build/bisect-out/ARCH, so make rebuilds only what a patch
# changes.
#
# A clean build is remembered, like ccache remembers an object, under a
# key of everything that decides it: the patch's tree (all of its files),
# the .config, the compiler and the objects.  A patch whose key built
# cleanly before, in any clone on this machine, is not built again
# (BISECT_CACHE=0 builds every patch).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tree=$build/linux
wt=$build/bisect
res=$build/results
mkdir -p "$res"
[ $# -gt 0 ] || set -- x86_64 arm64

shas=$(git -C "$tree" rev-list --reverse base..HEAD) ||
	die "no assembled tree in $tree: run series.py assemble ours"
git -C "$build/base" worktree prune
[ -e "$wt/.git" ] ||
	git -C "$build/base" worktree add -q --detach "$wt" base ||
	die "cannot make the worktree $wt"

# objects_of SHA KBDIR: the objects of KBDIR that patch SHA touches and
# whose source exists at that patch.
objects_of() {
	local sha=$1 kb=$2 f o

	for f in $(git -C "$tree" diff-tree --no-commit-id --name-only -r "$sha"); do
		case $f in
		*.c)
			echo "${f%.c}.o" ;;
		*.h)
			# The .cmd file of each object lists the headers it read.
			(cd "$kb" && grep -rlF --include='.*.o.cmd' "/$f" .) |
				sed -e 's|^\./||' -e 's|\.\([^/]*\)\.cmd$|\1|'
			;;
		esac
	done | sort -u | while read -r o; do
		case $o in
		# A vDSO object is built by its own sub-make, with flags of
		# its own: as a target of the kernel's make it fails to
		# compile.  Every full kernel build compiles it.
		*/vdso*/*) continue ;;
		esac
		[ -f "$kb/$o" ] && [ -f "$wt/${o%.o}.c" ] && echo "$o"
	done
}

# Warnings in our own files: the series' files and the test directory.
ours_re='(kernel/dma/|include/linux/dma-direct\.h|include/linux/dma-map-ops\.h|arch/arm64/mm/dma-mapping\.c)[^:]*:[0-9]+(:[0-9]+)?: (warning|error)'

cache=${XDG_CACHE_HOME:-$HOME/.cache}/dma-direct-check/bisect
[ "${BISECT_CACHE:-1}" = 0 ] && cache=
[ -z "$cache" ] || mkdir -p "$cache" || cache=

# build_key SHA ARCH OBJ...: the key of a clean build of OBJ at patch SHA.
build_key() {
	local sha=$1 arch=$2
	shift 2
	{
		git -C "$tree" rev-parse "$sha^{tree}"
		echo "$arch"
		sha256sum < "$kb/.config"
		echo "$cc_version"
		printf '%s\n' "$@"
	} | sha256sum | cut -d' ' -f1
}

status=0
for arch in "$@"; do
	kb=$(kernel_dir ours kunit "ours-$arch")
	out=$build/bisect-out/$arch
	logf=$res/bisect-$arch.log
	[ -f "$kb/.config" ] || die "no KUnit build of ours for $arch in $kb"
	cc_version=$($(kunit_cc "$arch") --version | head -n 1)
	mkdir -p "$out"
	: > "$logf"
	start=$SECONDS
	n=0 built=0 failed=0 cached=0
	# The .config of the previous patch stands until a patch changes a
	# Kconfig file: olddefconfig would give the same one again, and a
	# new .config costs every patch a kbuild syncconfig.
	reconfig=1
	for sha in $shas; do
		n=$((n + 1))
		subject=$(git -C "$tree" log -1 --format=%s "$sha")
		git -C "$wt" checkout -q --detach "$sha" || die "cannot check out $sha"
		git -C "$tree" diff-tree --no-commit-id --name-only -r "$sha" |
			grep -q '\(^\|/\)Kconfig[^/]*$' && reconfig=1
		mapfile -t objs < <(objects_of "$sha" "$kb")
		if [ ${#objs[@]} -eq 0 ]; then
			echo "[$n] $subject: no object to build" >> "$logf"
			continue
		fi
		key=
		[ -z "$cache" ] || key=$(build_key "$sha" "$arch" "${objs[@]}")
		if [ -n "$key" ] && [ -e "$cache/$key" ]; then
			echo "[$n] $subject: ${#objs[@]} objects, built cleanly before" >> "$logf"
			cached=$((cached + 1))
			continue
		fi
		# The final config; symbols that this patch does not know yet
		# drop out.
		if [ $reconfig = 1 ]; then
			cp "$kb/.config" "$out/.config"
			# shellcheck disable=SC2046
			make -C "$wt" O="$out" $(make_arch_args "$arch") \
				CC="$(kunit_cc "$arch")" olddefconfig > /dev/null 2>&1 ||
				die "olddefconfig failed at patch $n ($arch)"
			reconfig=0
		fi
		echo "[$n] $subject: ${#objs[@]} objects" >> "$logf"
		# shellcheck disable=SC2046
		make -C "$wt" O="$out" $(make_arch_args "$arch") \
			CC="$(kunit_cc "$arch")" W=1 -j"$(nproc)" -k \
			"${objs[@]}" > "$logf.step" 2>&1
		rc=$?
		cat "$logf.step" >> "$logf"
		warnings=$(grep -E "$ours_re" "$logf.step")
		if [ $rc -ne 0 ] || [ -n "$warnings" ]; then
			log "bisect $arch: patch $n fails to build cleanly: $subject"
			grep -E "$ours_re|Error|error:" "$logf.step" | head -n 20 |
				sed 's/^/    /'
			failed=$((failed + 1))
			status=1
		else
			built=$((built + ${#objs[@]}))
			[ -z "$key" ] || : > "$cache/$key"
		fi
	done
	rm -f "$logf.step"
	log "bisect $arch: $n patches, $built objects built, $cached patches built cleanly before, $failed patches failed ($((SECONDS - start))s; log: .build/results/bisect-$arch.log)"
done
exit $status
