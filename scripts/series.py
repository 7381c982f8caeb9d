#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Assemble the patch series of this repository onto the base tree.

The series lives in series/: one spec per patch, applied in file-name
order.  A spec is a header (Subject:, Files:, Symbols:, Base:), a blank
line and the commit message body.  Files: names files of this repository
copied whole to the same path in the tree; series/<spec>.diff, if present,
is applied with git apply (small changes to upstream files).  Base: yes
marks the patches that also go onto the pristine base tree for the
differential test run.

The build glue of the test directory (GROWN below) grows patch by patch:
its final version is in the repository, and at each patch the assembler
writes it with only the blocks of the Kconfig symbols introduced so far
(Symbols: of that patch and the ones before it in the tree), so that every
patch builds and the base tree gets only its own suites.

  series.py assemble ours|base   build .build/linux or .build/differential/linux
  series.py export DIR           write the series as mbox patches to DIR
  series.py check-export DIR     fail if DIR differs from a fresh export
  series.py list                 print the subjects

series/base records the base version the committed patches were exported
against (Made-against:, which export writes) and those make check passed
on (Verified-on:).  On the version they were made against, check-export
compares byte for byte; on another point release, whose index lines and
line numbers differ, it checks that the committed patches apply there
with git am and give the tree assembled from the sources, and names the
files of the series that upstream changed in between.

Assembly is incremental: each patch has a key (a hash of everything that
goes into it and of the previous key), and only patches from the first
changed key on are re-applied.
"""
import glob
import hashlib
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, '.build')
BASE = os.path.join(BUILD, 'base')
# The kernels' build directories are directories .build-* of the trees
# (scripts/lib.sh: kernel_dir), which assembling keeps.
TREES = {'ours': 'linux', 'base': 'differential/linux'}
# Only these parts of the repository are kernel files carried by the series.
KERNEL_DIRS = ('kernel/', 'include/', 'arch/', 'Documentation/', 'tools/',
               'lib/', 'mm/')
DATE = '2026-11-21T00:00:00+00:00'
GROWN = ('kernel/dma/tests/Kconfig', 'kernel/dma/tests/Makefile',
         'kernel/dma/tests/.kunitconfig',
         'kernel/dma/tests/x86_64.kunitconfig',
         'kernel/dma/tests/arm64.kunitconfig',
         'kernel/dma/tests/riscv.kunitconfig',
         'kernel/dma/tests/arm.kunitconfig')


def die(msg):
    sys.exit('series: ' + msg)


def git(cwd, *args, env=None, capture=True):
    res = subprocess.run(['git', '-C', cwd] + list(args), env=env,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE, text=True)
    if res.returncode:
        die('git %s failed in %s:\n%s' % (' '.join(args), cwd, res.stderr))
    return res.stdout.strip() if capture else ''


class Patch:
    def __init__(self, path):
        self.name = os.path.basename(path)
        with open(path) as f:
            text = f.read()
        head, _, body = text.partition('\n\n')
        fields = {}
        for line in head.splitlines():
            key, _, val = line.partition(':')
            fields[key.strip().lower()] = val.strip()
        if 'subject' not in fields:
            die('%s: no Subject:' % self.name)
        self.subject = fields['subject']
        self.files = fields.get('files', '').split()
        self.base = fields.get('base', 'no').lower() == 'yes'
        self.symbols = set(fields.get('symbols', '').split())
        self.body = body.strip() + '\n'
        diff = path + '.diff'
        self.diff = diff if os.path.exists(diff) else None
        for f in self.files:
            if not os.path.isfile(os.path.join(TOP, f)):
                die('%s: listed file %s does not exist' % (self.name, f))

    def key(self, prev):
        h = hashlib.sha256(prev.encode())
        h.update(self.subject.encode() + self.body.encode())
        h.update(' '.join(sorted(self.symbols)).encode())
        for f in self.files + list(GROWN) + ([self.diff] if self.diff else []):
            h.update(f.encode())
            with open(os.path.join(TOP, f), 'rb') as fh:
                h.update(fh.read())
        return h.hexdigest()


def kconfig_blocks(text):
    """Split a Kconfig file into (symbol or None, text) blocks."""
    blocks, cur, sym = [], [], None
    for line in text.splitlines(True):
        words = line.split()
        if words[:1] in (['config'], ['menuconfig']):
            if cur:
                blocks.append((sym, ''.join(cur)))
            cur, sym = [], words[1]
        cur.append(line)
    blocks.append((sym, ''.join(cur)))
    return blocks


def render_grown(path, text, hidden):
    """@text of grown file @path without the blocks of @hidden symbols."""
    if path.endswith('Kconfig'):
        kept = [t for sym, t in kconfig_blocks(text) if sym not in hidden]
        out = ''.join(kept)
        # A dropped last block leaves its separating blank line behind.
        return out.rstrip('\n') + '\n'
    if path.endswith('kunitconfig'):
        # A paragraph that opens with a hidden symbol goes with it, with
        # the options and comment it brings along.
        paras = re.split(r'(?<=\n)\n', text)
        text = '\n'.join(p for p in paras
                          if not opens_with(p, hidden))
    lines = [ln for ln in text.splitlines(True)
             if not any('CONFIG_%s)' % h in ln or 'CONFIG_%s=' % h in ln
                        for h in hidden)]
    return ''.join(lines)


def opens_with(para, hidden):
    """Whether the first option of kunitconfig paragraph @para is hidden."""
    for ln in para.splitlines():
        if ln.startswith('CONFIG_'):
            return ln[len('CONFIG_'):].split('=')[0] in hidden
    return False


def write_if_changed(dst, data):
    """Write @data to @dst unless it is there already (keeps make's mtimes)."""
    old = None
    if os.path.exists(dst):
        with open(dst, 'rb') as fh:
            old = fh.read()
    if old != data:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, 'wb') as fh:
            fh.write(data)


