#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--quick]: the DMA API benchmark (kernel/dma/tests/bench.c) on
# the base tree and on ours, x86_64 and arm64 (ARCHES=... to choose), in
# the default and swiotlb=force boots; then upstream's dma_map_benchmark
# (scripts/map-benchmark.sh) on both trees, in the default, swiotlb=force
# and 6 GiB boots, and on arm64 with a non-coherent PCIe host too.
#
# Full mode builds a kernel per tree and arch from scripts/bench/bench.config
# and boots it under -icount shift=0,sleep=off, where guest nanoseconds are
# guest instructions; ours is booted twice to check that the figures
# repeat within 1%.  The table, a CSV and an SVG chart go to .build/bench/.
#
# Quick mode (make check) boots the KUnit kernels already built, without
# icount and with KUnit disabled, to prove the benchmark builds and runs,
# and on arm64 runs one case of dma_map_benchmark in the kernel of
# io_kernel_dir (make check: the arm64 debug kernel, already built).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

mode=full
[ "${1:-}" = --quick ] && mode=quick
arches=${ARCHES:-x86_64 arm64}
setup_args=()
[[ " $arches " == *" arm64 "* ]] && setup_args=(--io)
"$top/scripts/setup.sh" "${setup_args[@]}" || die "setup failed"
for tree in ours base; do
	python3 "$top/scripts/series.py" assemble $tree >&2 ||
		die "the series does not apply to the $tree tree"
done
out=$build/bench
mkdir -p "$out"
status=0

# boot_args ARCH: command line that sets up the device coherent pool on
# 64 MiB of memory the kernel does not use as RAM (QEMU gets 2 GiB).
boot_args() {
	case $1 in
	x86_64) echo 'memmap=64M$0x40000000 dma_bench.pool=64M@0x40000000' ;;
	arm64) echo 'mem=1984M dma_bench.pool=64M@0xbc000000' ;;
	esac
}

# boot KERNEL_DIR ARCH LOG ARGS...: boot a built kernel, on the machine of
# the KUnit boots (kernel/dma/tests/qemu_configs/ARCH.py) with 2 GiB, until
# it panics for want of a root file system, which ends QEMU (-no-reboot,
# panic=-1).
boot() {
	local bdir=$1 arch=$2 logf=$3 src kernel
	shift 3
	src=$(tree_dir ours)
	machine_of "$arch" "$src" &&
		kernel=$(python3 "$src/kernel/dma/tests/qemu_configs/machine.py" \
			"$src/kernel/dma/tests/qemu_configs/$arch.py" kernel) ||
		return 1
	local q=("${machine_qemu[@]}" -nodefaults -m 2048 -no-reboot -nographic
		-serial stdio)
	[ $mode = full ] && q+=(-icount shift=0,sleep=off)
	q+=(-kernel "$bdir/$kernel" -append "$machine_cmdline panic=-1 $*")
	watched "${logf##*/}" "$logf" "${q[@]}"
	grep -q 'dma_bench: done' "$logf"
}

build_bench_kernel() {
	log "building $1 kernel for $2 (benchmark config)"
	kunit_build "$1" "$2" "$(kernel_dir "$1" bench "$1-$2")" "$out/$1-$2-build.log" \
		--kunitconfig="$top/scripts/bench/bench.config"
}

runs=()
for arch in $arches; do
	for tree in base ours; do
		if [ $mode = full ]; then
			build_bench_kernel "$tree" "$arch" || { status=1; continue; }
			bdir=$(kernel_dir "$tree" bench "$tree-$arch") extra=
		else
			bdir=$(kernel_dir "$tree" kunit "$tree-$arch") extra=kunit.enable=0
		fi
		for variant in default swiotlb; do
			reps=1
			[ $mode = full ] && [ $tree = ours ] && [ $variant = default ] && reps=2
			for rep in $(seq 1 $reps); do
				name=$tree-$arch-$variant
				[ "$rep" -gt 1 ] && name=$name-repeat
				log "benchmark ($mode): $name"
				# shellcheck disable=SC2046
				if boot "$bdir" "$arch" "$out/$name.log" $extra \
					dma_bench.run=$mode $(boot_args "$arch") \
					$(variant_args "$variant"); then
					runs+=("$name")
				else
					log "$name: the benchmark did not finish (see .build/bench/$name.log)"
					status=1
				fi
			done
		done
	done
done

# map_boots ARCH: the boots of dma_map_benchmark on ARCH
map_boots() {
	echo default swiotlb highmem
	[ "$1" = arm64 ] && echo noncoherent
}

for arch in $arches; do
	if [ $mode = quick ]; then
		[ "$arch" = arm64 ] || continue
		trees=ours boots=default
	else
		trees="base ours" boots=$(map_boots "$arch")
	fi
	for tree in $trees; do
		# shellcheck disable=SC2086
		"$top/scripts/map-benchmark.sh" $mode "$tree" "$arch" $boots ||
			status=1
		for boot in $boots; do
			[ -f "$out/map-$tree-$arch-$boot.log" ] &&
				runs+=("map-$tree-$arch-$boot")
		done
	done
done

python3 "$top/scripts/bench_report.py" "$mode" "${runs[@]}" || status=1
exit $status
