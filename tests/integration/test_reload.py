#!/usr/bin/python3
"""SIGHUP: configuration, host keys and limits reloaded, nothing dropped.

Why: config management and logrotate send SIGHUP; it used to end the
daemon and every session with it.  A reload must keep every established
session and channel byte for byte, yet a channel opened afterwards must
follow the new policy, also inside a session that authenticated before
the reload (its Match result is computed again).  A broken file must not
take the gateway down or loosen it: it is refused naming FILE:LINE and
the old policy stays.  Counts are not reset by a reload, so a lowered
cap applies at once to what is already open.

Checks (one daemon, Workers 2, $NOTIFY_SOCKET an abstract socket):
  * 20 channels (two sessions of 10) each send 4 MiB to a sha256 sink:
    half before the SIGHUP, half after; every sink gets every byte (same
    sha256), both sessions stay up; the log says "main_reload:
    configuration reloaded".
  * PermitOpen changed from A to B by that reload: the pre-existing
    session and a new one are refused A ("but the request was denied")
    and get B (echo works); before the reload it was the other way.
  * A file with a bad keyword on line N: "main_reload: FILE:N: ..." and
    "reload refused"; A still refused and B still allowed; the daemon
    answers.
  * A new HostKey: a new connection sees the new key; a session made
    before still opens channels.
  * MaxChannelsPerUser 30 -> 3 by reload while alice holds 3 channels:
    her next open is refused naming "MaxChannelsPerUser 3 reached" (the
    count survived); after one closes she opens again.
  * Workers 2 -> 3: "main_note_restart_only: Workers changed: takes
    effect at restart"; old and new sessions still forward.
  * The notify socket saw READY=1, then for each reload RELOADING=1 with
    MONOTONIC_USEC=<digits> followed by READY=1, in that order.
"""

import os
import re
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

NCHAN = 20
HALF = 2 * 1024 * 1024


class Notify:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self, name):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind('\0' + name[1:] if name[0] == '@' else name)
        self.msgs = []
        self.cv = threading.Condition()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                b = self.sock.recv(4096)
            except OSError:
                return
            with self.cv:
                self.msgs.append(b.decode())
                self.cv.notify_all()

    def wait(self, n, timeout=T(60)):
        with self.cv:
            if not self.cv.wait_for(lambda: len(self.msgs) >= n, timeout):
                raise AssertionError('notify: %d of %d messages: %r'
                                     % (len(self.msgs), n, self.msgs))
            return list(self.msgs)

    def close(self):
        self.sock.close()


def conf(c, permit, caps=30, bad=False, workers=2):
    d = c.d
    d.extra = ('Workers %d\nMaxChannelsPerUser %d\nPermitOpen 127.0.0.1:%d '
               '127.0.0.1:%d' % (workers, caps, c.sink.port, permit))
    if bad:
        d.extra = 'NoSuchKeyword yes\n' + d.extra
    d._write_conf()
    with open(d.conf) as f:
        lines = f.read().splitlines()
    return lines.index('NoSuchKeyword yes') + 1 if bad else 0


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.sink = c.closing(J.Target(J.sink_handler(), name='sink'))
    c.a = c.closing(J.Target(J.echo_handler, name='echo-a'))
    c.b = c.closing(J.Target(J.echo_handler, name='echo-b'))
    c.notify = c.closing(Notify('@jg-notify-reload-%d' % os.getpid()))
    os.environ['NOTIFY_SOCKET'] = c.notify.name
    c.d = J.Daemon(env, name='reload')
    conf(c, c.a.port)
    r.watch(c.d.start())
    del os.environ['NOTIFY_SOCKET']
    c.sessions = []
    return c


def connect(c):
    t, _ = J.paramiko_connect(c.d, c.key)
    c.sessions.append(t)
    return t


def open_to(t, port):
    return t.open_channel('direct-tcpip', ('127.0.0.1', port),
                          ('127.0.0.1', 1), timeout=T(60))


def echo(t, port):
    ch = open_to(t, port)
    ch.settimeout(T(60))
    ch.sendall(b'ping')
    got = b''
    while len(got) < 4:
        b = ch.recv(4 - len(got))
        assert b, 'echo channel closed early'
        got += b
    assert got == b'ping', got
    return ch


def refused(c, t, port, m):
    import paramiko
    try:
        ch = open_to(t, port)
    except paramiko.ChannelException:
        pass
    else:
        ch.close()
        raise AssertionError('open to port %d CONFIRMED' % port)
    c.d.log.wait(r'^Received request from 127\.0\.0\.1 port \d+ to connect '
                 r'to host 127\.0\.0\.1 port %d, but the request was '
                 r'denied\.$' % port, m)


def reload(c, ok=True):
    m = c.d.mark()
    c.d.proc.send_signal(signal.SIGHUP)
    c.d.log.wait(r'^main_reload: configuration reloaded' if ok else
                 r'^main_reload: reload refused', m)
    return m