def load_series():
    sdir = os.path.join(TOP, 'series')
    names = sorted(n for n in os.listdir(sdir)
                   if not n.endswith('.diff') and n[:4].isdigit())
    return [Patch(os.path.join(sdir, n)) for n in names]


def identity():
    """Author and signer of every patch: series/author, never the caller's
    git identity, so that whoever assembles or exports signs off nothing."""
    with open(os.path.join(TOP, 'series', 'author')) as f:
        line = f.readline().strip()
    name, sep, email = line.partition(' <')
    if not sep or not email.endswith('>'):
        die('series/author: want "Name <email>", got %r' % line)
    return name, email[:-1]


def commit_env():
    name, email = identity()
    env = dict(os.environ)
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
               GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE)
    return env


def apply_patch(tree, patch, hidden):
    """Apply @patch; blocks of @hidden symbols stay out of grown files."""
    for f in patch.files:
        with open(os.path.join(TOP, f), 'rb') as fh:
            data = fh.read()
        if f in GROWN:
            data = render_grown(f, data.decode(), hidden).encode()
        write_if_changed(os.path.join(tree, f), data)
    # A diff may also change the files just copied: stage them first.
    if patch.files:
        git(tree, 'add', '-f', '--', *patch.files)
    if patch.diff:
        git(tree, 'apply', '--index', os.path.join(TOP, patch.diff))
    # Grown files created by an earlier patch take this patch's blocks.
    grown = [f for f in GROWN if os.path.exists(os.path.join(tree, f))]
    for f in grown:
        with open(os.path.join(TOP, f)) as fh:
            text = render_grown(f, fh.read(), hidden)
        write_if_changed(os.path.join(tree, f), text.encode())
    touched = patch.files + grown
    if touched:
        git(tree, 'add', '-f', '--', *touched)
    name, email = identity()
    msg = '%s\n\n%s\nSigned-off-by: %s <%s>\n' % (patch.subject, patch.body,
                                                   name, email)
    res = subprocess.run(['git', '-C', tree, 'commit', '-q', '--no-verify',
                          '-F', '-'], input=msg, text=True,
                         env=commit_env(), capture_output=True)
    if res.returncode:
        die('commit of %s failed:\n%s%s' % (patch.name, res.stdout,
                                            res.stderr))
    return git(tree, 'rev-parse', 'HEAD')


def ensure_worktree(tree):
    if os.path.exists(os.path.join(tree, '.git')):
        return
    if not os.path.isdir(os.path.join(BASE, '.git')):
        die('no base tree in .build/base: run scripts/setup.sh')
    git(BASE, 'worktree', 'prune')
    git(BASE, 'worktree', 'add', '-q', '--detach', tree, 'base')


def assemble(which):
    series = load_series()
    patches = [p for p in series if p.base or which == 'ours']
    # Every symbol of the series: a grown file hides those not yet added.
    every = set().union(*(p.symbols for p in series))
    tree = os.path.join(BUILD, TREES[which])
    state_file = tree + '.series'
    ensure_worktree(tree)

    keys, prev = [], 'base:%s:%s' % (git(BASE, 'rev-parse', 'base'),
                                     ' '.join(sorted(every)))
    for p in patches:
        prev = p.key(prev)
        keys.append(prev)

    state = []
    if os.path.exists(state_file):
        with open(state_file) as f:
            state = [line.split() for line in f if line.strip()]
    head = git(tree, 'rev-parse', 'HEAD')
    if state and state[-1][1] != head:
        state = []              # the tree was changed by hand: start over
    keep = 0
    while keep < min(len(state), len(keys)) and state[keep][0] == keys[keep]:
        keep += 1
    # Files edited by hand in the tree are put back by the reset below.
    dirty = git(tree, 'status', '--porcelain', '--untracked-files=no')
    if keep == len(keys) and len(state) == len(keys) and not dirty:
        print('series: %s tree up to date (%d patches)' % (which, keep))
        return
    target = state[keep - 1][1] if keep else 'base'
    git(tree, 'reset', '-q', '--hard', target)
    git(tree, 'clean', '-q', '-fdx', '-e', '/.build*')
    state = state[:keep]
    for i, (p, k) in enumerate(zip(patches, keys)):
        if i < keep:
            continue
        shown = set().union(*(q.symbols for q in patches[:i + 1]))
        sha = apply_patch(tree, p, every - shown)
        state.append([k, sha])
        print('series: %s: applied %s' % (which, p.subject))
    with open(state_file, 'w') as f:
        f.writelines('%s %s\n' % (k, s) for k, s in state)
    if which == 'ours':
        verify(tree)


