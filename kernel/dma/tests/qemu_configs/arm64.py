# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on arm64, for
#   kunit.py run --arch=arm64 --qemu_config=kernel/dma/tests/qemu_configs/arm64.py
# It is the one description of the machine: dma-kunit-dtb.sh dumps its
# device tree from it, and the benchmark and I/O boots of the DMA-direct
# repository start the same machine.  Test memory is in the device tree
# (coherent-virt.dtsi), which needs "-dtb" (see dma-kunit-dtb.sh).
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(
	linux_arch='arm64',
	kconfig='''
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y''',
	qemu_arch='aarch64',
	kernel_path='arch/arm64/boot/Image.gz',
	kernel_command_line='console=ttyAMA0',
	extra_qemu_params=['-machine', 'virt', '-cpu', 'max,pauth-impdef=on'])
