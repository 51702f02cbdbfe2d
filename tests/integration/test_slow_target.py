#!/usr/bin/python3
"""A target slower than the client, and a target that resets mid-stream.

Why: client -> target, jumpgate queues at most CHANNEL_OUT_HIWAT (256 KiB)
per target and leaves the rest inside libssh, which then stops growing the
client's window: a client that outruns its target must be stalled, never
buffered for without bound, and everything must still arrive, in order,
once the target drains (channel_refill pulls back what libssh holds).
When a write to the target fails, jumpgate does what sshd does: the
output half closes ("channel N: write failed" at debug2), later client
data is discarded but credited to the window, and the channel closes
normally (EOF, then CLOSE) once the input half is done too.

How (paramiko and ssh -L, loopback only):

  stall: the target accepts and does not read.  A paramiko channel sends
    as fast as it can until what it has sent stops growing for a second
    (at least 2 s).  What it sent must be below the data size and below
    BOUND = the target socket's SO_RCVBUF (fixed by the test; without
    reads it would not autotune anyway) + tcp_wmem max (the daemon's send
    buffer autotunes) + 256 KiB + 2,560,000 (libssh's window and buffer)
    + 2 MiB slack, and the daemon's Pss_Anon (VmRSS if smaps_rollup is
    missing) must not have grown by more than BOUND (4 BOUND under ASan,
    whose quarantine keeps freed buffers: about 2.7 BOUND was measured),
    nor by more than 2 MiB after the client stalled.  The target then
    reads 4 KiB at a time with short sleeps for a while, then at full
    speed: it must get the 32 MiB with the right sha256, then EOF.  Had
    the daemon buffered without bound, the client would have sent all
    32 MiB (3 times BOUND) while the target slept (caught on any build),
    and a plain build's daemon would have grown by as much.
  reset, input held open: the target streams to a paramiko client that
    does not read (so the daemon stops reading the target once the
    client's 2 MiB window is full), reads 1 MiB of client data, then
    closes with SO_LINGER {1, 0} (RST).  A 32 KiB probe must log
    "write failed" at debug2 only, then 4 MiB more (more than the
    2,560,000 bytes the window could ever hold without credit) must go
    through; the client then reads a prefix of what the target sent,
    EOF, CLOSE; the daemon's "bytes out" is exactly what the client read.
    A second channel on the same session echoes 1 MiB; the daemon's fds
    return to their baseline.
  reset, streaming through ssh -L: the target reads 1 MiB then resets
    while a local client keeps writing into ssh -L.  The local client
    must see its connection end (EOF, or a reset, from ssh) instead of
    hanging and its writes must fail rather than block; the
    log must show write failed (debug2), send eof, send close; the same
    ssh -L keeps working for the next connection; fds return to baseline.

No assertion on speed; the timeouts only stop hangs (JG_TIMEOUT_SCALE).
"""

import hashlib
import os
import re
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

MIB = 1 << 20
SIZE = 32 * MIB
OUT_HIWAT = 256 * 1024          # CHANNEL_OUT_HIWAT, server/channel.h
PEER_BUFFER_MAX = 2 * 1280000   # libssh's window + what it buffers
SLACK = 2 * MIB
TARGET_RCVBUF = 64 * 1024       # asked for; the kernel doubles it
PAUSE = 2.0                     # the target sleeps at least this long
STABLE = 1.0                    # "stalled": nothing sent for this long
SLOW_READ = 1.0                 # seconds of 4 KiB reads with sleeps
ASAN_MEM_FACTOR = 4             # see t_stall


def sysctl_max(name):
    with open('/proc/sys/net/ipv4/' + name) as f:
        return int(f.read().split()[2])


