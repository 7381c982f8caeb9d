#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dma-kunit-dtb.sh OUT.dtb [QEMU_ARGS...]
#
# Write the device tree of QEMU's arm64 "virt" machine, as kunit.py starts
# it, with the nodes of kernel/dma/tests/coherent-virt.dtsi added: test
# memory for the dma_coherent suite and a device with a "shared-dma-pool"
# region.  Pass the same extra QEMU arguments as to kunit.py (e.g. -smp 4),
# since the tree describes the CPUs.  Then run the suite with
#
#   kunit.py run --arch=arm64 ... --qemu_args="-dtb OUT.dtb"
#
# Needs qemu-system-aarch64 and dtc (Debian: qemu-system-arm,
# device-tree-compiler).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 OUT.dtb [QEMU_ARGS...]" >&2; exit 2; }
out=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)/kernel/dma/tests/coherent-virt.dtsi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The machine of tools/testing/kunit/qemu_configs/arm64.py, -m as kunit.py.
qemu-system-aarch64 -nodefaults -m 1024 -nographic \
	-machine "virt,dumpdtb=$tmp/virt.dtb" -cpu max,pauth-impdef=on "$@" \
	>/dev/null
dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb"
# A later definition of a node merges into the earlier one.
cat "$tmp/virt.dts" "$src" > "$tmp/test.dts"
dtc -q -I dts -O dtb -o "$out" "$tmp/test.dts"
