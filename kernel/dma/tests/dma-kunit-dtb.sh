#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dma-kunit-dtb.sh OUT.dtb [QEMU_ARGS...]
#
# Write the device tree of the arm64 machine of the DMA suites
# (qemu_configs/arm64.py) with the nodes of coherent-virt.dtsi added:
# test memory for the dma_coherent suite and a device with a
# "shared-dma-pool" region.  Pass the same extra QEMU arguments as to
# kunit.py (e.g. -smp 4), since the tree describes the CPUs.  Then:
#
#   kunit.py run --arch=arm64 --cross_compile=aarch64-linux-gnu- \
#	--qemu_config=kernel/dma/tests/qemu_configs/arm64.py \
#	--kunitconfig=kernel/dma/tests \
#	--kunitconfig=kernel/dma/tests/arm64.kunitconfig \
#	--qemu_args="-dtb OUT.dtb"
#
# Needs python3, qemu-system-aarch64 and dtc (Debian: qemu-system-arm,
# device-tree-compiler).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 OUT.dtb [QEMU_ARGS...]" >&2; exit 2; }
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
cfg=$here/qemu_configs/arm64.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

qemu=$(python3 "$here/qemu_configs/machine.py" "$cfg" qemu)
mapfile -t params < <(python3 "$here/qemu_configs/machine.py" "$cfg" params)
# QEMU merges the dumpdtb property into the -machine given before it.
# -m as kunit.py starts the machine: coherent-virt.dtsi places its
# regions at the top of that RAM.
# QEMU says on stderr that it dumped the tree: shown only on failure.
"$qemu" -nodefaults -m 1024 -nographic "${params[@]}" \
	-machine "dumpdtb=$tmp/virt.dtb" "$@" >/dev/null 2>"$tmp/qemu.err" ||
	{ cat "$tmp/qemu.err" >&2; exit 1; }
dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb"
# A later definition of a node merges into the earlier one.
cat "$tmp/virt.dts" "$here/coherent-virt.dtsi" > "$tmp/test.dts"
dtc -q -I dts -O dtb -o "$out" "$tmp/test.dts"
