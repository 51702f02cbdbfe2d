#!/usr/bin/python3
"""A target that never answers must not stall the session (test area d).

Why: connecting to the target is slow by nature (a SYN to a black hole is
retried for about two minutes).  If the daemon connected synchronously,
or answered channel opens strictly in order, every other channel of the
session would freeze meanwhile.  sshd confirms each open when its own
connect completes; jumpgate must too.

How: a Python listener with listen(0) whose backlog is filled by our own
connections, so further SYNs are dropped and connect() to it hangs.  Three
channels to it are opened (in threads) on a paramiko session; while they
are pending, five channels to an echo target are opened on the same
session and used.  Those must complete while the black-hole opens are
still pending (no confirmation, no failure yet; log shows
"connect_next: start for host" for the black hole but no "connected to").
Then the session is closed with the opens still pending: the daemon must
drop the half-open sockets (fd count back to baseline) and keep serving.
"""

import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


class BlackHole:
    """A listener whose accept queue is full: new SYNs are dropped."""

    def __init__(self):
        self.l = socket.socket()
        self.l.bind(('127.0.0.1', 0))
        self.l.listen(0)
        self.port = self.l.getsockname()[1]
        self.fillers = []
        # fill the accept queue until a connect no longer completes
        for _ in range(16):
            s = socket.socket()
            s.setblocking(False)
            err = s.connect_ex(('127.0.0.1', self.port))
            self.fillers.append(s)
            if err not in (0,):
                import select
                _, w, _ = select.select([], [s], [], 1.0)
                if not w:
                    break       # this one hangs: the queue is full
        else:
            raise AssertionError('could not fill the listen backlog')
        # prove it: one more blocking connect must time out
        p = socket.socket()
        p.settimeout(1.0)
        try:
            p.connect(('127.0.0.1', self.port))
            raise AssertionError('black hole accepted a connection')
        except socket.timeout:
            pass
        finally:
            self.fillers.append(p)

    def close(self):
        for s in self.fillers:
            s.close()
        self.l.close()


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    # The opens must stay pending for the whole test, however slow the
    # machine: ConnectTimeout's expiry is test_timeouts.py's business.
    c.d = r.watch(J.Daemon(env, extra='ConnectTimeout 10m').start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.baseline = c.d.settled_fd_count()
    return c


def t_others_proceed(c):
    bh = BlackHole()
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    pending = []
    try:
        outcome = {}

        def open_bh(i):
            try:
                ch = t.open_channel('direct-tcpip', ('127.0.0.1', bh.port),
                                    ('127.0.0.1', 30000 + i), timeout=T(600))
                outcome[i] = 'confirmed (channel %d)' % ch.get_id()
            except Exception as e:
                outcome[i] = 'failed: %r' % e
        for i in range(3):
            th = threading.Thread(target=open_bh, args=(i,), daemon=True)
            th.start()
            pending.append(th)
        # the daemon is now connecting to the black hole 3 times
        c.d.log.wait(r'^connect_next: start for host 127\.0\.0\.1 '
                     r'\(\[127\.0\.0\.1\]:%d\)' % bh.port, m, count=3)
        for i in range(5):
            ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                                ('127.0.0.1', 31000 + i), timeout=T(60))
            msg = b'not stuck behind the black hole %d\n' % i
            ch.sendall(msg)
            ch.shutdown_write()
            got = J.chan_recv_all(ch, timeout=T(60))
            assert got == msg, got
            ch.close()
        still = [th for th in pending if th.is_alive()]
        assert len(still) == 3, \
            'black-hole opens were answered already: %s' % outcome
        assert not c.d.log.has(r'^channel \d+: connected to 127\.0\.0\.1 '
                               r'port %d$' % bh.port, m), \
            'daemon claims it connected to the black hole'
        assert t.is_active()
    finally:
        t.close()       # opens still pending
    for th in pending:
        th.join(T(30))
    c.d.wait_fds(c.baseline)
    bh.close()
    c.d.assert_alive()
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=b'after\n', env=c.env)
    assert r.rc == 0 and r.out == b'after\n', r


if __name__ == '__main__':
    J.main('black-hole target does not stall other channels', setup, [
        ('pending connects do not delay other channels; freed at session end',
         t_others_proceed),
    ])
