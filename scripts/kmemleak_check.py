#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail on kmemleak reports that name the DMA layer or its suites.

  kmemleak_check.py LOG BUILD_DIR NM

LOG is the kernel log of a debug run, booted with kmemleak.verbose=1 so
that each scan logs the leaks it finds.  BUILD_DIR is the kernel's build
directory: the functions of our files and of the suites are the symbols
that NM lists for their objects there.  A report whose backtrace names one
of them is printed and makes the exit status 1.  The log must also show
that the scan after the suites ran (dma_kmemleak passed), or the absence
of reports would prove nothing.
"""
import glob
import os
import re
import subprocess
import sys

OURS = ['kernel/dma/direct.o', 'kernel/dma/coherent.o', 'kernel/dma/remap.o',
        'kernel/dma/ops_helpers.o', 'kernel/dma/pool.o',
        'arch/arm64/mm/dma-mapping.o']
SYM = re.compile(r'([A-Za-z_][\w.]*)\+0x')


def functions(build, nm):
    objs = [os.path.join(build, o) for o in OURS]
    objs += glob.glob(os.path.join(build, 'kernel/dma/tests/*.o'))
    objs = [o for o in objs if os.path.exists(o)]
    out = subprocess.run([nm, '--defined-only'] + objs, check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in 'tTwW':
            names.add(f[2])
    return names


def reports(lines):
    """Each report: its lines, from 'unreferenced object' to the backtrace."""
    cur = None
    for line in lines:
        if 'kmemleak: unreferenced object' in line:
            if cur:
                yield cur
            cur = [line]
        elif cur and 'kmemleak:   ' in line:
            cur.append(line)
        elif cur:
            yield cur
            cur = None
    if cur:
        yield cur


def main():
    log, build, nm = sys.argv[1:4]
    with open(log, errors='replace') as fh:
        lines = fh.read().splitlines()
    if not any('ok 1 dma_kmemleak_scan' in ln for ln in lines):
        print('    the kmemleak scan after the suites did not pass')
        return 1
    ours = functions(build, nm)
    total = bad = 0
    for rep in reports(lines):
        total += 1
        named = sorted({m.group(1) for ln in rep for m in SYM.finditer(ln)}
                       & ours)
        if named:
            bad += 1
            print('    leak in %s:' % ', '.join(named))
            print('\n'.join('      ' + ln for ln in rep[:24]))
    print('    kmemleak: %d report(s), %d naming the DMA layer or its suites'
          % (total, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
