#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run a boot or a test run until it stops making progress.

  watchdog.py [--quiet SECS] [--out FILE] [--watch FILE]... [--show REGEX]
              [--name NAME] [--record FILE] -- CMD [ARG...]

CMD runs in a process group of its own, its standard output and error
copied to FILE (--out) and the lines that match REGEX (--show) to ours.
Progress is a byte of CMD's output, or a watched file (--watch, a log that
CMD writes itself) growing.  When there has been none for SECS seconds
(--quiet, default $STALL_SECS or 300), the whole group is stopped
(SIGTERM, SIGKILL ten seconds later), the reason goes to standard error
and the exit status is 124.  There is no wall-clock limit: a slow machine
makes a run slower, not a failure.  A stop by this harness is never
written into FILE, so that no check of the guest's log mistakes it for
something the kernel printed.

--record FILE appends a line to FILE when CMD ends: NAME, its status, how
long it ran and its longest time without progress, the figures that
STALL_SECS must stay well above.

Otherwise the exit status is CMD's (128 + N if a signal N ended it).
SIGTERM, SIGINT or SIGHUP sent to this process stop CMD's group too.
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import time

STALLED = 124


def parse(argv):
    ap = argparse.ArgumentParser(prog='watchdog.py')
    ap.add_argument('--quiet', type=int,
                    default=int(os.environ.get('STALL_SECS', '300')))
    ap.add_argument('--out')
    ap.add_argument('--watch', action='append', default=[])
    ap.add_argument('--show')
    ap.add_argument('--name')
    ap.add_argument('--record')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    if args.cmd[:1] == ['--']:
        args.cmd = args.cmd[1:]
    if not args.cmd or args.quiet <= 0:
        ap.error('want --quiet SECS > 0 and a command after --')
    return args


def size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def stop_group(proc):
    """SIGTERM to the group of @proc, SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass


class Copier:
    """Copies CMD's output to --out, and matching lines to our stdout."""

    def __init__(self, out, show):
        self.out = open(out, 'wb') if out else None
        self.show = re.compile(show.encode()) if show else None
        self.partial = b''

    def feed(self, data):
        if self.out:
            self.out.write(data)
            self.out.flush()
        if not self.show:
            if not self.out:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            return
        lines = (self.partial + data).split(b'\n')
        self.partial = lines.pop()
        for line in lines:
            if self.show.search(line):
                sys.stdout.buffer.write(line + b'\n')
        sys.stdout.buffer.flush()


def main(argv):
    args = parse(argv)
    name = args.name or os.path.basename(args.cmd[0])
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(args.cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)

    def forward(signum, _frame):
        stop_group(proc)
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)

    copier = Copier(args.out, args.show)
    sizes = {w: size(w) for w in args.watch}
    last = start = time.monotonic()
    longest = 0
    fd = proc.stdout.fileno()
    rc = None
    while rc is None:
        ready, _, _ = select.select([fd], [], [], 1.0)
        now = time.monotonic()
        progress = False
        if ready:
            data = os.read(fd, 65536)
            if not data:
                rc = proc.wait()
                rc = 128 - rc if rc < 0 else rc
            copier.feed(data)
            progress = True
        for w in args.watch:
            s = size(w)
            if s != sizes[w]:
                sizes[w], progress = s, True
        if progress:
            longest, last = max(longest, now - last), now
        elif now - last >= args.quiet:
            stop_group(proc)
            sys.stderr.write('watchdog: %s: stopped by the harness: no '
                             'output for %d s (the last %d s into the run)\n'
                             % (name, args.quiet, last - start))
            rc, longest = STALLED, now - last
    if args.record:
        with open(args.record, 'a') as f:
            f.write('%s: status %d, %d s, at most %d s without output\n'
                    % (name, rc, time.monotonic() - start, longest))
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
