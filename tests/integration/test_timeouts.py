#!/usr/bin/python3
"""Keepalives and timeouts: hostile or vanished clients and targets (issue 8).

Why: ClientAliveInterval/ClientAliveCountMax, UnusedConnectionTimeout,
ChannelTimeout and TCPKeepAlive are how an sshd operator bounds what a
client that went away, or never does anything, may hold.  jumpgate used to
accept them and do nothing, so the operator believed in limits that did
not exist.  ConnectTimeout (jumpgate's own) bounds a target that never
answers the SYN.

How, each with its own daemon and short values:
  * a paramiko client behind a TCP proxy in this script that stops
    forwarding client->daemon bytes after authentication: the daemon sends
    keepalive@openssh.com probes, then drops the session with sshd's
    "Timeout, client not responding from user alice 127.0.0.1 port N";
  * a real `ssh -N` with ClientAliveInterval 1 answers the probes and
    stays up for several intervals;
  * a session with no channel ends with sshd's "terminating inactive
    connection", one with an open channel does not;
  * an idle direct-tcpip channel is closed (EOF and CLOSE) with sshd's
    "closing after N seconds of inactivity", a busy one is not;
  * `ss -tno` shows the keepalive timer on the daemon's client and target
    sockets with TCPKeepAlive yes, and no timer with TCPKeepAlive no;
  * a channel to a black hole (a listen(0) socket whose queue is full, so
    SYNs are dropped) fails with sshd's "connect_to ... failed." once
    ConnectTimeout expires, long before the kernel's two minutes.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402
from test_blackhole import BlackHole  # noqa: E402


class FreezeProxy:
    """A TCP relay to the daemon for one client.  freeze() stops passing
    client->daemon bytes (they are read and kept), as a client whose
    machine hung would; daemon->client bytes still flow."""

    def __init__(self, port):
        self.l = socket.socket()
        self.l.bind(('127.0.0.1', 0))
        self.l.listen(1)
        self.port = self.l.getsockname()[1]
        self.dport = port
        self.frozen = threading.Event()
        self.server_closed = threading.Event()
        self.up = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        c, _ = self.l.accept()
        self.up = socket.create_connection(('127.0.0.1', self.dport))
        self.up_port = self.up.getsockname()[1]

        def c2s():
            while True:
                try:
                    b = c.recv(65536)
                except OSError:
                    return
                if not b:
                    return
                if not self.frozen.is_set():
                    try:
                        self.up.sendall(b)
                    except OSError:
                        return

        def s2c():
            while True:
                try:
                    b = self.up.recv(65536)
                except OSError:
                    b = b''
                if not b:
                    self.server_closed.set()
                    try:
                        c.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    c.sendall(b)
                except OSError:
                    pass
        threading.Thread(target=c2s, daemon=True).start()
        threading.Thread(target=s2c, daemon=True).start()

    def close(self):
        self.l.close()
        if self.up is not None:
            self.up.close()


def daemon(c, name, extra):
    d = c.r.watch(J.Daemon(c.env, name=name, extra=extra).start())
    return d


def setup(env, r):
    c = J.Ctx(env=env, r=r)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    return c


def paramiko_via(port, key):
    import paramiko
    s = socket.create_connection(('127.0.0.1', port), timeout=T(60))
    t = paramiko.Transport(s)
    t.start_client(timeout=T(60))
    t.auth_publickey(J.USER, key.paramiko())
    assert t.is_authenticated()
    return t


def t_alive_unresponsive(c):
    d = daemon(c, 'alive', 'ClientAliveInterval 1\nClientAliveCountMax 2')
    px = c.closing(FreezeProxy(d.port))
    m = d.mark()
    t = paramiko_via(px.port, c.key)
    try:
        d.log.wait(r'^Accepted publickey for alice', m)
        px.frozen.set()
        line = d.log.wait(r'^Timeout, client not responding from user '
                          r'alice 127\.0\.0\.1 port %d$' % px.up_port, m,
                          timeout=T(60))
        assert line
        # CountMax probes went out first, each on a quiet interval
        probes = d.log.find(r'^alive_probe: session \d+: keepalive sent', m)
        assert len(probes) >= 2, probes
        assert px.server_closed.wait(T(30)), 'daemon kept the connection'
    finally:
        t.close()
    d.assert_alive()


def t_alive_ssh_stays(c):
    d = daemon(c, 'alive2', 'ClientAliveInterval 1\nClientAliveCountMax 3')
    m = d.mark()
    p = J.SshForward(c.env, c.key, d, [], name='ssh-alive')
    try:
        d.log.wait(r'^Accepted publickey for alice', m)
        # several intervals, each answered: at least 4 probes
        d.log.wait(r'^alive_probe: session \d+: keepalive sent', m,
                   timeout=T(60), count=4)
        assert p.running(), p.stderr_text()
        assert not d.log.has(r'^Timeout, client not responding', m)
        # they reached the client, which answered (ssh -v says so)
        J.wait_until(lambda: len(re.findall(
            r'client_input_global_request: rtype keepalive@openssh\.com '
            r'want_reply 1', p.stderr_text())) >= 3, T(30),
            'ssh saw three keepalive requests')
    finally:
        p.stop()


def t_unused_connection(c):
    d = daemon(c, 'unused', 'UnusedConnectionTimeout 2')
    m = d.mark()
    t, lport = J.paramiko_connect(d, c.key)
    try:
        d.log.wait(r'^terminating inactive connection from user alice '
                   r'127\.0\.0\.1 port %d$' % lport, m, timeout=T(60))
        J.wait_until(lambda: not t.is_active(), T(30), 'session closed')
    finally:
        t.close()
    # with a channel open the clock stops; it restarts at the last close
    m = d.mark()
    t, lport = J.paramiko_connect(d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 1), timeout=T(60))
        t0 = time.monotonic()
        for i in range(8):      # 4 s, twice the timeout, channel in use
            ch.sendall(b'ping %d\n' % i)
            time.sleep(0.5)
        assert t.is_active()
        assert not d.log.has(r'^terminating inactive connection', m), \
            'dropped with a channel open after %.1fs' % (time.monotonic() -
                                                         t0)
        ch.shutdown_write()
        J.chan_recv_all(ch, timeout=T(60))
        ch.close()
        d.log.wait(r'^terminating inactive connection from user alice '
                   r'127\.0\.0\.1 port %d$' % lport, m, timeout=T(60))
    finally:
        t.close()
    d.assert_alive()


def t_channel_timeout(c):
    d = daemon(c, 'chantimeout',
               'ChannelTimeout session=1 direct-*=2 *=1h')
    m = d.mark()
    t, _ = J.paramiko_connect(d, c.key)
    try:
        busy = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                              ('127.0.0.1', 1), timeout=T(60))
        idle = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                              ('127.0.0.1', 2), timeout=T(60))
        idle.sendall(b'once\n')
        got = b''
        idle.settimeout(T(60))
        while got != b'once\n':
            got += idle.recv(100)
        # the idle one is closed from the daemon's side: EOF, then CLOSE
        stop = threading.Event()

        def keep_busy():
            while not stop.is_set():
                busy.sendall(b'x')
                busy.recv(1)
                time.sleep(0.3)
        th = threading.Thread(target=keep_busy, daemon=True)
        th.start()
        rest = J.chan_recv_all(idle, timeout=T(60))
        assert rest == b'', rest
        d.log.wait(r'^channel \d+: closing after 2 seconds of inactivity$',
                   m, timeout=T(60))
        J.wait_until(lambda: idle.closed or idle.eof_received, T(30),
                     'idle channel closed')
        time.sleep(3)       # longer than the timeout, busy all along
        stop.set()
        th.join(T(30))
        assert not busy.closed and not busy.eof_received
        assert len(d.log.find(r'closing after \d+ seconds of inactivity',
                              m)) == 1
        busy.sendall(b'still here\n')
        busy.shutdown_write()
        assert J.chan_recv_all(busy, timeout=T(60)) == b'still here\n'
        assert t.is_active()
    finally:
        t.close()
    d.assert_alive()


def keepalive_timers(pid):
    """{(local, peer): has_keepalive_timer} for pid's TCP sockets."""
    out = subprocess.run(['ss', '-tnopH', 'state', 'established'],
                         capture_output=True, text=True, check=True).stdout
    res = {}
    for ln in out.splitlines():
        if 'pid=%d,' % pid not in ln:
            continue
        f = ln.split()
        res[(f[2], f[3])] = 'timer:(keepalive' in ln
    return res