def daemon_mem(pid):
    """Pss_Anon of the daemon in bytes (VmRSS if smaps_rollup is absent)."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for ln in f:
                if ln.startswith('Pss_Anon:'):
                    return int(ln.split()[1]) * 1024, 'Pss_Anon'
    except OSError:
        pass
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            if ln.startswith('VmRSS:'):
                return int(ln.split()[1]) * 1024, 'VmRSS'
    raise AssertionError('no memory figure for pid %d' % pid)


def asan(pid):
    """Whether the daemon runs with AddressSanitizer."""
    with open('/proc/%d/maps' % pid) as f:
        if 'libasan' in f.read():
            return True
    with open('/proc/%d/exe' % pid, 'rb') as f:
        return b'__asan_init' in f.read()


def chan_id(d, tport, mark=0):
    """The daemon's channel number for the channel to 127.0.0.1:tport."""
    ms = d.log.wait(r'^channel (\d+): connected to 127\.0\.0\.1 port %d$'
                    % tport, mark, timeout=T(30))
    return int(ms[-1].group(1))


def prefix_sha(pattern, n):
    """sha256 of the first n bytes of pattern."""
    h = hashlib.sha256()
    for c in pattern.chunks():
        if n <= 0:
            break
        h.update(c[:n])
        n -= len(c)
    return h.hexdigest()


def check_debug_only(d, mark, chid):
    """The write failure is logged, at debug2, and nothing about this
    channel is logged above debug level."""
    rx = re.compile(r'channel %d: write failed: ' % chid)
    lines = d.log.since(mark)
    hits = [ln for ln in lines if rx.search(ln)]
    assert hits, 'no "channel %d: write failed" line' % chid
    for ln in hits:
        assert ln.startswith('debug2: '), 'not at debug2: %r' % ln
    loud = [ln for ln in lines if not J.LOG_PREFIX.match(ln) and
            re.search(r'write failed|channel %d\b' % chid, ln)]
    assert not loud, 'above debug level: %s' % loud


class Sender(threading.Thread):
    """Sends pattern over a paramiko channel, counting what send() took."""

    def __init__(self, ch, pattern):
        threading.Thread.__init__(self, daemon=True)
        self.ch, self.pattern = ch, pattern
        self.sent = 0
        self.error = None

    def run(self):
        try:
            for c in self.pattern.chunks():
                off = 0
                while off < len(c):
                    n = self.ch.send(c[off:off + 32768])
                    if n <= 0:
                        raise OSError('send returned %d' % n)
                    off += n
                    self.sent += n
        except Exception as e:      # checked by the test
            self.error = repr(e)


def chan_send(ch, pattern):
    for c in pattern.chunks():
        ch.sendall(c)


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env, loglevel='DEBUG3').start())
    c.baseline = c.d.settled_fd_count()
    return c


# --------------------------------------------------------------------------
# 1. a target that stops reading, then reads slowly, then fast

def paused_handler(resume):
    def handler(sock, conn):
        conn.info['rcvbuf'] = sock.getsockopt(socket.SOL_SOCKET,
                                              socket.SO_RCVBUF)
        conn.info['accepted'] = True
        if not resume.wait(T(300)):
            conn.error = 'never resumed'
            return
        h = hashlib.sha256()
        n = slow = 0
        end = time.monotonic() + SLOW_READ
        while True:
            fast = time.monotonic() >= end
            try:
                b = sock.recv(262144 if fast else 4096)
            except OSError as e:
                conn.error = repr(e)
                break
            if not b:
                conn.eof = True
                break
            h.update(b)
            n += len(b)
            conn.received = n
            if not fast:
                slow += len(b)
                time.sleep(0.005)
        conn.received_sha = h.hexdigest()
        conn.info['slow'] = slow
    return handler


