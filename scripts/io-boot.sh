#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# io-boot.sh TREE ARCH VARIANT...: build a small kernel from the assembled
# TREE (ours or base) for ARCH, then boot it under QEMU once per VARIANT with
# real emulated DMA-capable disks, and let the initramfs in io-boot/init
# write, read back and compare data on each of them.
#
#   x86_64 (q35):  NVMe, AHCI (SATA) and virtio-blk-pci
#   arm64, riscv64 (virt):  virtio-blk on virtio-mmio, virtio-blk-pci
#                  and NVMe
#
# The virtio disks have iommu_platform=on, so the guest drives them through
# the DMA API (there is no vIOMMU: dma-direct), like the others.
#
# VARIANT: default, swiotlb (swiotlb=force; 32 MiB of it on arm64 and
# riscv64, see below), and on arm64 and riscv64 noncoherent (the device
# tree QEMU generates, with the virtio-mmio and PCIe nodes made
# dma-noncoherent) and noncoherent-swiotlb (both).
#
# Sets up and assembles TREE first if needed.  The machine is that of the
# KUnit boots (kernel/dma/tests/qemu_configs/ARCH.py, its kernel command
# line included), with the disks added, an AHCI controller on x86_64 and
# modern virtio-mmio on arm64 and riscv64.  The kernel is allnoconfig plus
# io-boot/common.config and io-boot/ARCH.config, with CONFIG_DMA_API_DEBUG,
# built in kernel_dir TREE io TREE-ARCH; or the KUnit kernel that carries
# the same drivers (lib.sh: io_uses_kunit), riscv64's always.  The full console of each
# boot goes to .build/results/io-TREE-ARCH-VARIANT.log and one verdict
# line per variant to stdout.  The exit status is non-zero if the build or any variant
# failed.  IO_BOOT_CORRUPT=1 makes the guest compare one region against a
# wrong pattern: every variant must then fail (a self-test of the harness).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: io-boot.sh ours|base x86_64|arm64|riscv VARIANT..."
tree=$1 arch=$2
shift 2
"$top/scripts/setup.sh" --io || die "setup failed"
python3 "$top/scripts/series.py" assemble "$tree" >&2 ||
	die "the series does not apply"
src=$(tree_dir "$tree")
data=$top/scripts/io-boot
bdir=$(io_kernel_dir "$tree" "$arch")
res=$build/results
mkdir -p "$bdir" "$res"

# The machine of the KUnit boots, with 1 GiB and two vCPUs.
machine_of "$arch" "$src" || exit 1
qemu=("${machine_qemu[@]}")
qemu+=(-m 1G -smp 2)
cmdline=$machine_cmdline$(io_kernel_cmdline "$arch")

# shellcheck disable=SC2054 # commas inside QEMU options
case $arch in
x86_64)
	qemu+=(-device ich9-ahci,id=ahci)
	swiotlb=$(variant_args swiotlb)
	disks=(nvme ahci virtio-blk-pci)
	;;
arm64 | riscv)
	# virtio-mmio 2 (QEMU's default is the legacy 1, which cannot offer
	# VIRTIO_F_ACCESS_PLATFORM: the disk would bypass the DMA API)
	qemu+=(-global virtio-mmio.force-legacy=false)
	# A plain swiotlb=force gets a 1 MiB buffer here (both arches shrink
	# the default to 1 MiB per GiB of RAM for kmalloc bouncing), less than
	# one 1.25 MiB virtio-blk request: virtio-blk then retries the mapping
	# forever.  Any size but the default (32768 slabs) stops the shrinking.
	swiotlb="swiotlb=16384,force"
	disks=(virtio-blk-mmio virtio-blk-pci nvme)
	# riscv virt's default interrupt controller, the PLIC, offers PCI
	# devices INTx only, and NVMe's INTx interrupts get lost there (I/O
	# timeouts, the completions then found by polling).  The AIA's IMSIC
	# gives them MSI-X, as on arm64 (GICv3 ITS).
	[ "$arch" = riscv ] && qemu+=(-machine aia=aplic-imsic)
	;;
*) die "unknown arch $arch (x86_64, arm64 or riscv)" ;;
esac

for variant in "$@"; do
	case $variant in
	default | swiotlb) ;;
	noncoherent | noncoherent-swiotlb)
		[ "$arch" != x86_64 ] || die "$variant: arm64 and riscv only"
		command -v dtc >/dev/null || die "dtc not found (device-tree-compiler)"
		;;
	*) die "unknown variant $variant" ;;
	esac
done

io_kernel_build "$tree" "$arch" || exit 1
image=$(io_kernel_image "$arch")
busybox_initramfs "$arch" "$bdir" "$bdir/initramfs.cpio" "$data/init" \
	'dir /tmp 1777 0 0' || exit 1