def check_keepalive(c, name, extra, want):
    J.need('ss')
    d = daemon(c, name, extra)
    m = d.mark()
    t, lport = J.paramiko_connect(d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 1), timeout=T(60))
        d.log.wait(r'^channel \d+: connected to', m)
        # ss shows one timer per socket: a retransmit timer just after a
        # send hides the keepalive one, so look a few times.
        for _ in range(20):
            socks = keepalive_timers(d.pid)
            client = [v for (loc, peer), v in socks.items()
                      if peer == '127.0.0.1:%d' % lport]
            target = [v for (loc, peer), v in socks.items()
                      if peer == '127.0.0.1:%d' % c.echo.port]
            assert len(client) == 1 and len(target) == 1, socks
            if want and client == [True] and target == [True]:
                break
            assert want or (client == [False] and target == [False]), socks
            time.sleep(0.1)
        assert client == [want] and target == [want], socks
        ch.close()
    finally:
        t.close()


def t_tcp_keepalive(c):
    check_keepalive(c, 'keepalive', '', True)
    check_keepalive(c, 'nokeepalive', 'TCPKeepAlive no', False)


def t_connect_timeout(c):
    import paramiko
    d = daemon(c, 'connecttimeout', 'ConnectTimeout 2')
    bh = BlackHole()
    baseline = d.settled_fd_count()
    m = d.mark()
    t, _ = J.paramiko_connect(d, c.key)
    try:
        t0 = time.monotonic()
        try:
            t.open_channel('direct-tcpip', ('127.0.0.1', bh.port),
                           ('127.0.0.1', 1), timeout=T(600))
            raise AssertionError('open to a black hole was confirmed')
        except paramiko.ChannelException:
            pass
        took = time.monotonic() - t0
        d.log.in_order([r'^connect_next: start for host 127\.0\.0\.1 '
                        r'\(\[127\.0\.0\.1\]:%d\)' % bh.port,
                        r'^channel \d+: connection failed: Connection '
                        r'timed out$',
                        r'^connect_to 127\.0\.0\.1 port %d: failed\.$'
                        % bh.port], m)
        # the kernel gives up after about 127 s; ConnectTimeout 2 must win
        assert took < 100, 'open failed only after %.0fs' % took
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 2), timeout=T(60))
        ch.sendall(b'ok\n')
        ch.shutdown_write()
        assert J.chan_recv_all(ch, timeout=T(60)) == b'ok\n'
        ch.close()
    finally:
        t.close()
    d.wait_fds(baseline)
    bh.close()
    d.assert_alive()


if __name__ == '__main__':
    J.main('keepalives and timeouts', setup, [
        ('ClientAlive: a frozen client is dropped with sshd\'s line',
         t_alive_unresponsive),
        ('ClientAlive: ssh -N answers the probes and stays',
         t_alive_ssh_stays),
        ('UnusedConnectionTimeout: no channel, no session',
         t_unused_connection),
        ('ChannelTimeout: the idle channel closes, the busy one stays',
         t_channel_timeout),
        ('TCPKeepAlive: SO_KEEPALIVE on client and target sockets',
         t_tcp_keepalive),
        ('ConnectTimeout: a black-hole target fails in time',
         t_connect_timeout),
    ])
