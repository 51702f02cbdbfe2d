#!/usr/bin/python3
"""The daemon under exhausted descriptors, and small faults of its own.

Why: a bastion runs for months; running out of file descriptors must not
turn it into a spinning, log-flooding process, and what `-t` approves
must be what a start accepts.

  descriptor exhaustion: with the daemon's RLIMIT_NOFILE lowered (prlimit)
    so that accept fails with EMFILE while clients wait in the backlog,
    the daemon logs the pause about once a second (not hundreds of
    thousands of lines), stays near idle, keeps relaying an established
    channel, and refuses a new channel open it cannot get a socket for;
    with the limit restored the waiting clients are served and a new
    session forwards again.
  disconnect line: a client's SSH_MSG_DISCONNECT is logged in sshd's
    words, "Received disconnect from H port P:11: disconnected by user".
  -t loads the host keys: a HostKey file that exists but holds no usable
    key is reported ("Unable to load host key: PATH: ...") and skipped as
    sshd does: alone it makes -t exit 255, beside a good key -t exits 0.
"""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

import paramiko  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env, extra='Workers 1').start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    return c


def prlimit_nofile(pid, soft, hard):
    # only the soft limit moves: raising a hard limit needs CAP_SYS_RESOURCE
    r = J.run(['prlimit', '--pid', str(pid), '--nofile=%d:%d' % (soft, hard)])
    assert r.rc == 0, r


def nofile(pid):
    with open('/proc/%d/limits' % pid) as f:
        for ln in f:
            if ln.startswith('Max open files'):
                return int(ln.split()[3]), int(ln.split()[4])
    raise AssertionError('no limit line')


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def echo(ch, data):
    ch.sendall(data)
    got = b''
    while len(got) < len(data):
        b = ch.recv(65536)
        assert b, 'echo channel closed early'
        got += b
    assert got == data


def t_emfile(c):
    J.need('prlimit')
    d = c.d
    t, _ = J.paramiko_connect(d, c.key)
    soft, hard = nofile(d.pid)
    waiting = []
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 4242), timeout=T(30))
        ch.settimeout(T(30))
        echo(ch, b'before\n')
        base = d.settled_fd_count()
        m = d.mark()
        # room for one more accepted connection (socket + our dup), no more
        prlimit_nofile(d.pid, base + 2, hard)
        for _ in range(6):
            s = socket.create_connection(('127.0.0.1', d.port), timeout=T(30))
            waiting.append(s)
        d.log.wait(r'accept: Too many open files', mark=m, timeout=T(30))
        cpu0, m2 = cpu_seconds(d.pid), d.mark()
        time.sleep(3)
        lines = len(d.log.find(r'accept: Too many open files', m2))
        busy = cpu_seconds(d.pid) - cpu0
        assert lines <= 8, '%d accept error lines in 3 s' % lines
        assert d.log.has(r'worker_pause_accept: worker 0: accept: Too many '
                         r'open files; not accepting for 1 s', m)
        assert busy < 1.5, 'the daemon used %.2f s of CPU in 3 s' % busy
        # established channels keep working
        echo(ch, b'during\n' * 1000)
        # a new open cannot get a socket: OPEN_FAILURE, not a hang
        m3 = d.mark()
        try:
            t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                           ('127.0.0.1', 4243), timeout=T(30))
            raise AssertionError('an open was confirmed without a socket')
        except paramiko.ChannelException:
            pass
        d.log.wait(r'connect to 127\.0\.0\.1 port %d failed: Too many open '
                   r'files' % c.echo.port, mark=m3, timeout=T(30))
        # recovery
        prlimit_nofile(d.pid, soft, hard)
        # each waiting client is served now, or was closed at once when
        # the daemon could not set it up: none is left hanging
        for s in waiting:
            s.settimeout(T(30))
            banner = s.recv(256)
            assert banner == b'' or banner.startswith(b'SSH-2.0-'), banner
        d.log.wait(r'worker 0: accepting again', mark=m, timeout=T(30))
        t2, _ = J.paramiko_connect(d, c.key)
        try:
            ch2 = t2.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                                  ('127.0.0.1', 4244), timeout=T(30))
            ch2.settimeout(T(30))
            echo(ch2, b'after\n')
        finally:
            t2.close()
        echo(ch, b'still\n')
    finally:
        for s in waiting:
            s.close()
        if nofile(d.pid) != (soft, hard):
            prlimit_nofile(d.pid, soft, hard)
        t.close()
    d.assert_alive()


def t_disconnect_line(c):
    from paramiko.common import cMSG_DISCONNECT
    from paramiko.message import Message
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key)
    msg = Message()
    msg.add_byte(cMSG_DISCONNECT)
    msg.add_int(11)
    msg.add_string('disconnected by user')
    msg.add_string('')
    t._send_user_message(msg)
    c.d.log.wait(r'^Received disconnect from 127\.0\.0\.1 port %d:11: '
                 r'disconnected by user$' % lport, mark=m, timeout=T(30))
    c.d.log.wait(r'^Disconnected from user %s 127\.0\.0\.1 port %d$'
                 % (J.USER, lport), mark=m, timeout=T(30))
    t.close()


def t_test_loads_hostkeys(c):
    env = c.env
    junk = env.write('junk_host_key', 'this is not a key\n')
    os.chmod(junk, 0o600)
    good = env.key('good_host')

    def conf(name, keys):
        return env.write(name, '\n'.join(
            ['Port %d' % J.free_port(), 'ListenAddress 127.0.0.1',
             'AuthorizedKeysFile %s/%%u.keys' % env.authdir,
             'PidFile none', 'User root', 'StateDirectory %s' % env.statedir] +
            ['HostKey %s' % k for k in keys]) + '\n')

    r = J.run([J.daemon_path(), '-t', '-f', conf('junk.conf', [junk])])
    err = r.err.decode()
    assert r.rc == 255, r
    assert 'Unable to load host key: %s: not a private key' % junk in err, \
        err
    r = J.run([J.daemon_path(), '-t', '-f',
               conf('mixed.conf', [junk, good.path])])
    assert r.rc == 0, r
    assert 'Unable to load host key: %s' % junk in r.err.decode(), r


TESTS = [
    ('descriptor exhaustion: paused accept, no spin, recovery', t_emfile),
    ('disconnect line as sshd', t_disconnect_line),
    ('-t loads every host key', t_test_loads_hostkeys),
]

if __name__ == '__main__':
    J.main('daemon faults', setup, TESTS)
