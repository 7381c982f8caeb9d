#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# map-benchmark.sh full|quick TREE ARCH BOOT...: upstream's DMA map
# benchmark (kernel/dma/map_benchmark.c and the tool of
# tools/testing/selftests/dma, both from TREE) in the I/O kernel of TREE
# (CONFIG_DMA_MAP_BENCHMARK, DMA-API debugging built in and turned off with
# dma_debug=off), on QEMU's pci-testdev, one vCPU.
#
# BOOT: default (1 GiB), swiotlb (swiotlb=force), highmem (6 GiB: the
# 32-bit cases map buffers above 4 GiB, which bounce through swiotlb) and,
# on arm64, noncoherent (the PCIe host made dma-noncoherent in the device
# tree).  Full mode boots under -icount shift=4,sleep=off: a guest
# nanosecond is 1/16 of an instruction, and a boot gives the same figures
# every time.  Each case runs three times for 2 guest seconds, from
# different phases of the timer tick (see map-benchmark/init).  Quick mode
# (make check) boots without icount and runs one case once, to prove that
# the harness works.
#
# Each boot's console goes to .build/bench/map-TREE-ARCH-BOOT.log, where
# bench_report.py reads the "MAPBENCH: case=..." lines.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 4 ] || die "usage: map-benchmark.sh full|quick ours|base x86_64|arm64 BOOT..."
mode=$1 tree=$2 arch=$3
shift 3
src=$(tree_dir "$tree")
bdir=$(io_kernel_dir "$tree" "$arch")
out=$build/bench
mkdir -p "$out"

io_kernel_build "$tree" "$arch" || exit 1

# The tool, static, from the tree; map_benchmark.h is not a uapi header,
# so the tree's include/ comes after the C library's headers.
tool=$bdir/dma_map_benchmark
tlog=$out/map-tool-$tree-$arch.log
"$(cross_prefix "$arch")gcc" -static -O2 -idirafter "$src/include" \
	-o "$tool" "$src/tools/testing/selftests/dma/dma_map_benchmark.c" \
	> "$tlog" 2>&1 || { cat "$tlog" >&2; die "cannot build dma_map_benchmark for $arch"; }

busybox_initramfs "$arch" "$bdir" "$bdir/map-initramfs.cpio" \
	"$top/scripts/map-benchmark/init" \
	"file /bin/dma_map_benchmark $tool 0755 0 0" || exit 1

machine_of "$arch" "$src" || exit 1
qemu=("${machine_qemu[@]}")
cmdline=$machine_cmdline$(io_kernel_cmdline "$arch")
qemu+=(-smp 1 -display none -monitor none -serial stdio -no-reboot
	-device pci-testdev)

status=0
for boot in "$@"; do
	name=map-$tree-$arch-$boot
	logf=$out/$name.log
	mem=$(variant_mem "$boot")
	q=("${qemu[@]}" -m "${mem:-1024}")
	kargs="$cmdline panic=-1 dma_debug=off"
	case $boot in
	default | highmem) ;;
	swiotlb) kargs+=" $(variant_args swiotlb)" ;;
	noncoherent)
		[ "$arch" = arm64 ] || die "$boot: arm64 only"
		dtb_noncoherent "$bdir" "${q[@]}" ||
			{ log "$name: cannot make the non-coherent device tree"; status=1; continue; }
		q+=(-dtb "$bdir/virt-nc.dtb")
		;;
	*) die "unknown boot $boot" ;;
	esac
	if [ "$mode" = full ]; then
		# shellcheck disable=SC2054 # commas inside a QEMU option
		q+=(-icount shift=4,sleep=off)
		kargs+=" mapbench.seconds=2 mapbench.reps=3"
	else
		kargs+=" mapbench.quick=1"
	fi
	log "map benchmark ($mode): $tree/$arch, $boot (log: ${logf#"$top/"})"
	watched "$name" "$logf" "${q[@]}" \
		-kernel "$bdir/$(io_kernel_image "$arch")" \
		-initrd "$bdir/map-initramfs.cpio" -append "$kargs"
	rc=$?
	tr -d '\r' < "$logf" > "$logf.tmp" && mv "$logf.tmp" "$logf"
	if ! grep -q '^MAPBENCH-END: PASS' "$logf"; then
		why=$(stalled_why $rc) || why="log: ${logf#"$top/"}"
		log "$name: the map benchmark failed ($why)"
		grep -a 'MAPBENCH: FAIL' "$logf" | head -n 5 | sed 's/^/    /' >&2
		status=1
	fi
done
exit $status
