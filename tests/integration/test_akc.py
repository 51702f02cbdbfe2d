#!/usr/bin/python3
"""AuthorizedKeysCommand: keys looked up by a program, never blocking.

Why: fleets keep keys in a directory (LDAP, an HTTP service), not in
files on the bastion.  The command is run by a worker that serves other
sessions meanwhile, so a command that hangs, floods or fails must cost
only its own login, and it runs as a powerless account with nothing of
the daemon's (environment, descriptors) handed down.

The command is one script written here; what it does depends on the user
name (%u) it is run for: "good*" prints the line the test left for that
user, "hang*" starts a child and sleeps, "garbage*" prints junk,
"mixed*" junk then the right line, "huge*" 64 MB, "fail*" the right line
then exit 3.  Every run appends its user to a calls file and leaves its
argv, environment (/proc/self/environ: what exec gave it), ids and pids.

  A printed line with permitopen= authorizes ssh -W, and the option
    applies (another port is refused); the audit's key_source says
    "AuthorizedKeysCommand:1".
  %u %f %t %k reach the command; its environment is sshd's (PATH, USER,
    LOGNAME, HOME of the run-as account) and nothing else; it runs as
    AuthorizedKeysCommandUser (nobody) with nobody's groups, and has no
    descriptor but 0, 1 and 2.
  A key in AuthorizedKeysFile is taken from there: the command does not run.
  hang: refused after AuthorizedKeysCommandTimeout (log line), while a
    second client forwards meanwhile; the command and its child are gone.
  garbage: refused, each junk line skipped in the log; mixed: accepted
    from line 3.  huge: refused at the 1 MiB cap (log line), the daemon's
    RSS stays far below the 64 MB printed.  fail: refused with sshd's
    "failed, status 3" although its output had the key.
  Client killed while the command runs (timeout 120 s): the command and
    its child are killed at once (no process left in /proc), the daemon's
    descriptors return to their baseline.
  AuthorizedKeysCommandCache 3: a second login runs nothing; after the
    TTL the command runs again.
  StrictModes yes: the command under /tmp (mode 1777) is not run, with
    sshd's "Unsafe AuthorizedKeysCommand" line (jgtest writes StrictModes
    no for the others).
  Config: a relative path, an unknown token, no AuthorizedKeysCommandUser,
    a missing account: refused at load (-t) naming the problem; -T prints
    all four keywords.
"""

import json
import os
import pwd
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

SCRIPT = r'''#!/usr/bin/python3
import os, subprocess, sys, time
D = %(dir)r
u = sys.argv[1] if len(sys.argv) > 1 else ''
with open(D + '/calls', 'a') as f:
    f.write(u + '\n')
with open(D + '/argv.' + u, 'w') as f:
    f.write('\n'.join(sys.argv[1:]))
with open('/proc/self/environ', 'rb') as e, open(D + '/env.' + u, 'wb') as f:
    f.write(e.read())
with open(D + '/id.' + u, 'w') as f:
    f.write('%%d %%d %%s\n' %% (os.getuid(), os.getgid(),
                             ','.join(map(str, sorted(os.getgroups())))))
fds = ' '.join(sorted(os.listdir('/proc/self/fd')))
with open(D + '/fds.' + u, 'w') as f:
    f.write(fds)
mode = u.split('-')[0]
def resp():
    with open(D + '/resp.' + u) as f:
        return f.read()
if mode == 'hang':
    child = subprocess.Popen(['/bin/sleep', '1000'])
    with open(D + '/pids.' + u, 'w') as f:
        f.write('%%d %%d' %% (os.getpid(), child.pid))
    time.sleep(1000)
elif mode == 'garbage':
    sys.stdout.write('this is not a key\n'
                     'ssh-ed25519 AAAA!!notbase64\n'
                     'permitopen="unterminated ssh-ed25519 AAAA\n')
elif mode == 'mixed':
    sys.stdout.write('junk line one\nno-such-option ssh-ed25519 AAAA\n')
    sys.stdout.write(resp())
elif mode == 'huge':
    chunk = ('x' * 1023 + '\n') * 1024
    for i in range(64):
        sys.stdout.write(chunk)
elif mode == 'fail':
    sys.stdout.write(resp())
    sys.exit(3)
else:
    sys.stdout.write(resp())
'''


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            if ln.startswith('VmRSS:'):
                return int(ln.split()[1])
    return 0