def t_stall(c):
    data = J.Pattern(301, SIZE)
    resume = threading.Event()
    tgt = J.Target(paused_handler(resume), name='paused')
    # Children of the listener inherit this (and it stops autotuning).
    tgt.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, TARGET_RCVBUF)
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', tgt.port),
                            ('127.0.0.1', 1), timeout=T(60))
        ch.settimeout(T(300))
        conn = tgt.wait_conns(1)[0]
        J.wait_until(lambda: conn.info.get('accepted'), T(30), 'accept')
        bound = (conn.info['rcvbuf'] + sysctl_max('tcp_wmem') + OUT_HIWAT +
                 PEER_BUFFER_MAX + SLACK)
        assert SIZE > 2 * bound, 'bound %d too close to the size' % bound
        mem0, what = daemon_mem(c.d.pid)

        snd = Sender(ch, data)
        snd.start()
        t0 = time.monotonic()
        last, since, mem_stall = -1, t0, mem0
        while True:
            time.sleep(0.1)
            now, sent = time.monotonic(), snd.sent
            if sent != last:
                last, since = sent, now
                mem_stall, _ = daemon_mem(c.d.pid)
            if snd.error or not snd.is_alive():
                break
            if now - t0 >= PAUSE and now - since >= STABLE:
                break
            if now - t0 > T(60):
                break
        mem1, _ = daemon_mem(c.d.pid)
        stalled = snd.sent
        c.d.assert_alive()
        assert snd.error is None, 'client send failed: %s' % snd.error
        assert stalled < SIZE and snd.is_alive(), \
            'the client sent all %d bytes to a target that reads nothing ' \
            '(bound %d; daemon %s grew by %d bytes)' \
            % (SIZE, bound, what, mem1 - mem0)
        assert time.monotonic() - since >= STABLE, \
            'what the client sent never stopped growing (%d bytes after ' \
            '%.0fs)' % (stalled, time.monotonic() - t0)
        assert stalled <= bound, \
            'client sent %d bytes while the target read nothing; bound %d' \
            % (stalled, bound)
        # ASan's quarantine keeps every freed buffer for a while, so its
        # growth follows the bytes processed, not the bytes held.
        mbound = bound * (ASAN_MEM_FACTOR if asan(c.d.pid) else 1)
        assert mem1 - mem0 <= mbound, \
            'daemon %s grew by %d bytes while the target read nothing ' \
            '(%d -> %d); bound %d' % (what, mem1 - mem0, mem0, mem1, mbound)
        assert mem1 - mem_stall <= SLACK, \
            'daemon %s grew by %d bytes after the client was stalled' \
            % (what, mem1 - mem_stall)
        assert conn.received == 0
        print('# stalled after %d bytes (bound %d); daemon %s %+d bytes '
              '(bound %d), %+d once stalled'
              % (stalled, bound, what, mem1 - mem0, mbound,
                 mem1 - mem_stall), flush=True)

        resume.set()
        snd.join(T(300))
        assert not snd.is_alive(), \
            'client still sending after %ss (%d of %d bytes sent)' \
            % (T(300), snd.sent, SIZE)
        assert snd.error is None, 'client send failed: %s' % snd.error
        assert snd.sent == SIZE
        ch.shutdown_write()
        mark = c.d.mark()
        tgt.wait_done(1, timeout=T(300))
        assert conn.eof and conn.error is None, \
            'target: eof=%s error=%s' % (conn.eof, conn.error)
        assert (conn.received, conn.received_sha) == (SIZE, data.sha256()), \
            'target got %d bytes sha %s; client sent %d sha %s' % (
                conn.received, conn.received_sha, SIZE, data.sha256())
        assert conn.info['slow'] > 0, 'no slow reads happened'
        # The target closed after the client's EOF: EOF, CLOSE back.
        assert J.chan_recv_all(ch, T(60)) == b''
        assert ch.eof_received
        J.wait_until(lambda: ch.closed, T(30), 'CLOSE from the daemon')
        chid = chan_id(c.d, tgt.port)
        m = c.d.log.wait(r'channel %d: 127\.0\.0\.1 port %d closed, '
                         r'(\d+) bytes in, (\d+) bytes out'
                         % (chid, tgt.port), mark, timeout=T(30))[0]
        assert int(m.group(1)) == SIZE, m.group(0)
    finally:
        resume.set()
        t.close()
        tgt.close()
    c.d.wait_fds(c.baseline)
    c.d.assert_alive()


# --------------------------------------------------------------------------
# 2. a target that resets while the channel's input half is held open

