#!/usr/bin/python3
"""Hostile channel traffic from an authenticated client.

Why: one authenticated user must not be able to freeze a worker or grow
the daemon's memory without bound.  Each case is driven by a paramiko
transport that breaks the protocol on purpose (raw packets where
paramiko's own API would refuse); Workers 1 puts every session on the
same worker, so a wedged worker shows as a second client that cannot be
served.

  tiny max packet: CHANNEL_OPEN announcing a maximum packet size of 1,
    9, 10, 11 or 1023 bytes gets OPEN_FAILURE and a log line naming the
    size (libssh 0.10 loops forever sending empty DATA at 10; Debian's
    libssh itself drops 0, unanswered); the same
    transport then opens a normal channel, and another client is served.
  data after our CLOSE: the target resets, the client sends EOF, the
    daemon sends its CLOSE; the client ignores it and keeps sending raw
    DATA.  The daemon must discard it, drop the session past a cap, and
    stay within a few MB of memory (libssh alone would buffer it all).
  slot kept until the peer's CLOSE: a channel whose CLOSE the client does
    not answer keeps its id (the next channel gets id 1); once the
    client's CLOSE comes, "rcvd close" is logged after our "send close",
    the channel is freed, and id 0 is handed out again (sshd's lowest
    free slot).
"""

import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

import paramiko  # noqa: E402
from paramiko.common import (cMSG_CHANNEL_CLOSE, cMSG_CHANNEL_DATA,  # noqa
                             MSG_CHANNEL_CLOSE)
from paramiko.message import Message  # noqa: E402


def reset_handler(sock, conn):
    """Resets the connection once the client's first byte came (so the
    channel was confirmed: a reset before that fails the connect)."""
    sock.settimeout(T(30))
    sock.recv(1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))


def greet_handler(sock, conn):
    """Sends a greeting (so the daemon writes to the client), then echoes."""
    sock.sendall(b'hello from the target\n')
    J.echo_handler(sock, conn)


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env, extra='Workers 1').start())
    c.greet = c.closing(J.Target(greet_handler, name='greet'))
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.reset = c.closing(J.Target(reset_handler, name='reset'))
    return c


def open_direct(t, port, max_packet=None, timeout=T(30)):
    """paramiko clamps the max packet it announces to 4096..; a hostile
    client does not: bypass the clamp for this one open."""
    if max_packet is None:
        return t.open_channel('direct-tcpip', ('127.0.0.1', port),
                              ('127.0.0.1', 4242), timeout=timeout)
    saved = t._sanitize_packet_size
    t._sanitize_packet_size = lambda size: max_packet
    try:
        return t.open_channel('direct-tcpip', ('127.0.0.1', port),
                              ('127.0.0.1', 4242), max_packet_size=max_packet,
                              timeout=timeout)
    finally:
        t._sanitize_packet_size = saved


def echo_roundtrip(t, port):
    ch = open_direct(t, port)
    ch.settimeout(T(30))
    ch.sendall(b'ping\n')
    got = b''
    while not got.endswith(b'ping\n'):
        b = ch.recv(4096)
        assert b, 'echo channel closed early, got %r' % got
        got += b
    ch.close()
    return got


def second_client_served(c):
    """Another session on the same (only) worker still forwards."""
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        got = echo_roundtrip(t, c.echo.port)
        assert got == b'ping\n', got
    finally:
        t.close()


def t_tiny_max_packet(c):
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        # Debian's libssh (CVE-2026-59843) drops an open with max packet 0
        # itself, without any reply: the client is left waiting.
        m = c.d.mark()
        try:
            open_direct(t, c.greet.port, max_packet=0, timeout=5)
            raise AssertionError('open with max packet 0 was confirmed')
        except (paramiko.ChannelException, paramiko.SSHException):
            pass
        c.d.log.wait(r'(Invalid maximum packet size 0|maximum packet size '
                     r'0 is below)', mark=m, timeout=T(30))
        for mp in (1, 9, 10, 11, 1023):
            m = c.d.mark()
            try:
                ch = open_direct(t, c.greet.port, max_packet=mp)
            except paramiko.ChannelException:
                ch = None
            assert ch is None, 'open with max packet %d was confirmed' % mp
            c.d.log.wait(r'refused direct-tcpip open from 127\.0\.0\.1 '
                         r'port \d+: maximum packet size %d is below 1024'
                         % mp, mark=m, timeout=T(30))
            assert not c.d.log.has(r'connect_next: start', m), \
                'the target was connected for max packet %d' % mp
        # the session survives and serves a normal channel
        got = echo_roundtrip(t, c.echo.port)
        assert got == b'ping\n', got
        # the smallest accepted size works (and terminates)
        ch = open_direct(t, c.greet.port, max_packet=1024)
        ch.settimeout(T(30))
        got = ch.recv(4096)
        assert got.startswith(b'hello'), got
        ch.close()
    finally:
        t.close()
    second_client_served(c)
    c.d.assert_alive()


