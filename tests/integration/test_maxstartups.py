#!/usr/bin/python3
"""MaxStartups and PerSourceMaxStartups: one budget for every worker, sshd's
random early drop and sshd's log lines.

Why: unauthenticated connections are what an attacker can open for free.
sshd counts them in one process; jumpgate accepts on several worker
threads, and a per-worker share would drop a client that SO_REUSEPORT
hashed onto a busy worker while another had room.  Operators grep sshd's
lines ("drop connection #N ... past MaxStartups"), so they must be sshd's.

Checks (every stalled client here connects and sends nothing; the daemon
greets it with its banner, or drops it with "Exceeded MaxStartups\\r\\n"):
  * `MaxStartups 8` with Workers 4: 8 stalled clients are all greeted
    (whatever worker each lands on); the next two get sshd's notice and
    "drop connection #8 from [127.0.0.1]:P on [127.0.0.1]:PORT past
    MaxStartups", "beginning MaxStartups throttling" comes once; after the
    8 close, a new client is greeted and "exited MaxStartups throttling
    after 00:00:SS, 2 connections dropped" is logged.
  * `MaxStartups 2:30:10` with Workers 2, clients held until 10 are
    greeted: nothing is dropped below 2, something is dropped between 2
    and 9 (random early drop; all-accept has odds under 2 in 10,000),
    each drop line's #N is the number held at that moment, and with 10
    held every client is dropped ("#10").
  * `MaxStartups 3`: an authenticated session does not count: with two
    stalled clients and one paramiko session authenticated, a third
    stalled client is greeted and the fourth dropped ("#3").
  * `PerSourceMaxStartups 2` with `PerSourceNetBlockSize 24`: two stalled
    clients from 127.0.0.1, a third from 127.0.0.2 (same /24) is dropped
    with sshd's line, one from 127.0.1.9 (another /24) is greeted; once one
    of the first two closes, 127.0.0.2 is greeted.
"""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

NOTICE = b'Exceeded MaxStartups\r\n'


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.full = r.watch(J.Daemon(env, name='full',
                              extra='Workers 4\nMaxStartups 8').start())
    c.red = r.watch(J.Daemon(env, name='red',
                             extra='Workers 2\nMaxStartups 2:30:10').start())
    c.auth = r.watch(J.Daemon(env, name='auth',
                              extra='Workers 2\nMaxStartups 3').start())
    c.src = r.watch(J.Daemon(env, name='persource', extra='Workers 2\n'
                             'PerSourceMaxStartups 2\n'
                             'PerSourceNetBlockSize 24').start())
    return c


