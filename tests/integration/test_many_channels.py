#!/usr/bin/python3
"""Many concurrent channels on one session (test area c).

Why: one SSH session multiplexes every forwarded connection; the daemon
must keep each channel's bytes apart, track 200 target sockets at once and
free them all.  A mix-up of channel ids or buffers shows as a payload
arriving on the wrong channel.

Checks:
  * paramiko: 200 direct-tcpip channels opened concurrently (8 opener
    threads) and all kept open together; each gets a distinct payload
    (different length and content), sends EOF, and must read back exactly
    its own payload from an echo target.  The target must have seen 200
    connections and the log 200 "channel N: connected to" lines.
  * ssh -L: 100 local TCP connections at once through one ssh -L, each
    with its own payload, each echoed back exactly.
  * afterwards the daemon's fd count returns to its baseline.
"""

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

NCHAN = 200
NLOCAL = 100


def payload(i):
    return (b'<channel %d>' % i) + J.pattern_bytes(1000 + i, 20000 + 37 * i) \
        + (b'</channel %d>' % i)


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.baseline = c.d.settled_fd_count()
    return c


def t_paramiko_200(c):
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        def opener(i):
            return t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                                  ('127.0.0.1', 20000 + i), timeout=T(120))
        with ThreadPoolExecutor(8) as ex:
            chans = list(ex.map(opener, range(NCHAN)))
        assert len(set(ch.get_id() for ch in chans)) == NCHAN
        c.echo.wait_conns(NCHAN)
        # every channel is open now; send all payloads, then read them back
        for i, ch in enumerate(chans):
            ch.sendall(payload(i))
            ch.shutdown_write()
        bad = []
        for i, ch in enumerate(chans):
            got = J.chan_recv_all(ch)
            if got != payload(i):
                bad.append('channel %d: got %d bytes %r..., expected %d' % (
                    i, len(got), got[:20], len(payload(i))))
            ch.close()
        assert not bad, '\n'.join(bad[:20])
        c.d.log.wait(r'^channel \d+: connected to 127\.0\.0\.1 port %d$'
                     % c.echo.port, m, count=NCHAN)
        assert t.is_active()
    finally:
        t.close()
    c.d.wait_fds(c.baseline)


def t_ssh_L_100(c):
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d'
                        % (lport, c.echo.port)])
    try:
        socks = [J.connect_local(lport, timeout=T(120)) for _ in range(NLOCAL)]
        results = [None] * NLOCAL

        def work(i):
            s = socks[i]
            try:
                s.sendall(payload(i))
                s.shutdown(J.socket.SHUT_WR)
                _, _, data = J.recv_all(s, keep=True)
                results[i] = data
            finally:
                s.close()
        ths = [threading.Thread(target=work, args=(i,)) for i in range(NLOCAL)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(T(300))
        bad = ['conn %d: got %s bytes, expected %d' % (
                   i, None if results[i] is None else len(results[i]),
                   len(payload(i)))
               for i in range(NLOCAL) if results[i] != payload(i)]
        assert not bad, '\n'.join(bad[:20])
        assert fwd.running(), fwd.stderr_text()
    finally:
        fwd.stop()
    c.d.wait_fds(c.baseline)


if __name__ == '__main__':
    J.main('many channels on one session', setup, [
        ('paramiko: %d concurrent channels, distinct payloads' % NCHAN,
         t_paramiko_200),
        ('ssh -L: %d concurrent connections, distinct payloads' % NLOCAL,
         t_ssh_L_100),
    ])
