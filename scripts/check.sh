#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: everything.  The DMA suites on x86_64, arm64, riscv64 and
# 32-bit arm, each booted in five variants (default, swiotlb=force,
# coherent_pool=256K, 4 vCPUs, 6 GiB of RAM), and
# once on UML, on our tree and (differential run) on the pristine base
# tree with only the test patches, plus a debug kernel of our tree on
# x86_64 and arm64; that every patch of the series builds on its own; the
# compile matrix (our files on seven architectures and in configurations
# that toggle what they branch on, Debian's included); real block I/O on
# arm64 and riscv64 through disks that a device tree marks DMA
# non-coherent, with and without swiotlb=force; the benchmark in quick
# mode; then lint, the committed patches/6.12 against what git
# format-patch writes from them, and the upstream-overlap bounds.  The last lines are the KUnit total and the failed steps.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

arches=${ARCHES:-x86_64 arm64}
variants=${VARIANTS:-default swiotlb pool256k smp4 highmem}
# riscv64 and 32-bit arm (LPAE, highmem, CMA in highmem) boot the suites
# too; their kernels are tested, not linted, bisected or benchmarked (the
# compile matrix builds both with W=1).  UML (um), KUnit's default, runs
# the suites once, with kunit.py's own defaults and no arch fragment, as
# a developer without --arch gets them.
kunit_arches=${KUNIT_ARCHES:-${ARCHES:-x86_64 arm64 riscv arm um}}
# The debug kernel (lockdep, DMA API debugging, KASAN, kmemleak) is one
# more build per arch, on our tree only: arm64, where the suites reach the
# most code (non-coherent devices, remap, the atomic pools), and x86_64,
# with its own zones, memory encryption paths and GART ops.
debug_arches=${DEBUG_ARCHES-x86_64 arm64}
# The I/O boots, the quick map benchmark and the module boot boot the
# arm64 debug kernel, which has their drivers and the public-API suite
# as a module, when there is one (lib.sh: io_uses_kunit); riscv64's I/O
# boots boot its KUnit kernel in any case.
export IO_KERNEL=
[[ " $debug_arches " == *" arm64 "* && " $kunit_arches " == *" arm64 "* ]] &&
	IO_KERNEL=kunit
start=$SECONDS
status=0
failures=()

# failed WHAT: make check fails; WHAT is named again after the KUnit
# total, the last lines of the output, which are all a CI log may keep.
failed() {
	log "$1: FAILED"
	failures+=("$1")
	status=1
}

# timed NAME: end the step running since the last call, naming it NAME;
# the table of steps and their seconds closes the output.
steps=() step_start=$SECONDS
timed() {
	steps+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$1")")
	step_start=$SECONDS
}

# background NAME CMD...: run CMD at the lowest priority beside the KUnit
# builds and boots, on the CPU time they leave (a boot uses one CPU, a
# link one), its output into .build/results/NAME.out; the check waits
# for it (join) before anything that needs what it builds.
declare -A bg_pid
background() {
	local name=$1
	shift
	log "$name: started in the background (output: .build/results/$name.out)"
	(
		t=$SECONDS
		nice -n 19 "$@"
		rc=$?
		echo "$((SECONDS - t))" > "$build/results/$name.secs"
		exit $rc
	) > "$build/results/$name.out" 2>&1 &
	bg_pid[$name]=$!
}

# join NAME WHAT: wait for the background job NAME, show its output, and
# fail WHAT if it failed; its own duration joins the table of steps.
join() {
	local name=$1 rc

	[ -n "${bg_pid[$name]:-}" ] || return 0
	wait "${bg_pid[$name]}"
	rc=$?
	unset "bg_pid[$name]"
	cat "$build/results/$name.out"
	[ $rc -eq 0 ] || failed "$2"
	steps+=("$(printf '%5ss  %s' "$(cat "$build/results/$name.secs" 2>/dev/null)" \
		"$2 (in the background)")")
}

setup_args=()
[[ " $arches " == *" arm64 "* ]] && setup_args=(--io)
"$top/scripts/setup.sh" "${setup_args[@]}" || die "setup failed"
echo "DMA-direct rewrite: make check on Linux $(base_version "$build/base")" \
	"(Debian linux-source-6.12), arches: $kunit_arches"
