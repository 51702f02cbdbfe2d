#!/usr/bin/python3
"""Refused opens get OPEN_FAILURE, never a confirmation (test area e).

Why: a client must learn that its forward failed from the channel-open
reply itself.  Confirming first and closing later (the easy thing with
libssh) makes `ssh -W` believe it is connected, and `ssh -L` clients see a
connection that dies silently.  Policy refusals must also never touch the
target.

Checks:
  * target port closed (bound, not listening): paramiko raises
    ChannelException; the log has "connect_to 127.0.0.1 port N: failed."
    and "send packet: type 92" and no "connected to"; the session stays
    usable (an echo channel works afterwards on the same transport).
  * ssh -W to the closed port exits 255 ("open failed" on stderr).
  * ssh -L to the closed port: the local TCP client gets EOF/reset with no
    data, ssh keeps running and a second -L of the same session works.
  All keys belong to the same user; each has its own authorized_keys line
  and options (the line of the key that authenticated applies).
  * authorized_keys `no-port-forwarding` and `restrict`: ChannelException,
    log "refused local port forward: originator 10.1.2.3 port 4567, target
    127.0.0.1 port N", and the target saw no connection.
  * `permitopen="127.0.0.1:ECHO"`: that target works; another port and the
    name "localhost" (permitopen compares strings) are refused with
    "Received request from 127.0.0.1 port P to connect to host H port N,
    but the request was denied."; the target saw no connection.
  * `restrict,port-forwarding,permitopen=...` allows exactly that target.
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
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.sink = c.closing(J.Target(J.sink_handler(), name='sink'))
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.k_nopf = env.key('nopf')
    env.authorize(J.USER, c.k_nopf, 'no-port-forwarding')
    c.k_restrict = env.key('restricted')
    env.authorize(J.USER, c.k_restrict, 'restrict')
    c.k_permit = env.key('permit')
    env.authorize(J.USER, c.k_permit,
                  'permitopen="127.0.0.1:%d"' % c.echo.port)
    c.k_rpf = env.key('rpf')
    env.authorize(J.USER, c.k_rpf, 'restrict,port-forwarding,'
                  'permitopen="127.0.0.1:%d"' % c.echo.port)
    c.d = r.watch(J.Daemon(env).start())
    return c


def expect_refused(t, host, port, origin=('10.1.2.3', 4567)):
    import paramiko
    try:
        ch = t.open_channel('direct-tcpip', (host, port), origin,
                            timeout=T(60))
    except paramiko.ChannelException as e:
        return e
    # confirmed: see whether it is closed right after (the wrong pattern)
    ch.settimeout(5)
    try:
        data = ch.recv(1)
    except socket.timeout:
        data = '(nothing within 5s)'
    raise AssertionError('open of %s:%d was CONFIRMED (server channel %s), '
                         'not refused with OPEN_FAILURE; then recv -> %r'
                         % (host, port, ch.remote_chanid, data))


def echo_ok(t, c, tag):
    ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                        ('127.0.0.1', 1), timeout=T(60))
    msg = b'echo after %s\n' % tag.encode()
    ch.sendall(msg)
    ch.shutdown_write()
    got = J.chan_recv_all(ch)
    ch.close()
    assert got == msg, got


def t_closed_port_paramiko(c):
    closed = J.Closed()
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        e = expect_refused(t, '127.0.0.1', closed.port)
        print('#   ChannelException: code %s %r' % (e.code, e.text))
        c.d.log.wait(r'^connect_to 127\.0\.0\.1 port %d: failed\.$'
                     % closed.port, m)
        c.d.log.wait(r'^send packet: type 92$', m)
        assert not c.d.log.has(r'connected to 127\.0\.0\.1 port %d$'
                               % closed.port, m)
        assert t.is_active(), 'session dropped after a refused open'
        echo_ok(t, c, 'refusal')
    finally:
        t.close()
        closed.close()


def t_closed_port_ssh_W(c):
    closed = J.Closed()
    try:
        r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', closed.port),
                  input=b'hello?\n', env=c.env)
        assert r.rc == 255, 'ssh -W exit %s (expected 255)\n%r' % (r.rc, r)
        assert 'open failed' in r.err_text, r
        assert r.out == b'', r
    finally:
        closed.close()


def t_closed_port_ssh_L(c):
    closed = J.Closed()
    l1, l2 = J.free_port(), J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (l1, closed.port),
                        '-L', '127.0.0.1:%d:127.0.0.1:%d'
                        % (l2, c.echo.port)])
    try:
        s = J.connect_local(l1)
        s.settimeout(T(60))
        try:
            s.sendall(b'anyone?')
            data = s.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            data = b''
        except socket.timeout:
            raise AssertionError('-L to a closed port: local client neither '
                                 'closed nor reset within %ss' % T(60))
        s.close()
        assert data == b'', data
        fwd.wait_stderr(r'open failed')
        assert fwd.running(), fwd.stderr_text()
        s = J.connect_local(l2)
        s.sendall(b'second forward\n')
        s.shutdown(socket.SHUT_WR)
        _, _, got = J.recv_all(s, keep=True)
        s.close()
        assert got == b'second forward\n', got
    finally:
        fwd.stop()
        closed.close()


def policy_refused(c, user, key, regex_fmt):
    before = len(c.sink.conns)
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, key, user=user)
    try:
        expect_refused(t, '127.0.0.1', c.sink.port)
        c.d.log.wait(regex_fmt % {'lport': lport, 'port': c.sink.port}, m)
        assert t.is_active(), 'session dropped after a refused open'
        # a second refused open is answered too
        expect_refused(t, '127.0.0.1', c.sink.port)
    finally:
        t.close()
    time.sleep(0.5)
    assert len(c.sink.conns) == before, \
        'the target received a connection although the open was refused'
    assert not c.d.log.has(r'^connect_next: start for host 127\.0\.0\.1 '
                           r'\(\[127\.0\.0\.1\]:%d\)' % c.sink.port, m), \
        'daemon tried to connect although policy refused'


REFUSED_LPF = (r'^refused local port forward: originator 10\.1\.2\.3 '
               r'port 4567, target 127\.0\.0\.1 port %(port)d$')


def t_no_port_forwarding(c):
    policy_refused(c, J.USER, c.k_nopf, REFUSED_LPF)


def t_restrict(c):
    policy_refused(c, J.USER, c.k_restrict, REFUSED_LPF)


def t_permitopen(c):
    before = len(c.sink.conns)
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.k_permit, user=J.USER)
    try:
        echo_ok(t, c, 'permitopen')
        expect_refused(t, '127.0.0.1', c.sink.port)
        c.d.log.wait(r'^Received request from 127\.0\.0\.1 port %d to connect '
                     r'to host 127\.0\.0\.1 port %d, but the request was '
                     r'denied\.$' % (lport, c.sink.port), m)
        expect_refused(t, 'localhost', c.echo.port)
        c.d.log.wait(r'^Received request from 127\.0\.0\.1 port %d to connect '
                     r'to host localhost port %d, but the request was '
                     r'denied\.$' % (lport, c.echo.port), m)
        assert t.is_active()
        echo_ok(t, c, 'permitopen refusals')
    finally:
        t.close()
    assert len(c.sink.conns) == before, \
        'the target received a connection although the open was refused'


def t_restrict_port_forwarding(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.k_rpf, user=J.USER)
    try:
        echo_ok(t, c, 'restrict,port-forwarding')
        expect_refused(t, '127.0.0.1', c.sink.port)
        c.d.log.wait(r'^Received request from 127\.0\.0\.1 port %d to connect '
                     r'to host 127\.0\.0\.1 port %d, but the request was '
                     r'denied\.$' % (lport, c.sink.port), m)
    finally:
        t.close()


if __name__ == '__main__':
    J.main('refused opens: OPEN_FAILURE, no confirmation', setup, [
        ('closed port: paramiko ChannelException, log, session survives',
         t_closed_port_paramiko),
        ('closed port: ssh -W exits 255', t_closed_port_ssh_W),
        ('closed port: ssh -L client closed, ssh keeps running',
         t_closed_port_ssh_L),
        ('authorized_keys no-port-forwarding refuses, target untouched',
         t_no_port_forwarding),
        ('authorized_keys restrict refuses, target untouched', t_restrict),
        ('authorized_keys permitopen allows only its target',
         t_permitopen),
        ('restrict,port-forwarding,permitopen allows exactly that target',
         t_restrict_port_forwarding),
    ])