def t_transfer(c):
    d = c.d
    m = d.mark()
    ts = [connect(c), connect(c)]
    echo(ts[0], c.a.port).close()
    refused(c, ts[0], c.b.port, m)
    pats = [J.Pattern(100 + i, 2 * HALF) for i in range(NCHAN)]
    chans = [open_to(ts[i % 2], c.sink.port) for i in range(NCHAN)]
    halfway = threading.Barrier(NCHAN + 1, timeout=T(120))
    go = threading.Event()
    errs = []

    def send_counted(ch, p):
        # Pattern blocks are ~1 MiB: cut the one that crosses HALF.
        try:
            sent = 0
            for blk in p.chunks():
                if sent < HALF <= sent + len(blk):
                    cut = HALF - sent
                    ch.sendall(blk[:cut])
                    halfway.wait()
                    assert go.wait(T(120)), 'no go after the reload'
                    ch.sendall(blk[cut:])
                else:
                    ch.sendall(blk)
                sent += len(blk)
            ch.shutdown_write()
        except Exception as e:
            errs.append(repr(e))
            try:
                halfway.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=send_counted, args=(ch, p),
                                daemon=True) for ch, p in zip(chans, pats)]
    for th in threads:
        th.start()
    halfway.wait()
    # every channel is mid-transfer now: half its bytes are on the way
    conf(c, c.b.port)
    reload(c)
    go.set()
    for th in threads:
        th.join(T(300))
    assert not errs, errs
    conns = c.sink.wait_done(NCHAN, timeout=T(300))
    got = sorted((x.received, x.received_sha) for x in conns)
    want = sorted((p.n, p.sha256()) for p in pats)
    assert got == want, 'sink saw %r, expected %r' % (got, want)
    for ch in chans:
        ch.close()
    for t in ts:
        assert t.is_active(), 'a session ended across the reload'
    assert not d.log.has(r'Connection closed by|Disconnected from', m), \
        'a session was closed'
    c.old = ts[0]


def t_policy_after(c):
    m = c.d.mark()
    # the session authenticated before the reload, then a new one
    for t in (c.old, connect(c)):
        refused(c, t, c.a.port, m)
        echo(t, c.b.port).close()


def t_broken(c):
    line = conf(c, c.a.port, bad=True)
    m = reload(c, ok=False)
    c.d.log.wait(r'^main_reload: %s:%d: ' % (re.escape(c.d.conf), line), m)
    c.d.assert_alive()
    for t in (c.old, connect(c)):
        refused(c, t, c.a.port, m)
        echo(t, c.b.port).close()


def t_hostkey(c):
    k2 = c.env.key('reload_host2')
    c.d.hostkey = k2
    conf(c, c.b.port)
    reload(c)
    t = connect(c)
    got = t.get_remote_server_key().get_base64()
    assert got == k2.pub_line.split()[1], 'new connection saw the old key'
    echo(c.old, c.b.port).close()


def t_caps(c):
    m = c.d.mark()
    t = connect(c)
    chans = [echo(t, c.b.port) for _ in range(3)]
    conf(c, c.b.port, caps=3)
    reload(c)
    import paramiko
    try:
        open_to(t, c.b.port).close()
        raise AssertionError('a 4th channel opened past MaxChannelsPerUser 3')
    except paramiko.ChannelException:
        pass
    c.d.log.wait(r'^channel_open: session \d+: MaxChannelsPerUser 3 '
                 r'reached for user %s' % J.USER, m)
    chans.pop().close()
    deadline = time.monotonic() + T(60)
    while True:
        try:
            chans.append(echo(t, c.b.port))
            break
        except paramiko.ChannelException:
            assert time.monotonic() < deadline, 'the slot never came back'
            time.sleep(0.2)
    for ch in chans:
        ch.close()


def t_restart_only(c):
    conf(c, c.b.port, caps=3, workers=3)
    m = reload(c)
    c.d.log.wait(r'^main_note_restart_only: Workers changed: takes effect '
                 r'at restart$', m)
    t = connect(c)
    echo(t, c.b.port).close()
    echo(c.old, c.b.port).close()


def t_notify(c):
    # READY, then 5 reloads (one refused) of RELOADING + READY each
    msgs = c.notify.wait(11)
    assert msgs[0] == 'READY=1', msgs
    for i in range(5):
        r, rd = msgs[1 + 2 * i], msgs[2 + 2 * i]
        assert re.fullmatch(r'RELOADING=1\nMONOTONIC_USEC=\d+', r), msgs
        assert rd == 'READY=1', msgs
    for t in c.sessions:
        t.close()


if __name__ == '__main__':
    J.main('SIGHUP reload', setup, [
        ('20 channels mid-transfer keep every byte across SIGHUP',
         t_transfer),
        ('after the reload the new PermitOpen applies to old and new '
         'sessions', t_policy_after),
        ('a broken config is refused naming FILE:LINE; old policy stays',
         t_broken),
        ('a new HostKey is seen by a new connection', t_hostkey),
        ('a lowered MaxChannelsPerUser counts channels already open',
         t_caps),
        ('Workers changed: logged as taking effect at restart, serving '
         'goes on', t_restart_only),
        ('notify: READY=1, then RELOADING=1 + MONOTONIC_USEC, READY=1',
         t_notify),
    ])
