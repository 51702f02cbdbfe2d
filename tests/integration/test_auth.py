#!/usr/bin/python3
"""Authentication outcomes and their log lines (test area h).

Why: operators (and fail2ban-style tools) read sshd's exact auth lines;
jumpgate promises the same text.  And a key that is not authorized must
never get a forward.

Checks:
  * good key (paramiko, our source port known): "Accepted publickey for
    alice from 127.0.0.1 port P ssh2: ED25519 SHA256:<fp>"; when the
    client drops the TCP connection: "Connection closed by 127.0.0.1 port
    P".
  * wrong key with ssh: exit 255, "Permission denied" on stderr, log
    "Failed publickey for alice from 127.0.0.1 port N ssh2: ED25519
    SHA256:<fp of the wrong key>"; no Accepted line.
  * wrong key with paramiko: AuthenticationException and the exact line
    with our source port; then the right key on the same connection
    succeeds and can forward.
  * unknown user bob (no bob.keys): "Invalid user bob from 127.0.0.1 port
    P"; auth fails even with a key authorized for alice.
  * the "none" method is refused and publickey is offered.
  * a forward is impossible without auth: ssh -W with the wrong key
    never reaches the target.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    c.wrong = env.key('mallory')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.sink = c.closing(J.Target(J.sink_handler(), name='sink'))
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    return c


def t_accepted(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key)
    try:
        c.d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port %d '
                     r'ssh2: ED25519 %s$'
                     % (J.USER, lport, re.escape(c.key.fingerprint)), m)
    finally:
        t.close()
    # paramiko closes the TCP connection without a DISCONNECT message:
    # sshd (serverloop.c) logs one of these lines (a reset if something was
    # still unread), with no "user alice" in it
    c.d.log.wait(r'^Connection closed by 127\.0\.0\.1 port %d$|'
                 r'^Read error from remote host 127\.0\.0\.1 port %d: '
                 r'Connection reset by peer$' % (lport, lport), m)


def t_wrong_key_ssh(c):
    m = c.d.mark()
    before = len(c.sink.conns)
    r = J.run(J.ssh_w_args(c.wrong, c.d, '127.0.0.1', c.sink.port),
              input=b'should never arrive\n', env=c.env)
    assert r.rc == 255, r
    assert 'Permission denied' in r.err_text, r
    c.d.log.wait(r'^Failed publickey for %s from 127\.0\.0\.1 port \d+ ssh2: '
                 r'ED25519 %s$' % (J.USER, re.escape(c.wrong.fingerprint)), m)
    assert not c.d.log.has(r'^Accepted publickey', m), \
        c.d.log.find(r'^Accepted publickey', m)[0].string
    time.sleep(0.3)
    assert len(c.sink.conns) == before, 'unauthenticated forward reached ' \
        'the target'


def t_wrong_then_right_paramiko(c):
    import paramiko
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        try:
            t.auth_publickey(J.USER, c.wrong.paramiko())
            raise AssertionError('wrong key was accepted')
        except paramiko.AuthenticationException:
            pass
        c.d.log.wait(r'^Failed publickey for %s from 127\.0\.0\.1 port %d '
                     r'ssh2: ED25519 %s$'
                     % (J.USER, lport, re.escape(c.wrong.fingerprint)), m)
        assert t.is_active(), 'connection dropped after one failed key'
        t.auth_publickey(J.USER, c.key.paramiko())
        assert t.is_authenticated()
        c.d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port %d '
                     r'ssh2: ED25519 %s$'
                     % (J.USER, lport, re.escape(c.key.fingerprint)), m)
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 1), timeout=T(60))
        ch.sendall(b'after retry\n')
        ch.shutdown_write()
        assert J.chan_recv_all(ch) == b'after retry\n'
        ch.close()
    finally:
        t.close()


def t_invalid_user(c):
    import paramiko
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        try:
            t.auth_publickey('bob', c.key.paramiko())
            raise AssertionError('unknown user bob was accepted')
        except paramiko.AuthenticationException:
            pass
        c.d.log.wait(r'^Invalid user bob from 127\.0\.0\.1 port %d$' % lport,
                     m)
        assert not c.d.log.has(r'^Accepted publickey for bob', m)
    finally:
        t.close()
    # and with the OpenSSH client
    m = c.d.mark()
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port, user='bob'),
              input=b'x\n', env=c.env)
    assert r.rc == 255 and r.out == b'', r
    c.d.log.wait(r'^Invalid user bob from 127\.0\.0\.1 port \d+$', m)


def t_none_method(c):
    import paramiko
    t, _ = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        try:
            t.auth_none(J.USER)
            raise AssertionError('"none" authentication succeeded')
        except paramiko.BadAuthenticationType as e:
            assert 'publickey' in e.allowed_types, e.allowed_types
            print('#   allowed methods: %s' % e.allowed_types)
        except paramiko.AuthenticationException:
            pass
        assert not t.is_authenticated()
    finally:
        t.close()


if __name__ == '__main__':
    J.main('authentication', setup, [
        ('good key: Accepted publickey / Connection closed lines',
         t_accepted),
        ('wrong key (ssh): exit 255, Failed publickey line, no forward',
         t_wrong_key_ssh),
        ('wrong then right key on one connection (paramiko)',
         t_wrong_then_right_paramiko),
        ('unknown user: Invalid user line', t_invalid_user),
        ('"none" method refused, publickey offered', t_none_method),
    ])
