#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run a boot or a test run until it stops making progress.

  watchdog.py [--quiet SECS] [--out FILE] [--watch FILE]... [--show REGEX]
              [--name NAME] [--record FILE] -- CMD [ARG...]

CMD runs in a process group of its own, its standard output and error
copied to FILE (--out) and the lines that match REGEX (--show) to ours.
Progress is a byte of CMD's output, or a watched file (--watch, a log that
CMD writes itself) growing.  There is no wall-clock limit: a slow or busy
machine makes a run slower, not a failure.  The group is stopped (SIGTERM,
SIGKILL ten seconds later) and the reason given on standard error when:

- there has been no progress for SECS seconds (--quiet, default
  $STALL_SECS or 300): exit status 124;
- the guest has reported a hang LOCKUPS times (default 5) in its output
  or the watched files: an RCU stall, a soft or hard lockup, a task
  blocked for minutes.  One report can be a busy host starving a vCPU;
  a hung guest repeats them for ever and so never falls quiet: exit
  status 125.

The harness writes nothing into FILE, so that no check of the guest's log
mistakes a stop for something the kernel printed; QEMU itself may end it
with a line saying it was terminated by a signal.

--record FILE appends a line to FILE when CMD ends: NAME, its status, how
long it ran and its longest time without progress, the figures that
STALL_SECS must stay well above.

Otherwise the exit status is CMD's (128 + N if a signal N ended it).
SIGTERM, SIGINT or SIGHUP sent to this process stop CMD's group too, and
so does any error of this script.
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
HUNG = 125
# The kernel's reports of a CPU or task that does not get on.
HANG = re.compile(rb'rcu: INFO: rcu_\w+ (?:self-)?detected stalls?|'
                  rb'watchdog: BUG: soft lockup|'
                  rb'Watchdog detected hard LOCKUP|'
                  rb'INFO: task \S+ blocked for more than')


def parse(argv):
    ap = argparse.ArgumentParser(prog='watchdog.py')
    ap.add_argument('--quiet', type=int,
                    default=int(os.environ.get('STALL_SECS', '300')))
    ap.add_argument('--lockups', type=int, default=5)
    ap.add_argument('--out')
    ap.add_argument('--watch', action='append', default=[])
    ap.add_argument('--show')
    ap.add_argument('--name')
    ap.add_argument('--record')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    if args.cmd[:1] == ['--']:
        args.cmd = args.cmd[1:]
    if not args.cmd or args.quiet <= 0 or args.lockups <= 0:
        ap.error('want --quiet and --lockups > 0 and a command after --')
    return args


def signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def stop_group(proc):
    """SIGTERM to the group of @proc, SIGKILL ten seconds later to what is
    left of it, the leader or not."""
    if signal_group(proc.pid, signal.SIGTERM):
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    signal_group(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


class Lines:
    """Counts the hang reports in a stream of bytes, line by line."""

    def __init__(self):
        self.partial = b''
        self.hangs = 0
        self.last = ''

    def feed(self, data):
        lines = (self.partial + data).split(b'\n')
        self.partial = lines.pop()
        for line in lines:
            if HANG.search(line):
                self.hangs += 1
                self.last = line.decode(errors='replace').strip()
        return lines


class Copier:
    """Copies CMD's output to --out, and matching lines to our stdout."""

    def __init__(self, out, show):
        self.out = open(out, 'wb') if out else None
        self.show = re.compile(show.encode()) if show else None
        self.lines = Lines()

    def write_ours(self, data):
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except (BrokenPipeError, OSError):
            pass        # whoever reads us went away: the run goes on

    def feed(self, data):
        if self.out:
            self.out.write(data)
            self.out.flush()
        lines = self.lines.feed(data)
        if self.show:
            self.write_ours(b''.join(ln + b'\n' for ln in lines
                                     if self.show.search(ln)))
        elif not self.out:
            self.write_ours(data)


class Watched:
    """A file CMD writes itself: its growth, and the hang reports in it."""

    def __init__(self, path):
        self.path, self.offset, self.lines = path, 0, Lines()

    def grew(self):
        try:
            size = os.stat(self.path).st_size
        except OSError:
            return False
        if size < self.offset:
            self.offset = 0     # written anew
        if size == self.offset:
            return False
        with open(self.path, 'rb') as f:
            f.seek(self.offset)
            self.lines.feed(f.read(size - self.offset))
        self.offset = size
        return True


def run(args, proc):
    """Watch @proc until it ends or is stopped; return its status."""
    name = args.name or os.path.basename(args.cmd[0])
    copier = Copier(args.out, args.show)
    watched = [Watched(w) for w in args.watch]
    last = start = time.monotonic()
    longest, rc = 0, None
    fd = proc.stdout.fileno()
    while rc is None:
        ready, _, _ = select.select([fd], [], [], 1.0)
        now = time.monotonic()
        progress = False
        if ready:
            data = os.read(fd, 65536)
            if data:
                copier.feed(data)
                progress = True
            else:
                # End of output: CMD is ending, or gave its output away.
                try:
                    rc = proc.wait(timeout=args.quiet)
                    rc = 128 - rc if rc < 0 else rc
                except subprocess.TimeoutExpired:
                    stop_group(proc)
                    sys.stderr.write('watchdog: %s: stopped by the harness: '
                                     'no output, and it did not end\n' % name)
                    rc = STALLED
                progress = True
        for w in watched:
            progress = w.grew() or progress
        hangs = copier.lines.hangs + sum(w.lines.hangs for w in watched)
        if progress:
            longest, last = max(longest, now - last), now
        if rc is not None:
            break
        if hangs >= args.lockups:
            stop_group(proc)
            report = copier.lines.last or max(watched, key=lambda w:
                                              w.lines.hangs).lines.last
            sys.stderr.write('watchdog: %s: stopped by the harness: the guest '
                             'reported a hang %d times, the last: %s\n'
                             % (name, hangs, report))
            rc = HUNG
        elif now - last >= args.quiet:
            stop_group(proc)
            sys.stderr.write('watchdog: %s: stopped by the harness: no '
                             'output for %d s (the last %d s into the run)\n'
                             % (name, args.quiet, last - start))
            rc, longest = STALLED, now - last
    # Whatever CMD started and left behind goes with it.
    signal_group(proc.pid, signal.SIGKILL)
    if args.record:
        with open(args.record, 'a') as f:
            f.write('%s: status %d, %d s, at most %d s without output\n'
                    % (name, rc, time.monotonic() - start, longest))
    return rc


def main(argv):
    args = parse(argv)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(args.cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)

    def forward(signum, _frame):
        stop_group(proc)
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        return run(args, proc)
    except BaseException:
        stop_group(proc)
        raise


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
