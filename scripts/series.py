#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The patch series: a stack of commits on a pristine base tree.

A line of the series (patches/LINE/, today 6.12) is what a kernel
engineer mails and a distribution carries: the patches as git
format-patch writes them (git am-able, and listed in order in a quilt
series file), a cover letter, and LINE/line, which names the base
(Debian's source package, the release the patches were exported against
and those make check passed on) and the patches that also go onto the
pristine base tree.  The patches are the source: nothing else is.

  series.py assemble ours   git am the patches onto the base tree, as
    [--force]               commits in .build/linux: edit them there
                            (git rebase -i, commit --fixup, git absorb);
                            --force drops what was not exported
  series.py assemble base   the test patches listed in LINE/line as
                            Differential, and the KUnit cases of the
                            fixes listed as Cases, onto the base tree,
                            in .build/differential/linux
  series.py export          the commits of .build/linux back into
                            patches/LINE, and the files of the series at
                            their kernel paths in this repository
  series.py check           patches/LINE as export writes them, the files
                            at kernel paths those of the last patch
  series.py list            the subjects, those of the base tree marked
  series.py status          fail if .build/linux holds work not exported

Assembly is incremental: each patch has a key (a hash of its file and of
the previous key), and only patches from the first changed key on are
applied again.  Commits in .build/linux that were not exported are never
dropped: assemble refuses to run over them.
"""
import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, '.build')
BASE = os.path.join(BUILD, 'base')
# The kernels' build directories are directories .build-* of the trees
# (scripts/lib.sh: kernel_dir), which assembling keeps.
TREES = {'ours': 'linux', 'base': 'differential/linux'}
# The parts of this repository that hold the files of the series, at
# their kernel paths.
KERNEL_DIRS = ('kernel/', 'include/', 'arch/', 'Documentation/', 'tools/',
               'lib/', 'mm/')
LINE = '6.12'
# Where the suites live: all that the base tree takes of a fix (Cases).
TESTS = 'kernel/dma/tests/'
# The build glue of the test directory: each suite adds its block, so
# the base tree, which takes only some of the suites, takes the blocks
# of those only (differential()).
GLUE = ('kernel/dma/tests/Kconfig', 'kernel/dma/tests/Makefile',
        'kernel/dma/tests/.kunitconfig',
        'kernel/dma/tests/x86_64.kunitconfig',
        'kernel/dma/tests/arm64.kunitconfig',
        'kernel/dma/tests/riscv.kunitconfig',
        'kernel/dma/tests/arm.kunitconfig')
# Commits made by this script (assemble) are dated from their patch and
# committed by the series' author: the same patches give the same
# commits, on any machine.
GIT_ENV_KEYS = ('GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME',
                'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE')


def die(msg):
    sys.exit('series: ' + msg)


# Git as this script runs it: without the caller's global and system
# configuration, which can change what format-patch, diff and am write
# (format.signOff, diff.noprefix...).  The trees' own configuration
# (configure_editing()) still applies.
GIT_ENV = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM='1')


def git(cwd, *args, env=None, capture=True, check=True, stdin=None,
        raw=False):
    """Run git in @cwd; its output, stripped unless @raw."""
    res = subprocess.run(['git', '-C', cwd] + list(args), env=env or GIT_ENV,
                         input=stdin, stdout=subprocess.PIPE if capture
                         else None, stderr=subprocess.PIPE, text=True)
    if res.returncode and check:
        die('git %s failed in %s:\n%s' % (' '.join(args), cwd, res.stderr))
    if not capture:
        return ''
    return res.stdout if raw else res.stdout.strip()


def pdir():
    return os.path.join(TOP, 'patches', LINE)


def read_line():
    """The fields of patches/LINE/line, continuation lines joined by
    newlines: {'made-against': '6.12.118', 'differential': '...'}."""
    fields, key = {}, None
    with open(os.path.join(pdir(), 'line')) as f:
        for raw in f:
            line = raw.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            if line[0] in ' \t' and key:
                fields[key] += '\n' + line.strip()
                continue
            key, sep, val = line.partition(':')
            if not sep:
                die('patches/%s/line: not "Field: value": %r' % (LINE, line))
            key = key.strip().lower()
            fields[key] = val.strip()
    for need in ('package', 'made-against', 'author'):
        if need not in fields:
            die('patches/%s/line: no %s' % (LINE, need.capitalize()))
    fields['verified-on'] = fields.get('verified-on', '').split()
    for key in ('differential', 'cases'):
        fields[key] = [s for s in fields.get(key, '').split('\n') if s]
    return fields


def write_made_against(version):
    path = os.path.join(pdir(), 'line')
    with open(path) as f:
        text = f.read()
    text = re.sub(r'(?m)^Made-against:.*$', 'Made-against: ' + version, text)
    with open(path, 'w') as f:
        f.write(text)


def identity():
    name, sep, email = read_line()['author'].partition(' <')
    if not sep or not email.endswith('>'):
        die('patches/%s/line: Author: want "Name <email>"' % LINE)
    return name, email[:-1]


def series_env(date=None):
    """The environment of the commits this script makes: the series'
    author commits them, so that whoever assembles signs off nothing."""
    name, email = identity()
    env = {k: v for k, v in GIT_ENV.items() if k not in GIT_ENV_KEYS}
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    if date:
        env['GIT_COMMITTER_DATE'] = date
    return env


def patch_files():
    """The patches of the line in order, without the cover letter."""
    names = sorted(glob.glob(os.path.join(pdir(), '[0-9][0-9][0-9][0-9]-*.patch')))
    return [p for p in names if not os.path.basename(p).startswith('0000-')]


def base_version(tree=BASE):
    with open(os.path.join(tree, 'Makefile')) as f:
        mk = dict(ln.split(' = ', 1) for ln in f.read().splitlines()
                  if ln.split(' = ')[0] in ('VERSION', 'PATCHLEVEL',
                                            'SUBLEVEL'))
    return '%s.%s.%s' % (mk['VERSION'], mk['PATCHLEVEL'], mk['SUBLEVEL'])


def ensure_worktree(tree):
    if os.path.exists(os.path.join(tree, '.git')):
        return
    if not os.path.isdir(os.path.join(BASE, '.git')):
        die('no base tree in .build/base: run scripts/setup.sh')
    git(BASE, 'worktree', 'prune')
    git(BASE, 'worktree', 'add', '-q', '--detach', tree, 'base')


def configure_editing(tree):
    """Git settings of @tree for editing the series by hand: a branch
    (ours-LINE), commits by the series' author, whoever edits, and git
    absorb looking as far back as the first patch (10 commits by
    default)."""
    if git(tree, 'symbolic-ref', '-q', 'HEAD', check=False) == '':
        # Only after unexported(): the branch, if any, is at HEAD already.
        git(tree, 'checkout', '-q', '-B', 'ours-' + LINE)
    name, email = identity()
    for key, val in (('user.name', name), ('user.email', email),
                     ('absorb.maxStack', '1000')):
        if git(tree, 'config', '--get', key, check=False) != val:
            git(tree, 'config', key, val)


def read_state(tree):
    """[(key, sha)] of the patches applied in @tree by the last assembly."""
    path = tree + '.series'
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


def write_state(tree, state):
    with open(tree + '.series', 'w') as f:
        f.writelines('%s %s\n' % ks for ks in state)


# What git leaves in a worktree's git directory while an operation that
# the developer must finish or abort is under way.
IN_PROGRESS = ('rebase-merge', 'rebase-apply', 'BISECT_LOG', 'MERGE_HEAD',
               'CHERRY_PICK_HEAD', 'REVERT_HEAD')


def in_progress(tree):
    """The git operation under way in @tree, or None."""
    gitdir = git(tree, 'rev-parse', '--absolute-git-dir')
    for marker in IN_PROGRESS:
        if os.path.exists(os.path.join(gitdir, marker)):
            return marker
    return None


def unexported(tree, state, ours=True):
    """Why @tree holds work that assembling would drop, or None: an
    operation under way, commits made since the last assembly or export
    (at HEAD, and in ours on the branch ours-LINE too), changes, and in
    ours new files outside the build directories."""
    op = in_progress(tree)
    if op:
        return 'a git operation is under way (%s): finish or abort it' % op
    last = state[-1][1] if state else git(BASE, 'rev-parse', 'base')
    head = git(tree, 'rev-parse', 'HEAD')
    branch = ours and git(tree, 'rev-parse', '-q', '--verify',
                          'refs/heads/ours-' + LINE, check=False)
    for what, sha in (('HEAD', head), ('branch ours-' + LINE, branch)):
        if sha and sha != last:
            return 'its %s (%s) is not the last patch assembled or ' \
                   'exported (%s)' % (what, sha[:12], last[:12])
    dirty = git(tree, 'status', '--porcelain', '--untracked-files=no',
                raw=True).splitlines()
    if ours:
        dirty += ['?? ' + p for p in new_files(tree)]
    if dirty:
        return 'it has changes not committed:\n' + '\n'.join(dirty)
    return None


def new_files(tree):
    """Files in @tree that git does not track and the kernel's .gitignore
    files do not ignore (the reST that make htmldocs generates from the
    netlink specs), but for the build directories and Python's caches.
    Debian's top-level .gitignore ignores every top-level entry (for its
    packaging): "!/*" on the command line, which outranks every
    .gitignore, takes them back."""
    out = git(tree, 'ls-files', '--others', '--directory',
              '--no-empty-directory', '--exclude-per-directory=.gitignore',
              '--exclude=!/*')
    return [p for p in out.splitlines()
            if not p.startswith('.build') and '__pycache__' not in p]


def rewind(tree, state, keys):
    """Reset @tree to the last patch whose key is unchanged; return how
    many patches it keeps."""
    keep = 0
    while keep < min(len(state), len(keys)) and state[keep][0] == keys[keep]:
        keep += 1
    git(tree, 'reset', '-q', '--hard', state[keep - 1][1] if keep else 'base')
    git(tree, 'clean', '-q', '-fdx', '-e', '/.build*')
    return keep


def patch_date(path):
    with open(path, errors='replace') as f:
        for line in f:
            if line.startswith('Date: '):
                return line[6:].strip()
            if not line.strip():
                break
    die('%s: no Date: header' % path)


def assemble_ours(force=False):
    """The patches onto the base tree in .build/linux; unless @force,
    only if that drops nothing made there."""
    tree = os.path.join(BUILD, TREES['ours'])
    ensure_worktree(tree)
    state = read_state(tree)
    why = unexported(tree, state)
    if why and not force:
        die('.build/linux holds work that is not in patches/%s: %s\n'
            'Run make export to keep it, or make series FORCE=1 to drop it.'
            % (LINE, why))
    if why:
        op = in_progress(tree)
        if op in ('rebase-apply', 'rebase-merge'):
            git(tree, 'am' if op == 'rebase-apply' else 'rebase', '--abort',
                check=False)
        state = []
    configure_editing(tree)
    patches = patch_files()
    keys, prev = [], 'base:' + git(BASE, 'rev-parse', 'base^{tree}')
    for p in patches:
        with open(p, 'rb') as f:
            prev = hashlib.sha256(prev.encode() + f.read()).hexdigest()
        keys.append(prev)
    if [k for k, _ in state] == keys:
        print('series: ours tree up to date (%d patches)' % len(keys))
        return
    keep = rewind(tree, state, keys)
    state = state[:keep]
    for p, k in zip(patches[keep:], keys[keep:]):
        res = subprocess.run(['git', '-C', tree, 'am', '-q', '--keep-cr',
                              '--committer-date-is-author-date', p],
                             env=series_env(), capture_output=True, text=True)
        if res.returncode:
            git(tree, 'am', '--abort', check=False)
            write_state(tree, state)
            die('%s does not apply to Linux %s:\n%s'
                % (os.path.relpath(p, TOP), base_version(),
                   res.stdout + res.stderr))
        state.append((k, git(tree, 'rev-parse', 'HEAD')))
        write_state(tree, state)
        print('series: ours: applied %s' % os.path.basename(p))


def commits(tree):
    """[(sha, subject)] of the patches in @tree, oldest first."""
    out = git(tree, 'log', '--reverse', '--format=%H %s', 'base..HEAD')
    return [tuple(line.split(' ', 1)) for line in out.splitlines()]


def added_symbols(tree, sha):
    """The Kconfig symbols that commit @sha adds, in any Kconfig file."""
    diff = git(tree, 'show', '--format=', sha, '--', ':(glob)**/Kconfig*')
    return set(re.findall(r'^\+(?:menu)?config\s+(\S+)', diff, re.M))


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


def opens_with(para, hidden):
    """Whether the first option of kunitconfig paragraph @para is hidden."""
    for ln in para.splitlines():
        if ln.startswith('CONFIG_'):
            return ln[len('CONFIG_'):].split('=')[0] in hidden
    return False


def without(path, text, hidden):
    """Glue file @path of @text without what concerns @hidden symbols:
    their Kconfig blocks, the kunitconfig paragraphs they open, and every
    line that names one."""
    if path.endswith('Kconfig'):
        kept = [t for sym, t in kconfig_blocks(text) if sym not in hidden]
        # A dropped last block leaves its separating blank line behind.
        return ''.join(kept).rstrip('\n') + '\n'
    if path.endswith('kunitconfig'):
        paras = re.split(r'(?<=\n)\n', text)
        text = '\n'.join(p for p in paras if not opens_with(p, hidden))
    return ''.join(ln for ln in text.splitlines(True)
                   if not any('CONFIG_%s)' % h in ln or 'CONFIG_%s=' % h in ln
                              for h in hidden))


def differential():
    """The commits of ours that also go onto the base tree, with the
    symbols each adds and the paths taken from it (None: all of it):
    [(sha, subject, symbols, paths)], and every symbol the series adds.
    A patch of Differential goes whole; of a fix listed under Cases,
    only its KUnit cases go, so that the base tree shows them failing."""
    ours = os.path.join(BUILD, TREES['ours'])
    line = read_line()
    wanted, cases = line['differential'], line['cases']
    found, every = [], set()
    for sha, subject in commits(ours):
        syms = added_symbols(ours, sha)
        every |= syms
        if subject in wanted:
            found.append((sha, subject, syms, None))
        elif subject in cases:
            found.append((sha, subject, syms, [TESTS]))
    for field, names in (('Differential', wanted), ('Cases', cases)):
        missing = set(names) - {s for _, s, _, _ in found}
        if missing:
            die('patches/%s/line: %s names no patch of the series: %s'
                % (LINE, field, '; '.join(sorted(missing))))
    return found, every


def assemble_base():
    """Each test patch of Differential, onto the base tree: its changes
    but to the build glue, applied with a three-way merge, and the glue as
    that patch leaves it in ours, without the blocks of the suites that
    the base tree does not take."""
    assemble_ours()
    ours = os.path.join(BUILD, TREES['ours'])
    tree = os.path.join(BUILD, TREES['base'])
    ensure_worktree(tree)
    picks, every = differential()
    keys, prev, shown = [], 'base:' + ' '.join(sorted(every)), set()
    for sha, _, syms, paths in picks:
        # What is picked is the change from the parent: both trees count.
        prev = hashlib.sha256((prev + git(ours, 'rev-parse', sha + '^{tree}')
                               + git(ours, 'rev-parse', sha + '^^{tree}')
                               + git(ours, 'log', '-1', '--format=%B', sha)
                               + repr(paths))
                              .encode()).hexdigest()
        keys.append(prev)
    state = read_state(tree)
    touched = unexported(tree, state, ours=False)
    if [k for k, _ in state] == keys and not touched:
        print('series: base tree up to date (%d patches)' % len(keys))
        return
    # Nothing is made by hand in the base tree: start it over if it was.
    keep = rewind(tree, [] if touched else state, keys)
    state = state[:keep]
    for i, (sha, subject, syms, paths) in enumerate(picks):
        shown |= syms
        if i < keep:
            continue
        pick_onto_base(ours, tree, sha, every - shown, paths)
        state.append((keys[i], git(tree, 'rev-parse', 'HEAD')))
        write_state(tree, state)
        print('series: base: applied %s' % subject)


def pick_onto_base(ours, tree, sha, hidden, paths=None):
    """Commit @sha of @ours onto @tree, only under @paths if given, its
    glue without @hidden symbols."""
    excludes = [':(exclude)' + g for g in GLUE]
    diff = git(ours, 'diff', '--binary', '--full-index', sha + '^', sha,
               '--', *(paths or ['.']), *excludes, raw=True)
    if diff:
        res = subprocess.run(['git', '-C', tree, 'apply', '--index', '-3'],
                             input=diff, capture_output=True, text=True)
        if res.returncode:
            die('the test patch "%s" does not apply to the base tree: it '
                'depends on a patch that is not in Differential:\n%s'
                % (git(ours, 'log', '-1', '--format=%s', sha), res.stderr))
    for g in GLUE:
        text = subprocess.run(['git', '-C', ours, 'show', '%s:%s' % (sha, g)],
                              capture_output=True, text=True)
        if text.returncode:
            continue
        dst = os.path.join(tree, g)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, 'w') as f:
            f.write(without(g, text.stdout, hidden))
        git(tree, 'add', '-f', '--', g)
    msg = git(ours, 'log', '-1', '--format=%B', sha)
    date = git(ours, 'log', '-1', '--format=%aD', sha)
    env = series_env(date)
    env['GIT_AUTHOR_DATE'] = date
    git(tree, 'commit', '-q', '--no-verify', '--allow-empty', '-F', '-',
        stdin=msg + '\n', env=env)


def format_patches(outdir, tree):
    """git format-patch of the commits of @tree into @outdir, the cover
    letter filled."""
    os.makedirs(outdir, exist_ok=True)
    for old in glob.glob(os.path.join(outdir, '*.patch')):
        os.remove(old)
    # No commit ids, signature or git version, and index lines of a fixed
    # length (git's own follows the size of the repository): the same
    # commits give the same files on any machine.
    git(tree, '-c', 'core.abbrev=12', 'format-patch', '-q', '--cover-letter',
        '--zero-commit', '--no-signature', '-o', os.path.abspath(outdir),
        'base..HEAD', env=series_env())
    fill_cover(os.path.join(outdir, '0000-cover-letter.patch'),
               git(tree, 'log', '-1', '--format=%aD', 'HEAD'))
    names = sorted(os.path.basename(p) for p in
                   glob.glob(os.path.join(outdir, '[0-9]*.patch')))
    with open(os.path.join(outdir, 'series'), 'w') as f:
        f.write(''.join(n + '\n' for n in names
                        if not n.startswith('0000-')))


def fill_cover(path, date):
    """The cover letter's subject and text from patches/LINE/cover, with
    its Base: paragraph made from patches/LINE/line, dated @date (that of
    the last patch, not the time of the export)."""
    with open(os.path.join(pdir(), 'cover')) as f:
        head, _, body = f.read().partition('\n\n')
    subject = head.partition('Subject:')[2].strip()
    line = read_line()
    tested = [v for v in line['verified-on'] if v != line['made-against']]
    base = ('Base: Linux %s as Debian\'s %s package ships it; on another '
            '%s.y tree, apply the patches with "git am -3".  Also tested on '
            '%s.' % (line['made-against'], line['package'], LINE,
                     ', '.join(tested) or 'no other release'))
    body = body.replace('@BASE@', textwrap.fill(base, 72))
    with open(path) as f:
        text = f.read()
    text = re.sub(r'(?m)^Date: .*$', lambda _: 'Date: ' + date, text, 1)
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', body.rstrip('\n'))
    with open(path, 'w') as f:
        f.write(text)


def tracked_here():
    """The files this repository tracks at kernel paths.  Its checkout
    may belong to another user than the one running the check (a CI
    runner): it is trusted here by path, as the global configuration that
    git() leaves out may do."""
    out = git(TOP, '-c', 'safe.directory=' + TOP, 'ls-files', '-z', '--',
              *KERNEL_DIRS, raw=True)
    return set(p for p in out.split('\0') if p)


def snapshot_paths(tree):
    """The files of the series kept at their kernel paths here: those the
    series creates and those it changes that this repository tracks (the
    rewritten files); upstream files it only touches stay diffs."""
    created = git(tree, 'diff', '--no-renames', '--name-only',
                  '--diff-filter=A', 'base', 'HEAD').split('\n')
    return sorted(p for p in set(created) | tracked_here() if p)


def write_snapshot(tree):
    for p in snapshot_paths(tree):
        src, dst = os.path.join(tree, p), os.path.join(TOP, p)
        if not os.path.exists(src):
            if os.path.exists(dst):
                os.remove(dst)
                print('series: removed %s (the series no longer has it)' % p)
            continue
        with open(src, 'rb') as f:
            data = f.read()
        old = open(dst, 'rb').read() if os.path.exists(dst) else None
        if old != data:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, 'wb') as f:
                f.write(data)
            shutil.copymode(src, dst)
            print('series: wrote %s' % p)


def export():
    """patches/LINE and the files at kernel paths from .build/linux."""
    tree = os.path.join(BUILD, TREES['ours'])
    if not os.path.exists(os.path.join(tree, '.git')):
        die('no .build/linux: run make series first')
    op = in_progress(tree)
    if op:
        die('.build/linux: a git operation is under way (%s): finish it '
            'first' % op)
    if git(tree, 'symbolic-ref', '-q', 'HEAD', check=False) != \
            'refs/heads/ours-' + LINE:
        die('.build/linux: HEAD is not the branch ours-%s, the series: '
            'check it out first' % LINE)
    dirty = git(tree, 'status', '--porcelain', '--untracked-files=no')
    if dirty:
        die('.build/linux has changes not committed: commit them first '
            '(git commit --fixup, then git rebase -i --autosquash base):\n'
            + dirty)
    if read_line()['made-against'] != base_version():
        print('series: patches/%s/line: Made-against: %s (was %s)'
              % (LINE, base_version(), read_line()['made-against']))
        write_made_against(base_version())
    format_patches(pdir(), tree)
    write_snapshot(tree)
    roundtrip(tree)
    # What the tree holds is now what the patches give.
    state, prev = [], 'base:' + git(BASE, 'rev-parse', 'base^{tree}')
    for p, (sha, _) in zip(patch_files(), commits(tree)):
        with open(p, 'rb') as f:
            prev = hashlib.sha256(prev.encode() + f.read()).hexdigest()
        state.append((prev, sha))
    write_state(tree, state)
    print('series: exported %d patches to patches/%s' % (len(state), LINE))


def check():
    """Fail unless patches/LINE are what export writes from them and the
    files at kernel paths are those of the last patch.  On another
    release than Made-against, applying is the check, and what upstream
    changed in the files of the series is told."""
    assemble_ours()
    tree = roundtrip(os.path.join(BUILD, TREES['ours']))
    line = read_line()
    made, now = line['made-against'], base_version()
    if made == now:
        fresh = os.path.join(BUILD, 'patches-check')
        format_patches(fresh, tree)
        committed = sorted(os.path.basename(p) for p in
                           glob.glob(os.path.join(pdir(), '*.patch')))
        committed.append('series')
        stale = [n for n in committed
                 if not same_file(os.path.join(pdir(), n),
                                  os.path.join(fresh, n))]
        stale += sorted(set(os.listdir(fresh)) - set(committed))
        if stale:
            die('patches/%s is not what git format-patch writes from it '
                '(%s): run make series, then make export'
                % (LINE, ', '.join(sorted(set(stale)))))
    else:
        print('series: the base tree is Linux %s; patches/%s were made '
              'against %s and tested on %s' % (now, LINE, made,
                                               ', '.join(line['verified-on'])
                                               or 'no release'))
        print('series: its %d patches apply to %s with git am'
              % (len(patch_files()), now))
        moved = upstream_changes(patch_files())
        if moved:
            print('series: upstream changed files of the series between %s '
                  'and %s: check that the series keeps what changed:'
                  % (made, now))
            for path, how in moved:
                print('series:   %s (%s)' % (path, how))
        else:
            print('series: none of the files the series changes differs '
                  'between %s and %s' % (made, now))
    bad = [p for p in snapshot_paths(tree)
           if not same_file(os.path.join(TOP, p), os.path.join(tree, p))]
    if bad and made != now:
        print('series: on %s the last patch leaves these files otherwise '
              'than here (upstream changed them): %s' % (now, ', '.join(bad)))
    elif bad:
        die('these files at kernel paths here are not those of the last '
            'patch: %s\nEdit the patches in .build/linux (make series), '
            'then make export.' % ', '.join(bad))
    print('series: patches/%s up to date (%d patches)'
          % (LINE, len(patch_files())))


def roundtrip(tree):
    """git am the patches of the line onto the base tree from nothing, in
    .build/am-check, as a fresh clone would, and fail unless each gives
    the tree of its commit in @tree (git am drops what format-patch
    cannot carry: a message's "---" line, an empty commit...).  Return
    the worktree."""
    work = os.path.join(BUILD, 'am-check')
    # Whatever is left there goes, even a worktree of an earlier base
    # tree that git no longer knows (setup.sh extracted a new release).
    if os.path.exists(os.path.join(work, '.git')):
        git(BASE, 'worktree', 'remove', '--force', work, check=False)
    shutil.rmtree(work, ignore_errors=True)
    git(BASE, 'worktree', 'prune')
    git(BASE, 'worktree', 'add', '-q', '--detach', work, 'base')
    res = subprocess.run(['git', '-C', work, 'am', '-q', '--keep-cr',
                          '--committer-date-is-author-date'] + patch_files(),
                         env=series_env(), capture_output=True, text=True)
    if res.returncode:
        die('patches/%s do not apply to Linux %s with git am:\n%s'
            % (LINE, base_version(), res.stdout + res.stderr))
    log = ('log', '--reverse', '-z', '--format=%T %an <%ae> %ad%n%B',
           'base..HEAD')
    theirs = git(work, *log).split('\0')
    ours = git(tree, *log).split('\0')
    if ours != theirs:
        i = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b),
                 min(len(ours), len(theirs)))
        die('patch %d of patches/%s, applied with git am, does not give '
            'commit %d of %s: git am reads it otherwise than format-patch '
            'wrote it (a "---" line in the message, an empty commit...)'
            % (i + 1, LINE, i + 1, os.path.relpath(tree, TOP)))
    return work


def same_file(a, b):
    try:
        with open(a, 'rb') as fa, open(b, 'rb') as fb:
            return fa.read() == fb.read()
    except FileNotFoundError:
        return not os.path.exists(a) and not os.path.exists(b)


def upstream_changes(patches):
    """The files that @patches change whose pristine content, which the
    first patch to touch each names by its blob, is not the base tree's
    now: [(path, 'replaced' or 'changed')]."""
    first, seen = [], set()
    for p in patches:
        with open(p, errors='replace') as f:
            text = f.read()
        for m in re.finditer(r'^diff --git a/(\S+) b/\S+\n'
                             r'(?:(?!diff --git ).*\n)*?'
                             r'index ([0-9a-f]+)\.\.', text, re.M):
            if m.group(1) not in seen:
                seen.add(m.group(1))
                first.append((m.group(1), m.group(2)))
    ours = tracked_here()
    out = []
    for path, blob in first:
        if set(blob) == {'0'}:
            continue            # created by the series
        now = git(BASE, 'rev-parse', '--verify', '-q', 'base:' + path,
                  check=False)
        if not now.startswith(blob):
            out.append((path, 'replaced by the series' if path in ours
                        else 'changed by a patch of the series'))
    return out


def status():
    """Fail, saying why, if .build/linux holds work not exported."""
    tree = os.path.join(BUILD, TREES['ours'])
    if not os.path.exists(os.path.join(tree, '.git')):
        return
    why = unexported(tree, read_state(tree))
    if why:
        die('.build/linux holds work that is not in patches/%s: %s\n'
            'Run make export to keep it.' % (LINE, why))


def main(argv):
    global LINE
    ap = argparse.ArgumentParser(prog='series.py')
    ap.add_argument('--line', default=LINE)
    ap.add_argument('verb', choices=('assemble', 'export', 'check', 'list',
                                     'status'))
    ap.add_argument('tree', nargs='?', choices=tuple(TREES))
    ap.add_argument('--force', action='store_true')
    args = ap.parse_args(argv)
    LINE = args.line
    if args.verb == 'assemble' and args.tree == 'base':
        assemble_base()
    elif args.verb == 'assemble':
        assemble_ours(args.force)
    elif args.verb == 'export':
        export()
    elif args.verb == 'check':
        check()
    elif args.verb == 'status':
        status()
    else:
        assemble_ours()
        line = read_line()
        marks = dict.fromkeys(line['cases'], '  [its cases on base]')
        marks.update(dict.fromkeys(line['differential'], '  [base too]'))
        for _, subject in commits(os.path.join(BUILD, TREES['ours'])):
            print(subject + marks.get(subject, ''))


if __name__ == '__main__':
    main(sys.argv[1:])