# boot_variant VARIANT: boot the kernel once with VARIANT, its disks and
# device tree in a directory of its own, and print its verdict line;
# fails if the variant fails.  A guest that prints nothing for STALL_SECS
# seconds (default 300) is stopped, and the verdict says so (lib.sh:
# watched); a slow one is waited for.
boot_variant() {
	local variant=$1 name out work kargs qargs rc secs why end mib seen k l m stalled
	local klog list status=0 t0 i

	name=io-$tree-$arch-$variant
	out=$res/$name.log
	work=$bdir/$name
	rm -rf "$out" "$work"
	mkdir -p "$work" || return 1
	kargs="$cmdline panic=-1 iotest=$(IFS=,; echo "${disks[*]}")"
	qargs=()
	case $variant in
	*swiotlb) kargs+=" $swiotlb iotest_swiotlb=1" ;;
	esac
	case $variant in
	noncoherent*)
		kargs+=" iotest_nc=1"
		if ! dtb_noncoherent "$work" "${qemu[@]}"; then
			echo "$name: FAIL (cannot make the non-coherent device tree)"
			return 1
		fi
		qargs+=(-dtb "$work/virt-nc.dtb")
		;;
	esac
	[ "${IO_BOOT_CORRUPT:-0}" = 1 ] && kargs+=" iotest_corrupt=1"

	# Fresh sparse 64 MiB disks for every boot
	for i in 0 1 2; do
		truncate -s 64M "$work/disk$i.img"
	done
	drv() { echo "if=none,id=disk$1,file=$work/disk$1.img,format=raw"; }
	# shellcheck disable=SC2054
	if [ "$arch" = x86_64 ]; then
		qargs+=(-drive "$(drv 0)" -device nvme,serial=iotest-nvme,drive=disk0
			-drive "$(drv 1)" -device ide-hd,drive=disk1,bus=ahci.0
			-drive "$(drv 2)" -device virtio-blk-pci,drive=disk2,iommu_platform=on,disable-legacy=on)
	else
		qargs+=(-drive "$(drv 0)" -device virtio-blk-device,drive=disk0,iommu_platform=on
			-drive "$(drv 1)" -device virtio-blk-pci,drive=disk1,iommu_platform=on,disable-legacy=on
			-drive "$(drv 2)" -device nvme,serial=iotest-nvme,drive=disk2)
	fi

	log "booting $tree/$arch, $variant (log: .build/results/$name.log)"
	t0=$SECONDS
	watched "$name" "$out" "${qemu[@]}" -no-reboot \
		-display none -monitor none -serial stdio \
		-kernel "$bdir/$image" -initrd "$bdir/initramfs.cpio" \
		-append "$kargs" "${qargs[@]}"
	rc=$?
	secs=$((SECONDS - t0))
	tr -d '\r' < "$out" > "$out.tmp" && mv "$out.tmp" "$out"
	rm -rf "$work"

	# Verdict: every disk seen and verified, the guest's checks passed,
	# nothing suspicious in the kernel log, and QEMU stopped by itself.
	why=()
	if stalled=$(stalled_why $rc); then
		why+=("$stalled")
	elif [ $rc -ne 0 ]; then
		why+=("qemu exit status $rc")
	fi
	end=$(grep -a -o 'IOTEST-END: .*' "$out" | tail -n1)
	case $end in
	"IOTEST-END: PASS"*) ;;
	"") why+=("no end marker from /init") ;;
	*) why+=("guest checks failed") ;;
	esac
	mib=0 seen=()
	for k in "${disks[@]}"; do
		l=$(grep -a -o "IOTEST-DISK: [^ ]* $k [A-Z]*.*" "$out" | head -n1)
		case $l in
		*" PASS "*)
			seen+=("$k")
			m=${l#* PASS }
			mib=$((mib + ${m%% MiB*}))
			;;
		"") why+=("no $k disk") ;;
		*) why+=("$k disk failed") ;;
		esac
	done
	# QEMU's own word that it was stopped is not the kernel's.
	klog=$(grep -a -v -e 'IOTEST' -e '^qemu-system-[^:]*: terminating on signal' "$out" |
		grep -a -E 'WARNING:|BUG:|Oops|Kernel panic|Call [Tt]race|DMA-API: |I/O error|swiotlb buffer is full|Unable to handle|[Tt]imed out|timeout' |
		grep -a -v -E 'DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)')
	[ -n "$klog" ] && why+=("suspicious kernel log lines")
	grep -a -q 'reboot: Power down' "$out" || why+=("no clean power off")

	if [ ${#why[@]} -eq 0 ]; then
		list=$(IFS=,; echo "${seen[*]}")
		echo "$name: PASS (${list//,/, }:" \
			"${#seen[@]} disks, $mib MiB verified, ${secs}s)"
	else
		status=1
		list=$(IFS=';'; echo "${why[*]}")
		echo "$name: FAIL (${list//;/; }, ${secs}s)"
		grep -a -E 'IOTEST: FAIL|IOTEST-KLOG' "$out" | head -n 20 | sed 's/^/    /'
		[ -n "$klog" ] && echo "$klog" | head -n 20 | sed 's/^/    /'
	fi
	return $status
}

# The variants boot IO_BOOT_JOBS (default 2) at a time: the guest does
# its I/O on one vCPU most of the time.  Their verdicts print in order.
for variant in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "${IO_BOOT_JOBS:-2}" ]; do
		wait -n
	done
	boot_variant "$variant" > "$res/io-$tree-$arch-$variant.verdict" &
done
wait
status=0
for variant in "$@"; do
	v=$res/io-$tree-$arch-$variant.verdict
	cat "$v"
	grep -q "^io-$tree-$arch-$variant: PASS " "$v" || status=1
done
exit $status
