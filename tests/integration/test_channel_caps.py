#!/usr/bin/python3
"""Channel caps sshd lacks: MaxChannelsPerSession, MaxPendingChannels,
MaxChannelsPerUser, MaxChannelsPerSource.

Why: one authenticated key could otherwise hold a thousand target sockets
per session, open as many sessions as it likes, or park hundreds of opens
on a target that never answers (each holds a socket and a resolver slot).
A refused open must be an OPEN_FAILURE (never a confirmation) and the log
must name the cap, so an operator knows which one to raise.  A channel
counts from attach to detach: a closed channel's slot comes back.

Checks:
  * `MaxChannelsPerSession 3`: three echo channels work, the fourth gets
    ChannelException and "channel_open: session N: MaxChannelsPerSession 3
    reached, refusing channel to 127.0.0.1 port P"; after one is closed a
    new one opens; another session of the same user gets its own three.
  * `MaxPendingChannels 2`: two opens to a black hole (connect hangs) stay
    pending; a third open, even to the echo target, is refused naming
    MaxPendingChannels 2; the two pending opens are still unanswered.
  * `MaxChannelsPerUser 2` and `MaxChannelsPerSource 3`, Workers 2: alice
    holds 2 channels from 127.0.0.1; alice's second session (from
    127.0.0.2) is refused naming "MaxChannelsPerUser 2 reached for user
    alice"; bob from 127.0.0.1 gets one channel, then is refused naming
    "MaxChannelsPerSource 3 reached for 127.0.0.1"; when alice's first
    session closes, both caps free up (alice from 127.0.0.2 and bob open
    again).
"""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402
from test_blackhole import BlackHole  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.bob = env.key('bob')
    env.authorize('bob', c.bob)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.hole = c.closing(BlackHole())
    c.sess = r.watch(J.Daemon(env, name='persession', extra=(
        'MaxChannelsPerSession 3\nMaxPendingChannels 2')).start())
    c.shared = r.watch(J.Daemon(env, name='shared', extra=(
        'Workers 2\nMaxChannelsPerUser 2\nMaxChannelsPerSource 3')).start())
    return c


def connect(d, key, user, src='127.0.0.1'):
    import paramiko
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(T(60))
    s.connect(('127.0.0.1', d.port))
    t = paramiko.Transport(s)
    t.start_client(timeout=T(60))
    t.auth_publickey(user, key.paramiko())
    assert t.is_authenticated()
    return t


def echo(c, t):
    ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                        ('127.0.0.1', 1), timeout=T(60))
    ch.settimeout(T(60))
    ch.sendall(b'ping')
    got = b''
    while len(got) < 4:
        b = ch.recv(4)
        assert b, 'echo channel closed early'
        got += b
    assert got == b'ping', got
    return ch


def refused(c, d, t, cap, m, port=None):
    import paramiko
    port = port or c.echo.port
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', port),
                            ('127.0.0.1', 1), timeout=T(60))
    except paramiko.ChannelException:
        pass
    else:
        ch.close()
        raise AssertionError('open CONFIRMED past %s' % cap)
    d.log.wait(r'^channel_open: session \d+: %s, refusing channel '
               r'to 127\.0\.0\.1 port %d$' % (cap, port), m)


def retry_echo(c, t):
    """Detach happens after the close handshake: retry until it did."""
    import paramiko
    deadline = time.monotonic() + T(60)
    while True:
        try:
            return echo(c, t)
        except paramiko.ChannelException:
            assert time.monotonic() < deadline, 'the slot never came back'
            time.sleep(0.2)


def t_per_session(c):
    d = c.sess
    m = d.mark()
    t = connect(d, c.key, J.USER)
    t2 = None
    try:
        chans = [echo(c, t) for _ in range(3)]
        refused(c, d, t, 'MaxChannelsPerSession 3 reached', m)
        chans.pop().close()
        chans.append(retry_echo(c, t))
        t2 = connect(d, c.key, J.USER)
        chans += [echo(c, t2) for _ in range(3)]
    finally:
        t.close()
        if t2 is not None:
            t2.close()


def t_pending(c):
    d = c.sess
    m = d.mark()
    t = connect(d, c.key, J.USER)
    answers = []

    def opener():
        try:
            answers.append(t.open_channel(
                'direct-tcpip', ('127.0.0.1', c.hole.port), ('127.0.0.1', 2),
                timeout=T(120)))
        except Exception as e:
            answers.append(e)
    ths = [threading.Thread(target=opener, daemon=True) for _ in range(2)]
    try:
        for th in ths:
            th.start()
        d.log.wait(r'connect_next: start for host 127\.0\.0\.1 \(\[127\.0\.'
                   r'0\.1\]:%d\)' % c.hole.port, m, count=2)
        refused(c, d, t, 'MaxPendingChannels 2 reached', m)
        assert not answers, 'a black-hole open was answered: %r' % answers
    finally:
        t.close()


def t_per_user_and_source(c):
    d = c.shared
    m = d.mark()
    a1 = connect(d, c.key, J.USER, '127.0.0.1')
    a2 = connect(d, c.key, J.USER, '127.0.0.2')
    b = connect(d, c.bob, 'bob', '127.0.0.1')
    try:
        # held: paramiko closes a channel it garbage-collects
        held = [echo(c, a1), echo(c, a1)]
        refused(c, d, a2, 'MaxChannelsPerUser 2 reached for user %s'
                % re.escape(J.USER), m)
        held.append(echo(c, b))
        refused(c, d, b, r'MaxChannelsPerSource 3 reached for 127\.0\.0\.1',
                m)
        a1.close()
        held.append(retry_echo(c, a2))
        held.append(retry_echo(c, b))
    finally:
        for t in (a1, a2, b):
            t.close()


if __name__ == '__main__':
    J.main('channel caps', setup, [
        ('MaxChannelsPerSession 3: the fourth open fails, a freed slot '
         'returns', t_per_session),
        ('MaxPendingChannels 2: a third open waits for nobody, refused',
         t_pending),
        ('MaxChannelsPerUser and MaxChannelsPerSource across sessions and '
         'workers', t_per_user_and_source),
    ])
