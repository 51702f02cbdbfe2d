#!/usr/bin/python3
"""Client-supplied strings cannot forge log lines (test area l).

Why: the target host, the originator host and the user name come straight
from the client.  sshd -e writes them raw, so "evil\\nInvalid user forged"
becomes a second, forged log line that log scanners believe.  jumpgate
must escape control bytes on every log path (its own lines and anything
libssh logs through it).

Checks (each also requires the connection/daemon to survive):
  * direct-tcpip target host "evil\\nInvalid user forged": refused (the name
    does not resolve), no log line whose message starts with "Invalid user
    forged", and the text is present escaped on one line with "evil".
  * originator host "10.9.8.7\\r\\x1b[31mforged-orig": no raw CR/ESC or other
    control byte anywhere in the log.
  * user name "bob\\nAccepted publickey for mallory from 1.2.3.4 port 1 ssh2":
    auth fails; no line starts with "Accepted publickey for mallory".
  * a 64 KiB target host: refused, session survives, no log line longer
    than 8 KiB (sshd caps messages at ~1 KiB; host fields at 100 bytes).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    return c


def refused(t, host, port, origin):
    import paramiko
    try:
        ch = t.open_channel('direct-tcpip', (host, port), origin,
                            timeout=T(60))
    except paramiko.ChannelException:
        return
    ch.close()
    raise AssertionError('open to %r was confirmed' % host[:60])


def still_forwards(t, c):
    ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                        ('127.0.0.1', 1), timeout=T(60))
    ch.sendall(b'ok\n')
    ch.shutdown_write()
    assert J.chan_recv_all(ch) == b'ok\n'
    ch.close()


def no_control_bytes(c, m):
    bad = [ln for ln in c.d.log.since(m) if CONTROL.search(ln)]
    assert not bad, 'raw control bytes in %d log line(s), e.g. %r' % (
        len(bad), bad[0][:200])


def t_target_newline(c):
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        refused(t, 'evil\nInvalid user forged', 22, ('127.0.0.1', 5555))
        c.d.log.wait(r'Invalid user forged', m)
        assert t.is_active()
        still_forwards(t, c)
    finally:
        t.close()
    forged = [ln for ln in c.d.log.since(m)
              if J.body(ln).startswith('Invalid user forged')
              or ln.startswith('Invalid user forged')]
    assert not forged, 'forged log line(s): %r' % forged
    no_control_bytes(c, m)
    assert c.d.log.has(r'evil.*Invalid user forged', m), \
        'the host name is not logged (escaped) on one line'


def t_originator_control(c):
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        closed = J.Closed()
        try:
            refused(t, '127.0.0.1', closed.port,
                    ('10.9.8.7\r\x1b[31mforged-orig', 4242))
        finally:
            closed.close()
        c.d.log.wait(r'forged-orig', m)
        assert t.is_active()
        still_forwards(t, c)
    finally:
        t.close()
    no_control_bytes(c, m)


def t_user_newline(c):
    import paramiko
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        try:
            # (no ':' in it: sshd would split "user:style" there)
            t.auth_publickey('bob\nAccepted publickey for mallory from '
                             '1.2.3.4 port 1 ssh2',
                             c.key.paramiko())
            raise AssertionError('auth with a forged user name succeeded')
        except paramiko.AuthenticationException:
            pass
    finally:
        t.close()
    c.d.log.wait(r'Accepted publickey for mallory', m)
    forged = [ln for ln in c.d.log.since(m)
              if J.body(ln).startswith('Accepted publickey for mallory')
              or ln.startswith('Accepted publickey for mallory')]
    assert not forged, 'forged log line(s): %r' % forged
    no_control_bytes(c, m)
    assert c.d.log.has(r'^Invalid user bob.*Accepted publickey for mallory '
                       r'from 1\.2\.3\.4 port 1 ssh2 from 127\.0\.0\.1 port %d$' % lport, m), \
        'no escaped "Invalid user bob..." line with our source port'


def t_long_host(c):
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        refused(t, 'h' * 65000, 80, ('127.0.0.1', 1))
        assert t.is_active()
        still_forwards(t, c)
    finally:
        t.close()
    long_lines = [ln for ln in c.d.log.since(m) if len(ln) > 8192]
    assert not long_lines, '%d log line(s) longer than 8 KiB (longest %d)' % (
        len(long_lines), max(len(ln) for ln in long_lines))
    c.d.assert_alive()


if __name__ == '__main__':
    J.main('log escaping of client-supplied strings', setup, [
        ('target host with \\n cannot forge a line', t_target_newline),
        ('originator host with CR/ESC logged escaped', t_originator_control),
        ('user name with \\n cannot forge a line', t_user_newline),
        ('64 KiB target host: refused, log lines bounded', t_long_host),
    ])