class Stalled:
    """A client that connects and then says nothing."""

    def __init__(self, d, src=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if src is not None:
            self.sock.bind((src, 0))
        self.sock.settimeout(T(60))
        self.sock.connect(('127.0.0.1', d.port))
        self.port = self.sock.getsockname()[1]
        data = b''
        while not data.endswith(b'\n'):
            b = self.sock.recv(256)
            if not b:
                break
            data += b
        self.first = data
        self.greeted = data.startswith(b'SSH-2.0-')
        if not self.greeted:
            assert data == NOTICE, \
                'neither a banner nor sshd\'s notice: %r' % data
            assert self.sock.recv(256) == b'', 'dropped but not closed'
            self.sock.close()

    def close(self):
        self.sock.close()


def drop_re(src, port, d, n=r'\d+'):
    return (r'^drop connection #(%s) from \[%s\]:%d on \[127\.0\.0\.1\]:%d '
            r'past MaxStartups$' % (n, re.escape(src), port, d.port))


def greeted_after_closing(d, src=None):
    """The daemon sees closes asynchronously: retry until one is greeted."""
    deadline = time.monotonic() + T(60)
    while True:
        s = Stalled(d, src)
        if s.greeted:
            return s
        assert time.monotonic() < deadline, 'never greeted again'
        time.sleep(0.2)


def t_full_shared(c):
    d = c.full
    m = d.mark()
    held = [Stalled(d) for _ in range(8)]
    try:
        bad = [s.first for s in held if not s.greeted]
        assert not bad, '%d of 8 dropped below MaxStartups 8 (%r): the ' \
            'budget is not shared across workers' % (len(bad), bad[0])
        extra = [Stalled(d) for _ in range(2)]
        for s in extra:
            assert not s.greeted, '9th/10th client greeted past MaxStartups'
            d.log.wait(drop_re('127.0.0.1', s.port, d, '8'), m)
        assert len(d.log.find(r'^beginning MaxStartups throttling$', m)) == 1
    finally:
        for s in held:
            s.close()
    m2 = d.mark()
    s = greeted_after_closing(d)
    s.close()
    ms = d.log.wait(r'^exited MaxStartups throttling after 00:00:\d\d, '
                    r'(\d+) connections dropped$', m2)
    assert int(ms[0].group(1)) >= 2, ms[0].group(0)


def t_random_early_drop(c):
    d = c.red
    m = d.mark()
    held = []
    drops = []      # (held count at the time, client port)
    try:
        while len(held) < 10:
            assert len(drops) < 2000, 'too many drops below full'
            s = Stalled(d)
            if s.greeted:
                held.append(s)
            else:
                drops.append((len(held), s.port))
        for n, port in drops:
            ms = d.log.wait(drop_re('127.0.0.1', port, d), m)
            assert int(ms[0].group(1)) == n, \
                'drop logged #%s with %d held' % (ms[0].group(1), n)
        low = [n for n, _ in drops if n < 2]
        assert not low, 'dropped below start 2: %r' % low
        assert drops, 'nothing dropped between start 2 and full 10: ' \
            'no random early drop'
        for _ in range(3):
            s = Stalled(d)
            assert not s.greeted, 'greeted with 10 (full) unauthenticated'
            d.log.wait(drop_re('127.0.0.1', s.port, d, '10'), m)
        print('# %d random early drops while filling 2..10' % len(drops))
    finally:
        for s in held:
            s.close()


def t_authenticated_not_counted(c):
    d = c.auth
    m = d.mark()
    held = [Stalled(d), Stalled(d)]
    t = None
    try:
        assert all(s.greeted for s in held)
        t, _ = J.paramiko_connect(d, c.key)
        held.append(Stalled(d))
        assert held[-1].greeted, \
            'third stalled client dropped: the authenticated one still counts'
        s = Stalled(d)
        assert not s.greeted, 'fourth stalled client greeted'
        d.log.wait(drop_re('127.0.0.1', s.port, d, '3'), m)
    finally:
        if t is not None:
            t.close()
        for s in held:
            s.close()


def t_per_source(c):
    d = c.src
    m = d.mark()
    held = [Stalled(d, '127.0.0.1'), Stalled(d, '127.0.0.1')]
    other = None
    try:
        assert all(s.greeted for s in held)
        s = Stalled(d, '127.0.0.2')
        assert not s.greeted, \
            'third client of 127.0.0.0/24 greeted past PerSourceMaxStartups 2'
        d.log.wait(drop_re('127.0.0.2', s.port, d, '2'), m)
        other = Stalled(d, '127.0.1.9')
        assert other.greeted, 'a client of another /24 was dropped'
        held.pop(0).close()
        held.append(greeted_after_closing(d, '127.0.0.2'))
    finally:
        if other is not None:
            other.close()
        for s in held:
            s.close()


if __name__ == '__main__':
    J.main('MaxStartups and PerSourceMaxStartups', setup, [
        ('MaxStartups 8 over 4 workers: one budget, sshd lines',
         t_full_shared),
        ('MaxStartups 2:30:10: random early drop between start and full',
         t_random_early_drop),
        ('an authenticated session leaves the MaxStartups budget',
         t_authenticated_not_counted),
        ('PerSourceMaxStartups 2 per /24', t_per_source),
    ])
