# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on x86_64, for
#   kunit.py run --arch=x86_64 --qemu_config=kernel/dma/tests/qemu_configs/x86_64.py
# It is the one description of the machine, also used by the benchmark and
# I/O boots of the DMA-direct repository.  memmap= keeps 64 MiB at 768 MiB
# out of the kernel's RAM: test memory of the dma_coherent suite, which
# finds it in the e820 map.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(
	linux_arch='x86_64',
	kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
	qemu_arch='x86_64',
	kernel_path='arch/x86/boot/bzImage',
	kernel_command_line='console=ttyS0 memmap=64M$0x30000000',
	extra_qemu_params=['-bios', 'qboot.rom'])
