# SPDX-License-Identifier: GPL-2.0
#
# The QEMU machine of the DMA suites on riscv64: pass this file to
# kunit.py run --arch=riscv as --qemu_config.  QEMU's "virt" machine with
# its own OpenSBI as firmware, and a CPU with the Zicbom cache-block
# operations, which riscv's cache maintenance for non-coherent devices
# needs at run time, and Svpbmt, the page-based memory types that make
# their remapped and mmapped buffers uncached (QEMU 8.0 or later: Debian
# 12's 7.2 lacks the properties; bookworm-backports has QEMU 10).  RAM
# starts at 2 GiB, so all of it is below 4 GiB with -m 1024 and above
# 2 GiB: 31-bit devices reach none of it.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(
	linux_arch='riscv',
	kconfig='''
CONFIG_ARCH_VIRT=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_OF_PLATFORM=y
CONFIG_SERIAL_EARLYCON_RISCV_SBI=y''',
	qemu_arch='riscv64',
	kernel_path='arch/riscv/boot/Image',
	kernel_command_line='console=ttyS0',
	extra_qemu_params=['-machine', 'virt', '-cpu', 'rv64,zicbom=true,svpbmt=true'])