def streaming_reset_handler(down, reset):
    """Sends down (non-blocking) and reads, until told to reset."""
    def handler(sock, conn):
        sock.setblocking(False)
        h = hashlib.sha256()
        chunks = down.chunks()
        buf, off = next(chunks), 0
        while not reset.is_set():
            wr = [sock] if buf is not None else []
            r, w, _ = select.select([sock], wr, [], 0.02)
            if r:
                b = sock.recv(262144)
                if not b:
                    conn.eof = True
                    break
                h.update(b)
                conn.received += len(b)
            if w:
                try:
                    n = sock.send(buf[off:off + 65536])
                except BlockingIOError:
                    n = 0
                off += n
                conn.sent += n
                if off == len(buf):
                    buf, off = next(chunks, None), 0
        conn.received_sha = h.hexdigest()
        conn.info['received_at_reset'] = conn.received
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
        # Target._serve closes it: an RST, the unsent bytes are dropped.
    return handler


def t_reset_held_open(c):
    up1 = J.Pattern(311, MIB)
    down = J.Pattern(312, 256 * MIB)    # never all sent
    more = J.Pattern(313, 4 * MIB)
    reset = threading.Event()
    tgt = J.Target(streaming_reset_handler(down, reset), name='resetter')
    echo = J.Target(J.echo_handler, name='echo')
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', tgt.port),
                            ('127.0.0.1', 1), timeout=T(60))
        ch.settimeout(T(60))
        chid = chan_id(c.d, tgt.port)
        conn = tgt.wait_conns(1)[0]
        chan_send(ch, up1)
        J.wait_until(lambda: conn.received >= up1.n, T(60),
                     'the target reading 1 MiB')
        # The client reads nothing: its window fills, so the daemon stops
        # reading the target and will not see the reset from that side.
        win = ch.in_window_size
        J.wait_until(lambda: len(ch.in_buffer) >= win, T(60),
                     'the client window (%d bytes) to fill' % win)
        last = [-1, time.monotonic()]

        def settled():
            if conn.sent != last[0]:
                last[:] = [conn.sent, time.monotonic()]
            return time.monotonic() - last[1] >= 0.3
        J.wait_until(settled, T(60), 'the target send to block')
        assert len(ch.in_buffer) == win and not ch.eof_received

        mark = c.d.mark()
        reset.set()
        assert conn.done.wait(T(30)), 'target did not reset'
        assert conn.received == up1.n and conn.received_sha == up1.sha256()

        ch.sendall(b'p' * 32768)
        c.d.log.wait(r'^channel %d: write failed: ' % chid, mark,
                     timeout=T(30), proc=c.d.proc)
        # Discarded but credited: more than the window could ever hold.
        try:
            chan_send(ch, more)
        except socket.timeout:
            raise AssertionError('client stalled after the reset: the '
                                 'discarded data was not credited')
        assert not ch.closed and not ch.eof_received, \
            'channel ended while its input half still held data'
        assert not c.d.log.has(r'^channel %d: (send eof|send close)' % chid,
                               mark)

        got = J.chan_recv_all(ch, T(60))
        assert ch.eof_received, 'no EOF before the end of the data'
        J.wait_until(lambda: ch.closed, T(30), 'CLOSE from the daemon')
        assert win <= len(got) <= conn.sent, \
            'client read %d bytes; its window %d, target sent %d' % (
                len(got), win, conn.sent)
        assert J.sha(got) == prefix_sha(down, len(got)), \
            'the %d bytes read are not a prefix of what the target sent' \
            % len(got)
        c.d.log.in_order([r'^channel %d: write failed: ' % chid,
                          r'^channel %d: send eof$' % chid,
                          r'^channel %d: send close$' % chid], mark)
        m = c.d.log.wait(r'channel %d: 127\.0\.0\.1 port %d closed, '
                         r'(\d+) bytes in, (\d+) bytes out'
                         % (chid, tgt.port), mark, timeout=T(30))[0]
        assert int(m.group(2)) == len(got), \
            '%s, but the client read %d' % (m.group(0), len(got))
        check_debug_only(c.d, mark, chid)

        # The session is fine: a second channel echoes 1 MiB.
        ch2 = t.open_channel('direct-tcpip', ('127.0.0.1', echo.port),
                             ('127.0.0.1', 2), timeout=T(60))
        e = J.Pattern(314, MIB)
        chan_send(ch2, e)
        ch2.shutdown_write()
        back = J.chan_recv_all(ch2, T(60))
        assert J.sha(back) == e.sha256(), \
            'echo: %d bytes back of %d' % (len(back), e.n)
        ch2.close()
    finally:
        reset.set()
        t.close()
        tgt.close()
        echo.close()
    c.d.wait_fds(c.baseline)
    c.d.assert_alive()


