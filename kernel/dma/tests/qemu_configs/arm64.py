# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on arm64: pass this file to
# kunit.py run --arch=arm64 as --qemu_config.
# It is the one description of the machine: dma-kunit-dtb.sh dumps its
# device tree from it, and the benchmark of the DMA-direct repository
# boots it too.  Test memory is in the device tree
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
