#!/usr/bin/python3
"""Everything except direct-tcpip is refused cleanly (test area k).

Why: jumpgate offers no shell, no exec, no remote forwarding.  Those
requests must be refused politely (OPEN_FAILURE for channels, a failure
reply for global requests) without killing the connection, so that
clients which ask in passing (ssh -N -R, a stray `ssh host true`) get a
clear error and existing forwards on the same session keep working.

Checks:
  * ssh -N -L stays connected (still running after a while) and its -L
    forward works; the session is not torn down by the daemon.
  * `ssh host true` (session channel) fails quickly: exit 255 (or another
    non-zero status), stderr mentions the refused channel; no hang.
  * ssh -R with ExitOnForwardFailure=yes: "remote port forwarding failed",
    exit 255.  Without it, ssh -N -R -L stays up and the -L forward works.
  * paramiko on one transport: open_session() -> ChannelException;
    request_port_forward() -> SSHException; an unknown channel type
    -> ChannelException; after all that, a direct-tcpip channel on the
    same transport still works.
  * the daemon still serves other sessions.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    return c


def local_echo(port, msg):
    s = J.connect_local(port)
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)
    _, _, got = J.recv_all(s, keep=True)
    s.close()
    assert got == msg, got


def t_ssh_N(c):
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d'
                        % (lport, c.echo.port)])
    try:
        time.sleep(2)
        assert fwd.running(), 'ssh -N exited: ' + fwd.stderr_text()
        local_echo(lport, b'ssh -N is fine\n')
        time.sleep(1)
        assert fwd.running(), 'ssh -N exited: ' + fwd.stderr_text()
    finally:
        fwd.stop()


def t_session_refused(c):
    r = J.run(J.ssh_args(c.key, c.d.port) + ['true'], timeout=T(60),
              env=c.env)
    assert r.rc != 0, 'ssh host true succeeded: %r' % r
    assert r.out == b'', r
    print('#   ssh host true: exit %d, stderr: %s'
          % (r.rc, r.err_text.strip().replace('\n', ' | ')))
    assert 'open failed' in r.err_text or 'refused' in r.err_text.lower() \
        or 'prohibited' in r.err_text, r
    c.d.assert_alive()


def t_remote_forward_refused(c):
    rport = J.free_port()
    r = J.run(J.ssh_args(c.key, c.d.port,
                         extra=['-N', '-o', 'ExitOnForwardFailure=yes',
                                '-R', '127.0.0.1:%d:127.0.0.1:%d'
                                % (rport, c.echo.port)]),
              timeout=T(60), env=c.env)
    assert r.rc == 255, r
    assert 'remote port forwarding failed' in r.err_text, r
    # nobody listens on rport now
    s = socket.socket()
    try:
        assert s.connect_ex(('127.0.0.1', rport)) != 0, \
            'something listens on the -R port'
    finally:
        s.close()


def t_remote_refused_local_still_works(c):
    lport, rport = J.free_port(), J.free_port()
    args = J.ssh_args(c.key, c.d.port,
                      extra=['-N', '-v',
                             '-L', '127.0.0.1:%d:127.0.0.1:%d'
                             % (lport, c.echo.port),
                             '-R', '127.0.0.1:%d:127.0.0.1:%d'
                             % (rport, c.echo.port)])
    p = J.Proc(args, env=c.env, name='ssh-RL')
    try:
        p.wait_stderr(r'remote port forwarding failed')
        p.wait_stderr(r'Local forwarding listening on 127\.0\.0\.1 port %d'
                      % lport)
        local_echo(lport, b'-L still works after -R was refused\n')
        assert p.running(), p.stderr_text()
    finally:
        p.stop()


def t_paramiko_refusals(c):
    import paramiko
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        try:
            t.open_session(timeout=T(60))
            raise AssertionError('session channel was opened')
        except paramiko.ChannelException as e:
            print('#   session: ChannelException %s %r' % (e.code, e.text))
        assert t.is_active()
        try:
            t.request_port_forward('127.0.0.1', 0)
            raise AssertionError('tcpip-forward was granted')
        except paramiko.SSHException:
            pass
        assert t.is_active()
        try:
            t.open_channel('foo@example.com', timeout=T(60))
            raise AssertionError('unknown channel type was opened')
        except paramiko.ChannelException as e:
            print('#   foo@example.com: ChannelException %s %r'
                  % (e.code, e.text))
        assert t.is_active()
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 1), timeout=T(60))
        ch.sendall(b'still forwarding\n')
        ch.shutdown_write()
        assert J.chan_recv_all(ch) == b'still forwarding\n'
        ch.close()
    finally:
        t.close()


def t_still_serving(c):
    c.d.assert_alive()
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=b'hi\n', env=c.env)
    assert r.rc == 0 and r.out == b'hi\n', r


if __name__ == '__main__':
    J.main('non-forwarding requests refused cleanly', setup, [
        ('ssh -N stays connected, its -L works', t_ssh_N),
        ('ssh host true: session channel refused, no hang', t_session_refused),
        ('ssh -R with ExitOnForwardFailure: refused, exit 255',
         t_remote_forward_refused),
        ('ssh -N -R -L: -R refused, -L keeps working',
         t_remote_refused_local_still_works),
        ('paramiko: session, tcpip-forward, unknown type refused; '
         'direct-tcpip still works', t_paramiko_refusals),
        ('daemon still serving', t_still_serving),
    ])
