#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dma-kunit-dtb.sh [--arch=ARCH] OUT.dtb [QEMU_ARGS...]
#
# Write the device tree of the machine of the DMA suites on ARCH (arm64,
# the default, riscv or arm: qemu_configs/ARCH.py) with the nodes of
# coherent-virt.dtsi added at the top of its RAM: test memory for the
# dma_coherent suite and a device with a "shared-dma-pool" region.  Pass
# the same extra QEMU arguments as to kunit.py (e.g. -smp 4, or -m), since
# the tree describes the CPUs and the memory.  Then:
#
#   kunit.py run --arch=arm64 --cross_compile=aarch64-linux-gnu- \
#	--qemu_config=kernel/dma/tests/qemu_configs/arm64.py \
#	--kunitconfig=kernel/dma/tests \
#	--kunitconfig=kernel/dma/tests/arm64.kunitconfig \
#	--qemu_args="-dtb OUT.dtb"
#
# Needs python3, QEMU for ARCH and dtc (Debian: qemu-system-arm or
# qemu-system-misc, device-tree-compiler).
set -euo pipefail

arch=arm64
case ${1:-} in --arch=*) arch=${1#--arch=}; shift ;; esac
[ $# -ge 1 ] || { echo "usage: $0 [--arch=ARCH] OUT.dtb [QEMU_ARGS...]" >&2; exit 2; }
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
cfg=$here/qemu_configs/$arch.py
[ -f "$cfg" ] || { echo "$0: no machine for $arch" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

qemu=$(python3 "$here/qemu_configs/machine.py" "$cfg" qemu)
mapfile -t params < <(python3 "$here/qemu_configs/machine.py" "$cfg" params)
# QEMU merges the dumpdtb property into the -machine given before it.
# -m as kunit.py starts the machine, unless QEMU_ARGS say otherwise.
# QEMU says on stderr that it dumped the tree: shown only on failure.
"$qemu" -nodefaults -m 1024 -nographic "${params[@]}" \
	-machine "dumpdtb=$tmp/virt.dtb" "$@" >/dev/null 2>"$tmp/qemu.err" ||
	{ cat "$tmp/qemu.err" >&2; exit 1; }
dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb"

# The end of RAM: the highest end of the memory nodes' ranges, each
# given as two address and two size cells.
top=$(awk '
	/^\t*memory@/ { mem = 1 }
	mem && /reg = </ {
		gsub(/[<>;]/, "")
		print $3 " " $4 " " $5 " " $6
		mem = 0
	}' "$tmp/virt.dts" | while read -r ah al sh sl; do
		echo $(((ah << 32 | al) + (sh << 32 | sl)))
	done | sort -n | tail -n 1)
[ -n "$top" ] || { echo "$0: no memory node in the machine's tree" >&2; exit 1; }
# The test region is the 64 MiB 128 MiB below the end, the pool the
# 8 MiB after it.
region=$((top - 0x8000000))
pool=$((top - 0x4000000))
cells() { printf '0x%x 0x%x' $(($1 >> 32)) $(($1 & 0xffffffff)); }

# With RAM above 4 GiB, the default CMA area goes there too, 64 MiB at
# least 256 MiB below the end (aligned for any page size), out of 32-bit
# devices' reach as on large machines; the kernel would keep it under
# 4 GiB.  Below, the kernel places its own.
cma=$(((top - 0x10000000) & ~0x1fffffff))
cma_node() {
	[ "$cma" -ge $((1 << 32)) ] || return 0
	printf '/ { reserved-memory { dma-kunit-cma@%x {\n' "$cma"
	printf '\tcompatible = "shared-dma-pool";\n\treusable;\n'
	printf '\treg = <%s 0x0 0x4000000>;\n' "$(cells "$cma")"
	printf '\tlinux,cma-default;\n}; }; };\n'
}

# A later definition of a node merges into the earlier one.
{
	cat "$tmp/virt.dts"
	sed -e "s/REGION_CELLS/$(cells $region)/" -e "s/POOL_CELLS/$(cells $pool)/" \
	    -e "s/@REGION /@$(printf %x $region) /" -e "s/@POOL /@$(printf %x $pool) /" \
	    "$here/coherent-virt.dtsi"
	cma_node
} > "$tmp/test.dts"
dtc -q -I dts -O dtb -o "$out" "$tmp/test.dts"
