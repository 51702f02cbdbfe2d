#!/usr/bin/python3
"""Started as root, jumpgate binds and loads, then runs as `User`.

Why: a bastion faces the internet; a daemon that keeps root after it no
longer needs it turns any bug into a root compromise.  Root is needed
for a port below 1024 and a root-only host key, nothing after.

  User nobody on a port below 1024: the daemon binds it, then every uid
    and gid of the process is nobody's, it holds no capability at all
    (AuthorizedKeysFile is an absolute pattern), and ssh -W still
    authenticates (keys readable by nobody) and forwards.
  %h pattern: the one capability kept is CAP_DAC_READ_SEARCH (to read
    users' authorized_keys as sshd does), nothing else.
  no such account: start and -t exit 255 naming the User and the fix;
    so does the default ("jumpgate") on a machine without that account.
  User root keeps root (the explicit way).
  PidFile in a missing directory: made nobody's, the file removed at exit.
"""

import os
import pwd
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

CAP_DAC_READ_SEARCH = 1 << 2


def status(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            k, _, v = ln.partition(':')
            out[k] = v.split()
    return out


def low_port():
    for p in range(900, 1000):
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise J.Skip('no free port below 1024')


def setup(env, r):
    if os.geteuid() != 0:
        raise J.Skip('needs root')
    c = J.Ctx(env=env)
    c.r = r
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    # nobody must reach the public keys; private keys stay 0600
    for d in (env.dir, env.authdir):
        os.chmod(d, 0o755)
    os.chmod(os.path.join(env.authdir, J.USER + '.keys'), 0o644)
    c.nobody = pwd.getpwnam('nobody')
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.hostkey = env.key('host')
    return c


def conf(c, name, lines, port=None):
    return c.env.write(name, '\n'.join(
        ['Port %d' % (port or J.free_port()), 'ListenAddress 127.0.0.1',
         'HostKey %s' % c.hostkey.path, 'PidFile none',
         'StateDirectory %s' % c.env.statedir, 'LogLevel DEBUG1'] +
        lines) + '\n')


def t_nobody_low_port(c):
    port = low_port()

    class Low(J.Daemon):
        def _write_conf(self):
            J.Daemon._write_conf(self)
            text = open(self.conf).read().replace('User root',
                                                  'User nobody')
            self.env.write(self.name + '.conf', text)

    d = c.r.watch(Low(c.env, name='low', port=port).start())
    want = str(c.nobody.pw_uid)
    # the switch comes a moment after the "Server listening" lines
    d.log.wait(r'running as nobody \(uid %s\)$' % want, timeout=T(30))
    st = status(d.pid)
    assert st['Uid'] == [want] * 4, st['Uid']
    assert st['Gid'] == [str(c.nobody.pw_gid)] * 4, st['Gid']
    assert int(st['CapEff'][0], 16) == 0, st['CapEff']
    assert int(st['CapPrm'][0], 16) == 0, st['CapPrm']
    r = J.run(J.ssh_w_args(c.key, d, '127.0.0.1', c.echo.port),
              input=b'hello\n')
    assert r.rc == 0 and r.out == b'hello\n', r


def t_pidfile_removed(c):
    run = os.path.join(c.env.dir, 'run')
    pidfile = os.path.join(run, 'jumpgate.pid')
    path = conf(c, 'pid.conf', ['User nobody', 'StrictModes no',
                                'AuthorizedKeysFile %s/%%u.keys'
                                % c.env.authdir])
    text = open(path).read().replace('PidFile none', 'PidFile ' + pidfile)
    c.env.write('pid.conf', text)
    p = J.Proc([J.daemon_path(), '-f', path, '-e', '-o', 'LogLevel=VERBOSE'],
               name='pid')
    try:
        p.wait_stderr(r'running as nobody')
        st = os.stat(run)
        assert st.st_uid == c.nobody.pw_uid, 'run dir owned by %d' % \
            st.st_uid
        with open(pidfile) as f:
            assert f.read().strip() == str(p.pid)
    finally:
        rc = p.stop()
    assert rc == 0, (rc, p.stderr_text()[-2000:])
    assert not os.path.exists(pidfile), 'the pid file stayed: ' + \
        p.stderr_text()[-1000:]


def t_home_keeps_dac_read(c):
    path = conf(c, 'home.conf', ['User nobody',
                                 'AuthorizedKeysFile %h/.ssh/authorized_keys'])
    p = J.Proc([J.daemon_path(), '-f', path, '-e'], name='home')
    try:
        p.wait_stderr(r'Server listening on')
        p.wait_stderr(r'running as nobody')
        st = status(p.pid)
        assert st['Uid'] == [str(c.nobody.pw_uid)] * 4, st['Uid']
        assert int(st['CapEff'][0], 16) == CAP_DAC_READ_SEARCH, st
        assert int(st['CapPrm'][0], 16) == CAP_DAC_READ_SEARCH, st
        assert int(st['CapInh'][0], 16) == 0, st
    finally:
        p.stop()


def t_no_account(c):
    for name, lines, user in (
            ('missing.conf', ['User jg-no-such-user'], 'jg-no-such-user'),
            ('default.conf', [], 'jumpgate')):
        if user == 'jumpgate':
            try:
                pwd.getpwnam('jumpgate')
                continue    # the package is installed here: nothing to see
            except KeyError:
                pass
        path = conf(c, name, lines)
        for args in (['-t'], []):
            r = J.run([J.daemon_path(), '-f', path, '-e'] + args,
                      timeout=T(60))
            err = r.err.decode()
            assert r.rc == 255, r
            assert ('User %s: no such account' % user) in err and \
                'set "User root"' in err, err


def t_user_root(c):
    d = c.r.watch(J.Daemon(c.env, name='root').start())
    d.log.wait(r'running as root, as "User root" asks', timeout=T(30))
    st = status(d.pid)
    assert st['Uid'] == ['0'] * 4, st['Uid']


TESTS = [
    ('User nobody: bound below 1024, no uid 0, no capability, forwards',
     t_nobody_low_port),
    ('%h pattern keeps CAP_DAC_READ_SEARCH alone', t_home_keeps_dac_read),
    ('the pid file of a User nobody daemon is removed at exit',
     t_pidfile_removed),
    ('no such account: start and -t exit 255', t_no_account),
    ('User root stays root', t_user_root),
]

if __name__ == '__main__':
    J.main('privileges', setup, TESTS)