# --------------------------------------------------------------------------
# 3. a target that resets while a client streams through ssh -L

def read_then_reset_handler(n):
    """First connection: reads n bytes, then RST.  Later ones: echo."""
    state = {'first': True}

    def handler(sock, conn):
        if not state.pop('first', False):
            return J.echo_handler(sock, conn)
        while conn.received < n:
            b = sock.recv(min(262144, n - conn.received))
            if not b:
                conn.eof = True
                return
            conn.received += len(b)
        conn.info['reset'] = True
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
    return handler


def t_reset_ssh_L(c):
    data = J.Pattern(321, 1024 * MIB)      # far more than will go through
    tgt = J.Target(read_then_reset_handler(MIB), name='resetter')
    lport = J.free_port()
    mark = c.d.mark()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    try:
        s = J.connect_local(lport, timeout=T(60))
        res = {}

        def sender():
            try:
                J.send_pattern(s, data)
                res['done'] = True
            except OSError as e:
                res['err'] = repr(e)
        th = threading.Thread(target=sender, daemon=True)
        th.start()
        s.settimeout(T(60))
        try:
            b = s.recv(1)
        except socket.timeout:
            raise AssertionError('ssh -L client: no end of its connection '
                                 'within %ss of the reset' % T(60))
        except ConnectionResetError:
            b = b''     # ssh closed with our bytes unread: ended all the same
        assert b == b'', 'ssh -L client read %r instead of EOF' % b
        th.join(T(60))
        assert not th.is_alive(), 'the client is still sending (stalled)'
        assert 'done' not in res, 'all %d bytes went through?' % data.n
        s.close()
        conn = tgt.wait_done(1, timeout=T(30))[0]
        assert conn.info.get('reset') and conn.received == MIB, \
            'target: received %d, error %s' % (conn.received, conn.error)
        chid = chan_id(c.d, tgt.port, mark)
        c.d.log.wait(r'^channel %d: send close$' % chid, mark,
                     timeout=T(30), proc=c.d.proc)
        c.d.log.in_order([r'^channel %d: send eof$' % chid,
                          r'^channel %d: send close$' % chid], mark)
        check_debug_only(c.d, mark, chid)

        # The same forward works for the next connection.
        e = J.Pattern(322, MIB)
        s2 = J.connect_local(lport, timeout=T(60))
        n, hx = J.tcp_duplex(s2, e, timeout=T(60))
        s2.close()
        assert (n, hx) == (e.n, e.sha256()), \
            'echo through the same -L: %d bytes of %d' % (n, e.n)
        assert fwd.running(), fwd.stderr_text()
    finally:
        fwd.stop()
        tgt.close()
    c.d.wait_fds(c.baseline)
    c.d.assert_alive()


if __name__ == '__main__':
    J.main('slow and resetting targets', setup, [
        ('a target that reads nothing stalls the client (bounded), then '
         'gets all %d MiB in order and EOF' % (SIZE >> 20), t_stall),
        ('a target reset with the input half held open: debug2 write '
         'failed, data credited, EOF then CLOSE, session fine',
         t_reset_held_open),
        ('a target reset under ssh -L streaming: connection ends, forward '
         'fine', t_reset_ssh_L),
    ])