python3 "$top/scripts/series.py" assemble ours || die "series does not apply"
python3 "$top/scripts/series.py" assemble base || die "test patches do not apply to base"
timed "setup, base tree, assembling both trees"

mkdir -p "$build/results"
rm -f "$build/results/watchdog.txt"
# Every architecture and configuration that builds our files: the
# objects concerned, with W=1, and the symbols of distribution kernels.
# It needs none of the KUnit kernels.
background matrix "$top/scripts/matrix.sh"

runs=()
ours_built=
for arch in $kunit_arches; do
	for tree in ours base; do
		t=$SECONDS
		vs=
		for v in $variants; do
			arch_runs_variant "$arch" "$v" && vs="$vs $v"
		done
		[ $tree = ours ] && [[ " $debug_arches " == *" $arch "* ]] &&
			vs="$vs debug"
		# shellcheck disable=SC2086
		"$top/scripts/kunit.sh" "$tree" "$arch" $vs ||
			failed "KUnit $tree/$arch"
		for v in $vs; do runs+=("$tree-$arch-$v"); done
		log "$tree/$arch done in $((SECONDS - t))s"
		timed "KUnit: $tree/$arch, build or cache and boots:$vs"
		[ $tree = ours ] && ours_built="$ours_built $arch "
	done
	# Every patch of the series builds on its own: the objects it
	# touches, with W=1, in the configuration of ours' KUnit kernels,
	# once those of every arch of the check are built.
	if [ -z "${bisect_started:-}" ]; then
		bisect_started=1
		for a in $arches; do
			[[ $ours_built == *" $a "* ]] || bisect_started=
		done
		# shellcheck disable=SC2086
		[ -n "$bisect_started" ] &&
			background bisect "$top/scripts/bisect-check.sh" $arches
	fi
done

# The public-API suite as a module, loaded by insmod as a distribution
# kernel's user loads it.
if [ "$IO_KERNEL" = kunit ]; then
	"$top/scripts/module-boot.sh" ours arm64 || failed "module boot"
	runs+=(ours-arm64-module)
	timed "KUnit: ours/arm64, the public-API suite as a module"
fi

# Lockdep and DMA API debugging report without failing a KUnit case (a
# KASAN report does fail it): look for their reports in the debug logs,
# the module boot's included (it boots the arm64 debug kernel), and in
# those of riscv64, whose KUnit kernels have DMA API debugging for the
# I/O boots (scripts/io-boot/default-riscv.kunitconfig).
for run in "${runs[@]}"; do
	case $run in
	*-debug | *-module | *-riscv-*) ;;
	*) continue ;;
	esac
	if [ ! -f "$build/results/$run.log" ]; then
		failed "$run: no kernel log to look for debug reports in"
		continue
	fi
	splats=$(grep -a -E 'BUG: |possible (circular|recursive) locking|inconsistent lock state|lock held when returning|DMA-API: ' \
		"$build/results/$run.log" |
		grep -a -v -E 'DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)')
	if [ -n "$splats" ]; then
		log "$run: debug reports in the kernel log:"
		echo "$splats" | head -n 20 | sed 's/^/    /'
		# The closing list names the first reports too: CI shows only
		# the end of the output.
		failed "$run: debug reports, the first of them:
