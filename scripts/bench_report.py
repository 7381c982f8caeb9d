#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_report.py full|quick RUN...: read .build/bench/RUN.log files.

A run is TREE-ARCH-BOOT, or TREE-ARCH-BOOT-repeat for the second boot of
the same kernel: a boot of our benchmark, kernel/dma/tests/bench.c.  A run
map-TREE-ARCH-BOOT is a boot of upstream's dma_map_benchmark
(scripts/map-benchmark.sh).  Full mode prints the table of instructions per
operation, base against ours, checks the repeat within 1%, and writes
results.csv and ratios.svg.  Quick mode only checks that every run produced
its figures.
"""
import csv
import os
import re
import subprocess
import sys

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   '.build', 'bench')
LINE = re.compile(r'dma_bench: op=(\S+) dev=(\S+) size=(\d+) iters=(\d+) '
                  r'ns=(\d+)\.(\d)')
MAP_LINE = re.compile(r'^MAPBENCH: case=(\S+) rep=\d+ map_us=([0-9.]+) '
                      r'unmap_us=([0-9.]+)$')
REPEAT_LIMIT = 1.0     # percent
# map-benchmark.sh boots under -icount shift=4: 16 guest ns per instruction
MAP_NS_PER_INSN = 16
PAGE_SIZE = 4096


def parse_map(line):
    """[((op, dev, size), instructions)] of a dma_map_benchmark line.

    The case name is DIRECTION-MASK-PAGES; the tool prints microseconds
    with one decimal, so a figure moves in steps of 100 ns, 6.25
    instructions.
    """
    m = MAP_LINE.match(line.strip())
    if not m:
        return []
    direction, mask, pages = m.group(1).split('-')
    size = int(re.match(r'\d+', pages).group()) * PAGE_SIZE
    dev = 'testdev-%s-%s' % (mask.replace('bit', ''), direction)
    return [(('ub_map', dev, size),
             float(m.group(2)) * 1000 / MAP_NS_PER_INSN),
            (('ub_unmap', dev, size),
             float(m.group(3)) * 1000 / MAP_NS_PER_INSN)]


# Spread of the runs of each dma_map_benchmark figure, the noise of their
# mean: {(run, op, dev, size): instructions}, filled by parse().
SPREAD = {}


def parse(run):
    """{(op, dev, size): instructions} of one run.

    The runs of a dma_map_benchmark case are averaged, and their spread
    goes to SPREAD.
    """
    res, reps = {}, {}
    with open(os.path.join(OUT, run + '.log'), errors='replace') as f:
        for line in f:
            if run.startswith('map-'):
                for key, insns in parse_map(line):
                    reps.setdefault(key, []).append(insns)
                continue
            m = LINE.search(line)
            if m:
                key = (m.group(1), m.group(2), int(m.group(3)))
                res[key] = int(m.group(5)) + int(m.group(6)) / 10
    for key, values in reps.items():
        res[key] = sum(values) / len(values)
        SPREAD[(run,) + key] = max(values) - min(values)
    return res


def repeat_check(results):
    worst, count, ok = 0.0, 0, True
    for run, rep in results.items():
        if not run.endswith('-repeat'):
            continue
        first = results.get(run[:-len('-repeat')], {})
        for key, ns in first.items():
            if key in rep and ns:
                dev = abs(rep[key] - ns) * 100 / ns
                worst = max(worst, dev)
                count += 1
    if not count:
        print('repeatability: not checked (no repeated boot)')
        return True
    ok = worst <= REPEAT_LIMIT
    print('repeatability: ours booted twice, %d operations, largest '
          'difference %.2f%% (limit %.0f%%): %s' %
          (count, worst, REPEAT_LIMIT, 'OK' if ok else 'NOT REPEATABLE'))
    return ok


def table(results):
    rows = []
    for run in sorted(results):
        prefix = 'map-' if run.startswith('map-') else ''
        tree, arch, boot = run[len(prefix):].split('-')[:3]
        if tree != 'base' or run.endswith('-repeat'):
            continue
        base = results[run]
        ours = results.get('%sours-%s-%s' % (prefix, arch, boot), {})
        for key in sorted(base, key=lambda k: (k[1], k[0], k[2])):
            if key not in ours or key[0] == 'floor':
                continue
            floor = ours.get(('floor', key[1], 4096)) or \
                base.get(('floor', key[1], 4096)) or 0
            noise = max(SPREAD.get((run,) + key, 0),
                        SPREAD.get(('%sours-%s-%s' % (prefix, arch, boot),)
                                   + key, 0))
            rows.append([arch, boot, key[0], key[1], key[2], base[key],
                         ours[key], ours[key] / base[key] if base[key] else 0,
                         floor, noise])
    return rows


def print_table(rows):
    hdr = ('arch', 'boot', 'operation', 'device', 'size', 'base', 'ours',
           'ratio', 'floor', 'ours/floor')
    fmt = '%-7s %-11s %-18s %-22s %8s %10s %10s %6s %7s %10s'
    print(fmt % hdr)
    print('-' * 119)
    above = step = 0
    for r in rows:
        flag = ''
        # Ratios are shown to three decimals; flag what shows above 1.000.
        if round(r[7], 3) > 1.0:
            flag = '  <- above 1.00'
            above += 1
            # upstream's tool truncates each sample to 100 ns, and the
            # timer tick moves the long cases from run to run
            if r[2].startswith('ub_') and r[6] - r[5] <= \
                    max(100 / MAP_NS_PER_INSN, r[9]) + 1e-9:
                flag += ' within the noise (%.1f)' % \
                    max(100 / MAP_NS_PER_INSN, r[9])
                step += 1
        print(fmt % (r[0], r[1], r[2], r[3], r[4], '%.1f' % r[5],
                     '%.1f' % r[6], '%.3f' % r[7],
                     '%.1f' % r[8] if r[8] else '-',
                     '%.1f' % (r[6] / r[8]) if r[8] else '-') + flag)
    print('-' * 119)
    print('%d operations compared, %d with ratio above 1.00 (%d of them '
          'dma_map_benchmark rows within one 100 ns step or the spread of '
          'their runs)' % (len(rows), above, step))


def write_outputs(rows):
    csv_path = os.path.join(OUT, 'results.csv')
    with open(csv_path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['arch', 'boot', 'operation', 'device', 'size',
                    'base_instructions', 'ours_instructions', 'ratio',
                    'floor_instructions'])
        w.writerows(r[:9] for r in rows)
    dat = os.path.join(OUT, 'ratios.dat')
    with open(dat, 'w') as f:
        for r in rows:
            f.write('"%s %s %s %s %d" %.4f\n' % (r[0], r[1], r[2], r[3],
                                                 r[4], r[7]))
    svg = os.path.join(OUT, 'ratios.svg')
    script = '''
set terminal svg size 1200,%d font "sans,10"
set output "%s"
set title "DMA API: guest instructions per operation, ours / base (lower is better)"
set style fill solid 0.6
set boxwidth 0.7
set xrange [0:*]
set yrange [-1:%d]
set ytics nomirror
set grid x
set arrow from 1,-1 to 1,%d nohead lw 2 lc rgb "red"
unset key
plot "%s" using 2:0:(0):2:($0-0.35):($0+0.35):yticlabels(1) with boxxyerrorbars
''' % (200 + 16 * len(rows), svg, len(rows), len(rows), dat)
    try:
        subprocess.run(['gnuplot'], input=script, text=True, check=True,
                       capture_output=True)
        print('chart: .build/bench/ratios.svg')
    except (OSError, subprocess.CalledProcessError) as e:
        print('chart not drawn: %s' % e)
    print('table: .build/bench/results.csv')


def main(mode, runs):
    results = {run: parse(run) for run in runs}
    empty = [run for run, res in results.items() if not res]
    if mode == 'quick':
        for run in runs:
            print('bench quick: %-26s %3d operations' %
                  (run, len(results[run])))
        return 1 if empty or not runs else 0
    rows = table(results)
    print()
    print('DMA API benchmark: guest instructions per operation '
          '(QEMU -icount shift=0; ub_* rows: upstream\'s dma_map_benchmark, '
          'shift=4, steps of 6.25)')
    print_table(rows)
    ok = repeat_check(results)
    write_outputs(rows)
    return 0 if ok and not empty and rows else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2:]))
