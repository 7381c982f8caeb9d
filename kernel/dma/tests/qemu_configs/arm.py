# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on 32-bit arm: pass this file to
# kunit.py run --arch=arm as --qemu_config.  QEMU's "virt" machine with a
# Cortex-A15 (LPAE) and 2 GiB of RAM from 1 GiB, so that with the 3G/1G
# split about 1.2 GiB of it is highmem: arm.kunitconfig builds the
# kernel with LPAE and HIGHMEM, and cma= puts the CMA area in highmem.
# Test memory is in the device tree (coherent-virt.dtsi, dma-kunit-dtb.sh
# --arch=arm), at the top of RAM.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(
	linux_arch='arm',
	kconfig='''
CONFIG_ARCH_VIRT=y
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y''',
	qemu_arch='arm',
	kernel_path='arch/arm/boot/zImage',
	kernel_command_line='console=ttyAMA0 cma=32M@0xb0000000',
	extra_qemu_params=['-machine', 'virt', '-cpu', 'cortex-a15',
			   '-m', '2048'])