def ignore_close(t):
    """The hostile client never answers the daemon's CLOSE."""
    table = dict(t._channel_handler_table)
    table[MSG_CHANNEL_CLOSE] = lambda chan, m: None
    t._channel_handler_table = table


def send_raw(t, msg_type, chanid, payload=None):
    m = Message()
    m.add_byte(msg_type)
    m.add_int(chanid)
    if payload is not None:
        m.add_string(payload)
    t._send_user_message(m)


def closed_by_daemon(c, t, mark):
    """Opens a channel to the resetting target and sends EOF: the daemon's
    two halves close and it sends CLOSE, which the client ignores."""
    ch = open_direct(t, c.reset.port)
    ch.sendall(b'x')
    c.d.log.wait(r'channel (\d+): input drain -> closed', mark=mark,
                 timeout=T(30))
    ch.shutdown_write()
    c.d.log.wait(r'channel \d+: send close', mark=mark, timeout=T(30))
    return ch


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for ln in f:
            if ln.startswith('VmRSS:'):
                return int(ln.split()[1])
    raise AssertionError('no VmRSS for %d' % pid)


def t_data_after_close(c):
    t, _ = J.paramiko_connect(c.d, c.key)
    ignore_close(t)
    m = c.d.mark()
    try:
        ch = closed_by_daemon(c, t, m)
        before = rss_kib(c.d.pid)
        chunk = b'x' * 32000
        sent = 0
        total = 64 << 20
        try:
            # paramiko drops writes silently once the daemon hung up
            while sent < total and t.is_active():
                send_raw(t, cMSG_CHANNEL_DATA, ch.remote_chanid, chunk)
                sent += len(chunk)
        except (EOFError, OSError, paramiko.SSHException):
            pass
        c.d.log.wait(r'channel \d+: peer sent \d+ bytes after our close',
                     mark=m, timeout=T(60))
        grown = rss_kib(c.d.pid) - before
        J.wait_until(lambda: not t.is_active(), T(30),
                     'the session to be dropped')
        # the old code grew by all of it; ASan's quarantine alone costs
        # a few times the bytes that passed through
        assert grown < (total >> 10) // 2, \
            'daemon RSS grew by %d KiB while %d bytes came after CLOSE' % (
                grown, sent)
    finally:
        t.close()
    second_client_served(c)
    c.d.assert_alive()


def t_slot_kept_until_peer_close(c):
    t, _ = J.paramiko_connect(c.d, c.key)
    ignore_close(t)
    m = c.d.mark()
    try:
        a = closed_by_daemon(c, t, m)
        assert c.d.log.has(r'channel 0: send close', m), \
            c.d.log.excerpt(m, 40)
        assert not c.d.log.has(r'channel 0: free: direct-tcpip', m), \
            'channel 0 freed before the client answered its CLOSE'
        m2 = c.d.mark()
        got = echo_roundtrip(t, c.echo.port)
        assert got == b'ping\n', got
        assert c.d.log.has(r'channel 1: new direct-tcpip', m2), \
            'the second channel did not get id 1:\n' + c.d.log.excerpt(m2)
        c.d.log.wait(r'channel 1: free: direct-tcpip', mark=m2,
                     timeout=T(30))
        # now the client answers: rcvd close comes after our send close
        m3 = c.d.mark()
        send_raw(t, cMSG_CHANNEL_CLOSE, a.remote_chanid)
        c.d.log.wait(r'channel 0: free: direct-tcpip', mark=m3,
                     timeout=T(30))
        assert c.d.log.in_order([r'channel 0: send close',
                                 r'channel 0: rcvd close',
                                 r'channel 0: free: direct-tcpip'], m), \
            c.d.log.excerpt(m, 60)
        m4 = c.d.mark()
        echo_roundtrip(t, c.echo.port)
        assert c.d.log.has(r'channel 0: new direct-tcpip', m4), \
            'id 0 was not reused:\n' + c.d.log.excerpt(m4)
    finally:
        t.close()
    c.d.assert_alive()


TESTS = [
    ('tiny max packet: refused, worker and session unharmed',
     t_tiny_max_packet),
    ('data after our CLOSE is discarded and bounded',
     t_data_after_close),
    ('a channel keeps its slot until the peer\'s CLOSE',
     t_slot_kept_until_peer_close),
]

if __name__ == '__main__':
    threading.stack_size(1 << 20)
    J.main('hostile channels', setup, TESTS)