def gone(pid):
    """True once pid is no process (or only a zombie being reaped)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def setup(env, r):
    if os.geteuid() != 0:
        raise J.Skip('needs root (the command runs as nobody)')
    c = J.Ctx(env=env)
    c.nobody = pwd.getpwnam('nobody')
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.sink = c.closing(J.Target(J.sink_handler(), name='sink'))
    c.out = env.path('akc')
    os.mkdir(c.out)
    os.chmod(c.out, 0o777)
    c.cmd = env.write('akc.py', SCRIPT % {'dir': c.out})
    os.chmod(c.cmd, 0o755)
    c.key = env.key('alice')
    c.audit_path = env.path('audit.json')
    c.d = r.watch(J.Daemon(env, extra='\n'.join([
        'AuthorizedKeysCommand %s %%u %%f %%t %%k' % c.cmd,
        'AuthorizedKeysCommandUser nobody',
        'AuthorizedKeysCommandTimeout 3',
        'AuditLog %s' % c.audit_path])).start())
    # the same command, a long timeout and the cache
    c.d2 = r.watch(J.Daemon(env, name='cached', extra='\n'.join([
        'AuthorizedKeysCommand %s %%u %%f %%t %%k' % c.cmd,
        'AuthorizedKeysCommandUser nobody',
        'AuthorizedKeysCommandTimeout 120',
        'AuthorizedKeysCommandCache 3'])).start())
    return c


def respond(c, user, options=None, key=None):
    key = key or c.key
    line = key.pub_line if not options else options + ' ' + key.pub_line
    p = os.path.join(c.out, 'resp.' + user)
    with open(p, 'w') as f:
        f.write(line + '\n')
    os.chmod(p, 0o644)


def calls(c, user):
    try:
        with open(os.path.join(c.out, 'calls')) as f:
            return [ln for ln in f.read().splitlines() if ln == user]
    except FileNotFoundError:
        return []


def read(c, what, user):
    with open(os.path.join(c.out, '%s.%s' % (what, user)), 'rb') as f:
        return f.read()


def forward(c, d, user, port=None, payload=b'ping akc\n'):
    return J.run(J.ssh_w_args(c.key, d, '127.0.0.1', port or c.echo.port,
                              user=user), input=payload)


def t_good(c):
    m = c.d.mark()
    respond(c, 'good', 'permitopen="127.0.0.1:%d"' % c.echo.port)
    r = forward(c, c.d, 'good')
    assert r.rc == 0 and r.out == b'ping akc\n', r
    c.d.log.wait(r'^Accepted key ED25519 \S+ found at %s:1$' %
                 J.re.escape(c.cmd), m)
    c.d.log.wait(r'^Accepted publickey for good from 127\.0\.0\.1 port \d+ '
                 r'ssh2: ED25519 SHA256:', m)
    # the option from the command's line applies
    r = forward(c, c.d, 'good', port=c.sink.port)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.d.log.wait(r'but the request was denied', m)
    ok = None
    deadline = time.monotonic() + T(30)
    while ok is None and time.monotonic() < deadline:
        with open(c.audit_path) as f:
            for ln in f:
                e = json.loads(ln)
                if e.get('event') == 'auth.success' and \
                        e.get('user') == 'good':
                    ok = e
        time.sleep(0.05)
    assert ok is not None, 'no auth.success for good in the audit log'
    assert ok['key_source'] == 'AuthorizedKeysCommand:1', ok


def t_tokens_env_ids(c):
    respond(c, 'good-t')
    r = forward(c, c.d, 'good-t')
    assert r.rc == 0, r
    argv = read(c, 'argv', 'good-t').decode().split('\n')
    pub = c.key.pub_line.split()
    fp = J.run(['ssh-keygen', '-lf', c.key.path + '.pub']).out_text.split()[1]
    assert argv == ['good-t', fp, pub[0], pub[1]], (argv, fp, pub)
    env = sorted(read(c, 'env', 'good-t').decode().split('\0')[:-1])
    want = sorted(['PATH=/usr/bin:/bin:/usr/sbin:/sbin', 'USER=nobody',
                   'LOGNAME=nobody', 'HOME=%s' % c.nobody.pw_dir])
    assert env == want, env
    uid, gid, groups = read(c, 'id', 'good-t').decode().split(' ')
    assert int(uid) == c.nobody.pw_uid and int(gid) == c.nobody.pw_gid, \
        (uid, gid)
    want_groups = sorted(os.getgrouplist('nobody', c.nobody.pw_gid))
    assert groups.strip() == ','.join(map(str, want_groups)), groups
    # listdir's own descriptor is the fourth
    fds = read(c, 'fds', 'good-t').decode().split()
    assert len(fds) == 4 and fds[:3] == ['0', '1', '2'], fds


def t_files_first(c):
    c.env.authorize('filed', c.key)
    respond(c, 'filed')
    r = forward(c, c.d, 'filed')
    assert r.rc == 0, r
    assert calls(c, 'filed') == [], 'the command ran for a key in a file'


def t_hang(c):
    m = c.d.mark()
    hang = J.Proc(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port,
                               user='hang-1'), env=c.env, name='ssh-hang')
    try:
        J.wait_until(lambda: os.path.exists(
            os.path.join(c.out, 'pids.hang-1')), T(30), 'the command')
        # another session is served while the command hangs
        respond(c, 'good-h')
        r = forward(c, c.d, 'good-h')
        assert r.rc == 0 and r.out == b'ping akc\n', r
        assert hang.running(), 'the hanging login ended before its timeout'
        rc = hang.wait(T(60))
        assert rc == 255, rc
    finally:
        hang.kill()
    c.d.log.wait(r'^AuthorizedKeysCommand %s hang-1 .* timed out after 3 '
                 r'seconds: killed$' % J.re.escape(c.cmd), m)
    c.d.log.wait(r'^Failed publickey for hang-1 from', m)
    pids = [int(p) for p in read(c, 'pids', 'hang-1').split()]
    J.wait_until(lambda: all(gone(p) for p in pids), T(30),
                 'the command and its child killed')


def t_garbage(c):
    m = c.d.mark()
    r = forward(c, c.d, 'garbage-1')
    assert r.rc == 255 and b'Permission denied' in r.err, r
    for n in (1, 2, 3):
        c.d.log.wait(r'%s:%d: (advance|check options)' %
                     (J.re.escape(c.cmd), n), m)
    c.d.log.wait(r'^Failed publickey for garbage-1 from', m)
    respond(c, 'mixed-1')
    r = forward(c, c.d, 'mixed-1')
    assert r.rc == 0, r
    c.d.log.wait(r'^Accepted key ED25519 \S+ found at %s:3$' %
                 J.re.escape(c.cmd), m)


def t_huge(c):
    m = c.d.mark()
    before = rss_kb(c.d.pid)
    r = forward(c, c.d, 'huge-1')
    assert r.rc == 255, r
    c.d.log.wait(r'^AuthorizedKeysCommand %s huge-1 .*: output longer than '
                 r'1048576 bytes: killed$' % J.re.escape(c.cmd), m)
    grew = rss_kb(c.d.pid) - before
    assert grew < 32 * 1024, 'daemon RSS grew by %d kB' % grew
    c.d.assert_alive()


def t_fail(c):
    m = c.d.mark()
    respond(c, 'fail-1')
    r = forward(c, c.d, 'fail-1')
    assert r.rc == 255, r
    c.d.log.wait(r'^AuthorizedKeysCommand %s fail-1 .* failed, status 3$' %
                 J.re.escape(c.cmd), m)
    assert not c.d.log.has(r'^Accepted publickey for fail-1', m)


def t_client_gone(c):
    base = c.d2.settled_fd_count()
    m = c.d2.mark()
    ssh = J.Proc(J.ssh_w_args(c.key, c.d2, '127.0.0.1', c.echo.port,
                              user='hang-2'), env=c.env, name='ssh-gone')
    try:
        J.wait_until(lambda: os.path.exists(
            os.path.join(c.out, 'pids.hang-2')), T(30), 'the command')
        pids = [int(p) for p in read(c, 'pids', 'hang-2').split()]
        assert not any(gone(p) for p in pids)
    finally:
        ssh.kill()
    # killed at the hang-up, long before the 120 s timeout
    J.wait_until(lambda: all(gone(p) for p in pids), T(60),
                 'the command and its child killed')
    c.d2.log.wait(r'Connection closed by .*hang-2', m)
    assert not c.d2.log.has(r'timed out', m)
    c.d2.wait_fds(base)


def t_cache(c):
    respond(c, 'good-c')
    r = forward(c, c.d2, 'good-c')
    assert r.rc == 0, r
    # the probe ran it, the signed request was answered from the cache
    assert len(calls(c, 'good-c')) == 1, calls(c, 'good-c')
    r = forward(c, c.d2, 'good-c')
    assert r.rc == 0, r
    assert len(calls(c, 'good-c')) == 1, calls(c, 'good-c')
    time.sleep(3.5)     # the TTL, not a speed assertion
    r = forward(c, c.d2, 'good-c')
    assert r.rc == 0, r
    assert len(calls(c, 'good-c')) == 2, calls(c, 'good-c')


def t_strictmodes(c):
    d = J.Daemon(c.env, name='strict', strictmodes=True, extra='\n'.join([
        'AuthorizedKeysCommand %s %%u' % c.cmd,
        'AuthorizedKeysCommandUser nobody'])).start()
    try:
        respond(c, 'good-s')
        r = forward(c, d, 'good-s')
        assert r.rc == 255, r
        d.log.wait(r'^Unsafe AuthorizedKeysCommand "%s": bad ownership or '
                   r'modes for directory /tmp$' % J.re.escape(c.cmd))
        assert calls(c, 'good-s') == [], 'an unsafe command ran'
    finally:
        problems = d.stop()
    assert not problems, problems


def t_config(c):
    def conf(name, lines):
        return c.env.write(name, '\n'.join(
            ['Port %d' % J.free_port(), 'ListenAddress 127.0.0.1',
             'HostKey %s' % c.d.hostkey.path, 'PidFile none',
             'User root'] + lines) + '\n')

    def jg(args):
        return J.run([J.daemon_path()] + args)
    bad = [
        (['AuthorizedKeysCommand akc.py %u'], r'c1\.conf:6: '
         r'AuthorizedKeysCommand: "akc.py" is not an absolute path'),
        (['AuthorizedKeysCommand /bin/true %u %D'], r'c2\.conf:6: '
         r'AuthorizedKeysCommand: unknown token %D'),
        (['AuthorizedKeysCommand /bin/true %u'], r'c3\.conf:6: '
         r'AuthorizedKeysCommand needs AuthorizedKeysCommandUser'),
        (['AuthorizedKeysCommand /bin/true %u',
          'AuthorizedKeysCommandUser no-such-user-akc'],
         r'AuthorizedKeysCommandUser no-such-user-akc: no such account'),
    ]
    for i, (lines, want) in enumerate(bad, 1):
        p = conf('c%d.conf' % i, lines)
        r = jg(['-t', '-f', p])
        assert r.rc == 255 and J.re.search(want, r.err_text), (lines, r)
    p = conf('ok.conf', ['AuthorizedKeysCommand /bin/true "%u x" %f',
                         'AuthorizedKeysCommandUser nobody',
                         'AuthorizedKeysCommandCache 1m'])
    r = jg(['-t', '-f', p])
    assert r.rc == 0, r
    r = jg(['-T', '-f', p])
    assert r.rc == 0, r
    lines = r.out_text.splitlines()
    for want in ['authorizedkeyscommand /bin/true "%u x" %f',
                 'authorizedkeyscommanduser nobody',
                 'authorizedkeyscommandtimeout 10',
                 'authorizedkeyscommandcache 60']:
        assert want in lines, (want, r.out_text)


if __name__ == '__main__':
    J.main('AuthorizedKeysCommand', setup, [
        ('a printed line authorizes, its permitopen applies',
         t_good),
        ('tokens, environment, ids and descriptors of the command',
         t_tokens_env_ids),
        ('a key in AuthorizedKeysFile does not run the command',
         t_files_first),
        ('a hanging command: refused at the timeout, others served',
         t_hang),
        ('garbage lines skipped and logged', t_garbage),
        ('64 MB of output: refused at the cap, RSS bounded', t_huge),
        ('exit status 3: refused with sshd\'s line', t_fail),
        ('client gone: the command killed, nothing left', t_client_gone),
        ('AuthorizedKeysCommandCache: one run within the TTL', t_cache),
        ('StrictModes yes: a command under /tmp is refused as sshd does',
         t_strictmodes),
        ('config errors at load, -T prints the keywords', t_config),
    ])
