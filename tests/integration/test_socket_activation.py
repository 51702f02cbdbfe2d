#!/usr/bin/python3
"""systemd socket activation, through systemd's own systemd-socket-activate.

Why: jumpgate.socket lets systemd own port 22 (or any port) and start
the daemon on the first connection; the daemon must then serve the
sockets it was given, not bind its configured ones, and its guard must
know them as its own endpoints.

  systemd-socket-activate listens on 127.0.0.1:P and [::1]:Q and execs
  jumpgate on the first connection with LISTEN_FDS=2: the daemon says
  it uses them, answers that first connection, forwards with ssh -W on
  both, does not listen on the configured Port, refuses a forward to
  127.0.0.1:P (its own endpoint) as a special destination, and exits 0
  on SIGTERM.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

ACTIVATE = '/usr/bin/systemd-socket-activate'


def setup(env, r):
    J.need(ACTIVATE)
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.unused = J.free_port()
    c.conf = env.write('jumpgate.conf', '\n'.join([
        'Port %d' % c.unused, 'ListenAddress 127.0.0.1',
        'HostKey %s' % env.key('host').path,
        'AuthorizedKeysFile %s/%%u.keys' % env.authdir,
        'PidFile none', 'User root', 'LogLevel DEBUG1',
        # the keys sit under /tmp, which StrictModes refuses
        'StrictModes no',
        'StateDirectory %s' % env.statedir]) + '\n')
    return c


class Port:
    """Enough for J.ssh_w_args: the port it connects to."""

    def __init__(self, port):
        self.port = port


def t_activation(c):
    p4, p6 = J.free_port(), J.free_port('::1')
    proc = J.Proc([ACTIVATE, '-l', '127.0.0.1:%d' % p4, '-l',
                   '[::1]:%d' % p6, J.daemon_path(), '-f', c.conf, '-e'],
                  name='activate')
    try:
        proc.wait_stderr(r'Listening on 127\.0\.0\.1:%d' % p4)
        # the first connection makes systemd-socket-activate exec us
        first = socket.create_connection(('127.0.0.1', p4), timeout=T(30))
        first.settimeout(T(30))
        banner = first.recv(64)
        assert banner.startswith(b'SSH-2.0-'), banner
        first.close()
        proc.wait_stderr(r'socket activation: 2 sockets from systemd; '
                         r'ListenAddress and Port are not used')
        proc.wait_stderr(r'Server listening on ::1 port %d\.' % p6)
        for host, port in (('127.0.0.1', p4), ('::1', p6)):
            r = J.run(J.ssh_w_args(c.key, Port(port), '127.0.0.1',
                                   c.echo.port, host=host),
                      input=b'hello\n')
            assert r.rc == 0 and r.out == b'hello\n', r
        s = socket.socket()
        try:
            assert s.connect_ex(('127.0.0.1', c.unused)) != 0, \
                'the configured Port is listening too'
        finally:
            s.close()
        r = J.run(J.ssh_w_args(c.key, Port(p4), '127.0.0.1', p4))
        assert r.rc != 0, r
        proc.wait_stderr(r'refused forward .* to 127\.0\.0\.1 port %d: '
                         r'denied by .*' % p4)
    finally:
        proc.stop()
    assert proc.p.returncode == 0, proc.stderr_text()[-2000:]


TESTS = [
    ('systemd-socket-activate: passed sockets served, own endpoints '
     'guarded', t_activation),
]

if __name__ == '__main__':
    J.main('socket activation', setup, TESTS)