def verify(tree):
    """Every kernel file of the repository must reach the tree unchanged."""
    files = git(TOP, 'ls-files', '--cached', '--others', '--exclude-standard',
                '--', *KERNEL_DIRS).split('\n')
    bad = []
    for f in filter(None, files):
        with open(os.path.join(TOP, f), 'rb') as a:
            ours = a.read()
        path = os.path.join(tree, f)
        theirs = open(path, 'rb').read() if os.path.exists(path) else None
        if ours != theirs:
            bad.append(f)
    if bad:
        die('the assembled series does not carry these files as they are '
            'in the repository (missing from Files:, or a stale diff):\n  ' +
            '\n  '.join(bad))


def read_base():
    """The fields of series/base: {'made-against': ..., 'verified-on': [...]}."""
    fields = {}
    with open(os.path.join(TOP, 'series', 'base')) as f:
        for line in f:
            key, sep, val = line.partition(':')
            if sep and not line.startswith('#'):
                fields[key.strip().lower()] = val.strip()
    if 'made-against' not in fields:
        die('series/base: no Made-against:')
    fields['verified-on'] = fields.get('verified-on', '').split()
    return fields


def write_base(made_against):
    """Record in series/base that the patches are exported against it."""
    path = os.path.join(TOP, 'series', 'base')
    with open(path) as f:
        text = f.read()
    text = re.sub(r'(?m)^Made-against:.*$', 'Made-against: ' + made_against,
                  text)
    with open(path, 'w') as f:
        f.write(text)


def export(outdir, check=False):
    """Write the series to @outdir; unless @check, record the base in
    series/base first, as the cover letter names it."""
    assemble('ours')
    if not check and read_base()['made-against'] != base_version():
        print('series: series/base: Made-against: %s (was %s)'
              % (base_version(), read_base()['made-against']))
        write_base(base_version())
    tree = os.path.join(BUILD, TREES['ours'])
    os.makedirs(outdir, exist_ok=True)
    # Patches of an earlier, longer series must not be applied with these.
    for old in glob.glob(os.path.join(outdir, '*.patch')):
        os.remove(old)
    # No commit ids, dates of our own or git version: the same series
    # gives the same files on any machine, so patches/ can be compared.
    # The abbreviation of index lines is fixed too: git's own depends on
    # how many objects the repository holds.
    git(tree, '-c', 'core.abbrev=12', 'format-patch', '-q', '--cover-letter',
        '--zero-commit', '--no-signature', '-o', os.path.abspath(outdir),
        'base..HEAD',
        env=commit_env())
    write_cover(os.path.join(outdir, '0000-cover-letter.patch'))


def check_export(committed):
    """Fail if the patches in @committed are not what export writes now,
    on the base they were made against, or do not give the assembled
    tree, on another."""
    made, now = read_base()['made-against'], base_version()
    if made != now:
        check_other_base(committed, made, now)
        return
    fresh = os.path.join(BUILD, 'patches-check')
    export(fresh, check=True)
    old = sorted(os.listdir(committed)) if os.path.isdir(committed) else []
    new = sorted(os.listdir(fresh))
    stale = sorted(set(old) ^ set(new))
    for name in sorted(set(old) & set(new)):
        with open(os.path.join(committed, name), 'rb') as a, \
             open(os.path.join(fresh, name), 'rb') as b:
            if a.read() != b.read():
                stale.append(name)
    if stale:
        die('%s is out of date with series/ and the sources (%s): run '
            'make export' % (committed, ', '.join(stale)))
    print('series: %s up to date (%d files)' % (committed, len(new)))


