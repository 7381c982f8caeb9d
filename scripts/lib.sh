# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the project scripts; sourced, never run.

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# base_version DIR: the kernel version of the tree in DIR, e.g. 6.12.117
base_version() {
	local mk=$1/Makefile v p s
	v=$(sed -n 's/^VERSION = //p' "$mk")
	p=$(sed -n 's/^PATCHLEVEL = //p' "$mk")
	s=$(sed -n 's/^SUBLEVEL = //p' "$mk")
	echo "$v.$p.$s"
}

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/.build

# tree_dir ours|base: the assembled tree the KUnit run uses
tree_dir() {
	case $1 in
	ours) echo "$build/linux" ;;
	base) echo "$build/base-tests" ;;
	*) die "unknown tree $1" ;;
	esac
}

# kunit_arch_args ARCH: kunit.py options selecting ARCH, with ccache
kunit_arch_args() {
	case $1 in
	x86_64) echo "--arch=x86_64" ;;
	arm64) echo "--arch=arm64 --cross_compile=aarch64-linux-gnu-" ;;
	*) die "unknown arch $1 (x86_64 or arm64)" ;;
	esac
}

kunit_cc() {
	case $1 in
	x86_64) echo "ccache gcc" ;;
	arm64) echo "ccache aarch64-linux-gnu-gcc" ;;
	esac
}

# variant_args VARIANT: extra kernel command line of a test variant
variant_args() {
	case $1 in
	default|smp4|debug) echo "" ;;
	swiotlb) echo "swiotlb=force" ;;
	pool256k) echo "coherent_pool=256K" ;;
	*) die "unknown variant $1" ;;
	esac
}

# variant_cpus VARIANT: number of vCPUs QEMU gets
variant_cpus() {
	case $1 in
	smp4) echo 4 ;;
	*) echo 1 ;;
	esac
}

# arch_boot_args ARCH: kernel command line of every test boot.  On x86_64
# the dma_coherent suite gets 64 MiB that the kernel does not use (arm64
# gets its test memory from the device tree instead).
arch_boot_args() {
	case $1 in
	x86_64) echo 'memmap=64M$0x30000000' ;;
	esac
}
