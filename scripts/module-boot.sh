#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module-boot.sh TREE ARCH: run the public-API suite as a module, as the
# user of a distribution kernel does with modprobe.  Boots the debug
# KUnit kernel of TREE and ARCH (kunit.sh TREE ARCH debug builds it with
# CONFIG_MODULES=y and CONFIG_DMA_API_KUNIT_TEST=m where
# scripts/io-boot/debug-ARCH.kunitconfig exists: arm64) on the machine
# of the KUnit boots, with an initramfs whose /init
# (module-boot/init) loads kernel/dma/tests/dma_api_kunit.ko with insmod
# and powers off; kunit.filter_glob keeps the built-in suites from
# running at boot.  The suite's KTAP lines are parsed by kunit.py into
# .build/results/TREE-ARCH-module.json, a run for summary.py, beside the
# console in TREE-ARCH-module.log.  Fails if the boot gives no results.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: module-boot.sh ours|base ARCH"
tree=$1 arch=$2
src=$(tree_dir "$tree")
bdir=$(kernel_dir "$tree" kunit "$tree-$arch-debug")
res=$build/results
name=$tree-$arch-module
ko=$bdir/kernel/dma/tests/dma_api_kunit.ko
work=$bdir/.$name

rm -rf "$work" "$res/$name".{log,json,out,ktap}
mkdir -p "$res" "$work"
[ -f "$ko" ] || die "no $ko: run scripts/kunit.sh $tree $arch debug"
image=$(io_kernel_image "$arch") && machine_of "$arch" "$src" &&
	busybox_initramfs "$arch" "$bdir" "$work/initramfs.cpio" \
		"$top/scripts/module-boot/init" \
		"file /dma_api_kunit.ko $ko 0644 0 0" || exit 1

log "loading dma_api_kunit.ko in $tree/$arch (log: .build/results/$name.log)"
watched "$name" "$res/$name.log" "${machine_qemu[@]}" -m 1G -no-reboot \
	-display none -monitor none -serial stdio -kernel "$bdir/$image" \
	-initrd "$work/initramfs.cpio" \
	-append "$machine_cmdline panic=-1 kunit.filter_glob=dma_api"
rc=$?
tr -d '\r' < "$res/$name.log" > "$res/$name.log.tmp" &&
	mv "$res/$name.log.tmp" "$res/$name.log"
rm -rf "$work"
why=$(stalled_why $rc) && die "$name: $why (see .build/results/$name.log)"
grep -q '^MODULE-BOOT: loaded' "$res/$name.log" ||
	die "$name: the module did not load (see .build/results/$name.log)"

# The suite's lines, without the console's prefixes (time, caller), made
# the one test of a KTAP document: a module's suite has no header of its
# own, and carries the number of the suites that ran before it.
{
	printf 'KTAP version 1\n1..1\n    KTAP version 1\n'
	sed -e 's/^\[ *[0-9.]*\] //' -e 's/^\[ *[CT][0-9]*\] //' \
		"$res/$name.log" |
		sed -n '/^    # Subtest: dma_api$/,/^\(not \)\{0,1\}ok [0-9]* dma_api$/p' |
		sed 's/^\(\(not \)\{0,1\}ok\) [0-9]* dma_api$/\1 1 dma_api/'
} > "$res/$name.ktap"
python3 "$src/tools/testing/kunit/kunit.py" parse --json="$res/$name.json" \
	< "$res/$name.ktap" > "$res/$name.out" 2>&1
grep -E '^\[..:..:..\] (=|\[|Testing|Ran)' "$res/$name.out"
[ -s "$res/$name.json" ] || die "$name: no results"
