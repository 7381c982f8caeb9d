#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""summary.py RUN...: the table of KUnit results of the named runs.

A run is TREE-ARCH-VARIANT; its results are .build/results/RUN.json (from
kunit.py --json) and its kernel log .build/results/RUN.log.  Prints one row
per run and suite, why cases skipped (each reason the kernel gave, with
the runs it was given in), the log lines of every failed case, and last
the plain total line 'N passed, N failed, N skipped'.  Exits 1 on any failure or
missing run.

scripts/expected-failures lists the cases that fail on the base tree
because of an upstream bug the series fixes: there they count as expected
failures, and one that passes where it is listed fails the summary (the
case no longer catches the bug it is listed for).
"""
import fnmatch
import json
import os
import re
import sys

RES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   '.build', 'results')


def expected_failures():
    """(run glob, suite.case glob, why) of each line of the expected list."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'expected-failures')
    entries = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith('#'):
            run, case, why = line.split(None, 2)
            entries.append((run, case, why))
    return entries


def expected(entries, run, case):
    """The reason @case is expected to fail in @run, or None."""
    for run_glob, case_glob, why in entries:
        if fnmatch.fnmatchcase(run, run_glob) and \
           fnmatch.fnmatchcase(case, case_glob):
            return why
    return None


def leaves(group):
    """Yield (name, status) of every leaf case below a suite group."""
    for case in group.get('test_cases', []):
        yield case['name'], case['status']
    for sub in group.get('sub_groups', []):
        for name, status in leaves(sub):
            yield '%s:%s' % (sub['name'], name), status


def failure_lines(run, case):
    """The diagnostics the kernel printed for a failed (parameterised) case."""
    path = os.path.join(RES, run + '.log')
    if not os.path.exists(path):
        return []
    leaf = case.split(':')[-1]
    lines, block = [], []
    for raw in open(path, errors='replace'):
        line = re.sub(r'^(\[[^]]*\] ?)+', '', raw.rstrip())
        if re.match(r'\s*(not )?ok \d+ ', line):
            if line.strip().startswith('not ok') and leaf in line:
                lines += block + [line]
            block = []
        elif re.search(r'#|FAILED|WARNING|BUG|Oops|Call Trace', line):
            block.append(line)
    return lines[-40:]


NO_INSTANCE = 'no instance in this kernel (a parameterised case with nothing to run here)'


def skip_reasons(run):
    """Count the skip reasons of the leaf cases of @run's kernel log."""
    path = os.path.join(RES, run + '.log')
    reasons, prev = {}, ''
    if not os.path.exists(path):
        return reasons
    for raw in open(path, errors='replace'):
        line = re.sub(r'^(\[[^]]*\] ?)+', '', raw.rstrip()).strip()
        m = re.match(r'ok \d+ (.*?) # SKIP ?(.*)$', line)
        if m:
            reason = m.group(2).strip()
            if not reason and prev == '# Subtest: ' + m.group(1):
                reason = NO_INSTANCE
            if reason:
                reasons[reason] = reasons.get(reason, 0) + 1
        if line:
            prev = line
    return reasons


def print_skip_reasons(runs):
    """Each reason, its total and the runs that gave it, most common first."""
    by_reason = {}
    for run in runs:
        for reason, n in skip_reasons(run).items():
            by_reason.setdefault(reason, []).append((run, n))
    if not by_reason:
        return
    print('\nWhy cases skipped (cases, then runs: count):')
    for reason, where in sorted(by_reason.items(),
                                key=lambda kv: -sum(n for _, n in kv[1])):
        print('%5d  %s' % (sum(n for _, n in where), reason))
        print('       ' + ', '.join('%s: %d' % rn for rn in where))


def why_missing(run):
    """What to say of @run, which gave no results."""
    try:
        with open(os.path.join(RES, run + '.stalled')) as f:
            return f.read().strip()
    except OSError:
        return 'see .build/results/%s.out' % run


def main(runs):
    rows, failed_cases, missing, xfail, xpass = [], [], [], [], []
    total = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    entries = expected_failures()
    for run in runs:
        path = os.path.join(RES, run + '.json')
        if not os.path.exists(path):
            missing.append(run)
            continue
        top = json.load(open(path))
        suites = top.get('sub_groups', [])
        if not suites:
            missing.append(run)
        for suite in suites:
            count = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
            for name, status in leaves(suite):
                status = status if status in count else 'FAIL'
                why = expected(entries, run, suite['name'] + '.' + name)
                if why and status == 'FAIL':
                    xfail.append((run, suite['name'], name, why))
                    status = 'XFAIL'
                elif why:
                    xpass.append((run, suite['name'], name, status, why))
                    status = 'FAIL'
                count[status] = count.get(status, 0) + 1
                if status == 'FAIL':
                    failed_cases.append((run, suite['name'], name))
            for k in total:
                total[k] += count[k]
            failed = str(count['FAIL'])
            if count.get('XFAIL'):
                failed += '+%dx' % count['XFAIL']
            rows.append((run, suite['name'], count['PASS'], failed,
                         count['SKIP']))

    print()
    print('%-28s %-26s %7s %7s %7s' % ('run', 'suite', 'passed', 'failed',
                                       'skipped'))
    print('-' * 79)
    for r in rows:
        print('%-28s %-26s %7d %7s %7d' % r)
    print('-' * 79)
    print_skip_reasons([r for r in runs if r not in missing])
    for run in missing:
        print('%-28s %-26s  did not complete: %s' % (run, '-', why_missing(run)))
    if xfail:
        print('\nExpected failures ("+Nx" above: upstream bugs the series '
              'fixes, scripts/expected-failures):')
        by_why = {}
        for run, suite, case, why in xfail:
            by_why.setdefault(why, []).append('%s: %s.%s' % (run, suite, case))
        for why, where in by_why.items():
            print('  ' + why)
            print('\n'.join('    ' + w for w in where))
    for run, suite, case, status, why in xpass:
        print('\n%s, BUT EXPECTED TO FAIL %s: %s.%s (%s)'
              % (status, run, suite, case, why))
    for run, suite, case in failed_cases:
        print('\nFAILED %s: %s.%s' % (run, suite, case))
        for line in failure_lines(run, case):
            print('    ' + line)
    if failed_cases or missing:
        print('\nFull logs: .build/results/<run>.log (kernel), <run>.out (kunit.py)')
    xf = ', %d expected failures' % len(xfail) if xfail else ''
    print('%d passed, %d failed, %d skipped%s' %
          (total['PASS'], total['FAIL'] + len(missing), total['SKIP'], xf))
    return 1 if failed_cases or missing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