$(echo "$splats" | head -n 5 | cut -c 1-200 | sed 's/^/      /')"
	else
		log "$run: no lockdep, DMA API or KASAN report in the kernel log"
	fi
	# kmemleak's reports after the suites' scan: any that names our
	# files or the suites fails.  The module boot runs no scan.
	[[ $run == *-debug ]] || continue
	arch=${run#ours-}
	arch=${arch%-debug}
	log "$run: kmemleak reports"
	python3 "$top/scripts/kmemleak_check.py" "$build/results/$run.log" \
		"$(kernel_dir ours kunit "ours-$arch")-debug" \
		"$(cross_prefix "$arch")nm" || failed "$run: kmemleak"
done
timed "debug reports and kmemleak"

io=$build/results/io-check.txt
: > "$io"
if [[ " $arches " == *" arm64 "* ]]; then
	log "real block I/O on arm64 with DMA non-coherent disks"
	"$top/scripts/io-boot.sh" ours arm64 noncoherent noncoherent-swiotlb |
		tee "$io" || failed "real block I/O, arm64"
fi
if [[ " $kunit_arches " == *" riscv "* ]]; then
	log "real block I/O on riscv64 with DMA non-coherent disks"
	"$top/scripts/io-boot.sh" ours riscv noncoherent noncoherent-swiotlb |
		tee -a "$io" || failed "real block I/O, riscv64"
fi
timed "real block I/O"

log "benchmark, quick mode: it builds and runs on both trees"
ARCHES=$arches "$top/scripts/bench.sh" --quick || failed benchmark
timed "benchmark, quick"

# The background jobs: what is left of them runs at full speed now, and
# lint, which builds in ours' KUnit build directories that the
# bisectability check reads, waits for them.
join bisect bisectability
join matrix "compile matrix"
# bisect-check.sh never started if an arch of the check had no KUnit run.
[ -n "${bisect_started:-}" ] || failed "bisectability: not every arch was built"
timed "bisectability and compile matrix, the rest after the boots"

# shellcheck disable=SC2086
"$top/scripts/lint.sh" $arches || failed lint
timed "lint"

# On the point release the patches were made against, byte for byte; on
# another, that they apply there and which of their files upstream
# changed since (series.py: check), told again at the end.
log "patches/6.12 against what git format-patch writes from them"
python3 "$top/scripts/series.py" check > "$build/results/base-check.txt" 2>&1
rc=$?
grep -v '^series: .*: applied ' "$build/results/base-check.txt"
[ $rc -eq 0 ] || failed "patches/6.12 as exported"

overlap=$top/../shared/bin/upstream-overlap
if [ -x "$overlap" ]; then
	log "upstream-overlap against the base tree"
	# The files are named: found through git, they would be none in a
	# clone that another user owns, and the step would pass unread.
	(cd "$top" && "$overlap" "$build/base" \
		kernel/dma/direct.c kernel/dma/direct.h \
		include/linux/dma-direct.h kernel/dma/coherent.c \
		kernel/dma/remap.c kernel/dma/ops_helpers.c kernel/dma/pool.c \
		arch/arm64/mm/dma-mapping.c) || failed upstream-overlap
else
	failed "upstream-overlap: $overlap not found (../shared must sit beside this repository)"
fi

timed "patches/6.12 and upstream-overlap"
log "make check took $((SECONDS - start))s"
echo
echo "Time of each step:"
printf '  %s\n' "${steps[@]}"
if [ -s "$io" ]; then
	echo
	echo "Real I/O, arm64, disks DMA non-coherent (device tree):"
	sed 's/^/  /' "$io"
fi
if [ -s "$build/results/matrix.txt" ]; then
	echo
	echo "Compile matrix (W=1; what each configuration kept of the DMA suites and features):"
	sed 's/^/  /' "$build/results/matrix.txt"
fi
# How close the boots came to being stopped for want of progress.
if [ -s "$build/results/watchdog.txt" ]; then
	echo
	echo "Boots and runs stop after ${STALL_SECS:-300}s without output; the longest quiet spells:"
	sort -t, -k1,1 -n -r <(sed 's/.*at most \([0-9]*\) s.*/\1,&/' \
		"$build/results/watchdog.txt") | head -n 3 | cut -d, -f2- | sed 's/^/  /'
fi
version=$(base_version "$build/base")
if grep -q '^series: the base tree is' "$build/results/base-check.txt"; then
	echo
	echo "The base tree is not the release the series was made against:"
	grep '^series: ' "$build/results/base-check.txt" |
		grep -v ': applied ' | sed 's/^series: /  /'
fi
if [ $status -eq 0 ] &&
	! grep -q "^Verified-on:.* $version\( \|$\)" "$top/patches/6.12/line"; then
	echo
	echo "Linux $version is not yet among the releases patches/6.12/line says"
	echo "the series was verified on: add it to Verified-on there."
fi
python3 "$top/scripts/summary.py" "${runs[@]}" || failed "KUnit results"
if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "make check FAILED in ${#failures[@]} step(s):"
	printf '  %s\n' "${failures[@]}"
fi
exit $status