def check_other_base(committed, made, now):
    """Check @committed, made against Linux @made, on the base tree of
    Linux @now: they must apply with git am and give the tree assembled
    from the sources.  What upstream changed in between, in the files
    the series changes, is told, not failed."""
    assemble('ours')
    ours = git(os.path.join(BUILD, TREES['ours']), 'rev-parse', 'HEAD^{tree}')
    work = os.path.join(BUILD, 'am-check')
    if os.path.exists(os.path.join(work, '.git')):
        git(BASE, 'worktree', 'remove', '--force', work)
    git(BASE, 'worktree', 'prune')
    git(BASE, 'worktree', 'add', '-q', '--detach', work, 'base')
    patches = sorted(glob.glob(os.path.join(committed, '[0-9]*.patch')))
    patches = [p for p in patches if not p.endswith('0000-cover-letter.patch')]
    res = subprocess.run(['git', '-C', work, 'am', '-q', '--keep-cr'] +
                         [os.path.abspath(p) for p in patches],
                         env=commit_env(), capture_output=True, text=True)
    if res.returncode:
        git(work, 'am', '--abort')
        die('the patches in %s, made against Linux %s, do not apply to '
            'Linux %s:\n%s' % (committed, made, now, res.stdout + res.stderr))
    got = git(work, 'rev-parse', 'HEAD^{tree}')
    changed = git(work, 'diff', '--name-only', 'HEAD', ours)
    git(BASE, 'worktree', 'remove', '--force', work)
    if got != ours:
        die('%s, applied to Linux %s, does not give the tree assembled from '
            'series/ (files: %s): run make export'
            % (committed, now, changed.replace('\n', ', ')))
    print('series: the base tree is Linux %s; the patches in %s were made '
          'against %s and tested on %s'
          % (now, committed, made,
             ', '.join(read_base()['verified-on']) or 'no version'))
    print('series: its %d patches apply to %s with git am and give the tree '
          'assembled from series/' % (len(patches), now))
    moved = upstream_changes(patches)
    if moved:
        print('series: upstream changed files of the series between %s and '
              '%s: check that the series keeps what changed:' % (made, now))
        for path, how in moved:
            print('series:   %s (%s)' % (path, how))
    else:
        print('series: none of the files the series changes differs '
              'between %s and %s' % (made, now))


def upstream_changes(patches):
    """The files that @patches change whose pristine content, which the
    first patch to touch each names by its blob, is not the base tree's
    now: [(path, 'replaced' or 'changed')]."""
    first, seen = [], set()
    for p in patches:
        with open(p) as f:
            text = f.read()
        for m in re.finditer(r'^diff --git a/(\S+) b/\S+\n'
                             r'(?:(?!diff --git ).*\n)*?'
                             r'index ([0-9a-f]+)\.\.', text, re.M):
            path, blob = m.group(1), m.group(2)
            if path not in seen:
                seen.add(path)
                first.append((path, blob))
    ours = set(git(TOP, 'ls-files', '--', *KERNEL_DIRS).split('\n'))
    out = []
    for path, blob in first:
        if set(blob) == {'0'}:
            continue            # created by the series
        res = subprocess.run(['git', '-C', BASE, 'rev-parse', '--verify',
                              '-q', 'base:' + path], capture_output=True,
                             text=True)
        now = res.stdout.strip()
        if not now.startswith(blob):
            out.append((path, 'replaced by the series' if path in ours
                        else 'changed by a diff of the series'))
    return out


def base_version():
    with open(os.path.join(BASE, 'Makefile')) as f:
        mk = dict(ln.split(' = ', 1) for ln in f.read().splitlines()
                  if ln.split(' = ')[0] in ('VERSION', 'PATCHLEVEL',
                                            'SUBLEVEL'))
    return '%s.%s.%s' % (mk['VERSION'], mk['PATCHLEVEL'], mk['SUBLEVEL'])


def write_cover(path):
    """Fill format-patch's cover letter from series/cover."""
    with open(os.path.join(TOP, 'series', 'cover')) as f:
        head, _, body = f.read().partition('\n\n')
    subject = head.partition('Subject:')[2].strip()
    base = read_base()
    tested = [v for v in base['verified-on'] if v != base['made-against']]
    body = body.replace('@BASE@', base['made-against'])
    body = body.replace('@TESTED@', ', '.join(tested) or 'no other version')
    with open(path) as f:
        text = f.read()
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', body.rstrip('\n'))
    with open(path, 'w') as f:
        f.write(text)


def main(argv):
    if len(argv) >= 2 and argv[0] == 'assemble' and argv[1] in TREES:
        assemble(argv[1])
    elif len(argv) == 2 and argv[0] == 'export':
        export(argv[1])
    elif len(argv) == 2 and argv[0] == 'check-export':
        check_export(argv[1])
    elif argv == ['list']:
        for p in load_series():
            print('%s%s' % (p.subject, '  [base too]' if p.base else ''))
    else:
        die('usage: series.py assemble ours|base | export DIR | '
            'check-export DIR | list')


if __name__ == '__main__':
    main(sys.argv[1:])
