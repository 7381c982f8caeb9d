# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on x86_64: pass this file to
# kunit.py run --arch=x86_64 as --qemu_config.
# It is the one description of the machine, which the benchmark of the
# DMA-direct repository boots too.  memmap= keeps 64 MiB at 768 MiB
# out of the kernel's RAM: test memory of the dma_coherent suite, which
# reads it from the command line.  tsc=unstable keeps the kernel from
# refining the TSC's frequency a second into the boot: its messages would
# land among the suites' results, where kunit.py may fail to parse them.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(
	linux_arch='x86_64',
	kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
	qemu_arch='x86_64',
	kernel_path='arch/x86/boot/bzImage',
	kernel_command_line='console=ttyS0 memmap=64M$0x30000000 tsc=unstable',
	extra_qemu_params=['-bios', 'qboot.rom'])
