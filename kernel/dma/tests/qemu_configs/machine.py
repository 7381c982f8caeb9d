#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print a field of the QEMU machine that a qemu_config file describes.

  machine.py CONFIG qemu|params|cmdline|kernel

qemu: the QEMU binary; params: the machine's extra QEMU arguments, one a
line; cmdline: the kernel command line; kernel: the kernel image's path in
a build directory.  For scripts that start the machine of the DMA suites
without kunit.py (dma-kunit-dtb.sh, benchmarks, I/O boots), so that it is
described in one place.  The file is loaded the way kunit.py loads it,
with the kunit tool of this tree (or of $KUNIT_DIR).
"""
import importlib.util
import os
import sys
import types


def load(path):
    here = os.path.dirname(os.path.abspath(__file__))
    kunit = os.environ.get('KUNIT_DIR') or os.path.join(
        here, '..', '..', '..', '..', 'tools', 'testing', 'kunit')
    sys.path.insert(0, kunit)
    import qemu_config

    # kunit.py imports qemu_configs as modules of a package next to
    # qemu_config.py; give the file the same view.
    for name in ('dmacfg', 'dmacfg.qemu_configs'):
        pkg = types.ModuleType(name)
        pkg.__path__ = []
        sys.modules[name] = pkg
    sys.modules['dmacfg.qemu_config'] = qemu_config
    spec = importlib.util.spec_from_file_location('dmacfg.qemu_configs.arch',
                                                  path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.QEMU_ARCH


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    arch = load(argv[0])
    field = argv[1]
    if field == 'qemu':
        print('qemu-system-' + arch.qemu_arch)
    elif field == 'params':
        print('\n'.join(arch.extra_qemu_params))
    elif field == 'cmdline':
        print(arch.kernel_command_line)
    elif field == 'kernel':
        print(arch.kernel_path)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
