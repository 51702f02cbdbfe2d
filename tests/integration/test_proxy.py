#!/usr/bin/python3
"""PROXY protocol v1 and v2 on the SSH listener (ProxyProtocolFrom).

Why: behind a TCP load balancer every client would otherwise look like
the balancer, and from=, Match Address, PerSourceMaxStartups and every log
line would be about the wrong host.  The header is trusted only from the
listed proxies; from them nothing else is accepted, and from anyone else a
header is refused, so a client cannot claim an address of its choosing.

Raw sockets send the header, then paramiko runs SSH over the same socket
and forwards to an echo target.  Daemon "trusted" has ProxyProtocolFrom
127.0.0.1,::1; "untrusted" has ProxyProtocolFrom 192.0.2.1.  alice's key
has from="203.0.113.0/24,198.51.100.0/24,2001:db8::/32,127.0.0.1" and
"Match Address 198.51.100.0/24" turns forwarding off.
Checks:
  * v1 TCP4 sent with paramiko's banner in the same send: "PROXY v1 header
    from 127.0.0.1 port P: client 203.0.113.7 port 4711, server 192.0.2.10
    port 2222", sshd's "Connection from 203.0.113.7 port 4711 on
    192.0.2.10 port 2222", "Accepted publickey for alice from 203.0.113.7
    port 4711", the forward echoes, "Connection closed by 203.0.113.7";
    the audit log's auth.success, channel.open and channel.close have
    client_addr 203.0.113.7 and via_addr/via_port the proxy's.
  * v1 TCP6 over ::1; v2 TCP4 with TLVs (sent first, on its own); v2
    TCP6: each carried address is the one logged and authenticated.
  * v2 LOCAL and v1 UNKNOWN (health checks): the connection's own
    127.0.0.1 address and port are used.
  * a v2 and a v1 header split across several sends with delays.
  * from=: a carried 192.0.2.99 is refused ("not from a permitted host
    (host=192.0.2.99").  Match Address: carried 198.51.100.9 authenticates
    but its open is refused; carried 203.0.113.7 forwards (above).
  * PerSourceMaxStartups 1 counts the carried client: two stalled
    connections carrying different clients are greeted, a second one
    carrying the same client is dropped with sshd's line naming it.
  * a partial header then silence: no banner, closed after 10 s with
    "no complete header within 10 seconds".
  * from the trusted source: a plain SSH client, HTTP garbage, an
    oversized v2 (refused from its 16-byte preamble alone), v2 AF_UNIX,
    v2 version 1, v1 with a bad port, a doubled space, no CRLF in 107
    bytes, a close before any byte: each closed without our banner, with
    one "Refused connection from 127.0.0.1 port P: PROXY protocol: ..."
    line naming the reason.
  * untrusted source: our banner comes before the client sends anything;
    then a v1 or v2 header is refused ("a v1 header, but
    ProxyProtocolFrom does not list this address"); a plain paramiko
    client authenticates as 127.0.0.1 and forwards.
"""

import json
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

SIG = b'\r\n\r\n\x00\r\nQUIT\n'
FROM = '203.0.113.0/24,198.51.100.0/24,2001:db8::/32,127.0.0.1'
REFUSED = r'^Refused connection from %s port %s: PROXY protocol: %s$'


def v1(src, sport, dst='192.0.2.10', dport=2222, proto='TCP4'):
    return ('PROXY %s %s %s %d %d\r\n'
            % (proto, src, dst, sport, dport)).encode()


def v2(src, sport, dst='192.0.2.10', dport=2222, tlvs=b'', cmd=0x21):
    if ':' in src:
        fam = 0x21
        a = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst)
    else:
        fam = 0x11
        a = socket.inet_aton(src) + socket.inet_aton(dst)
    body = a + struct.pack('>HH', sport, dport) + tlvs
    return SIG + bytes([cmd, fam]) + struct.pack('>H', len(body)) + body


class PrefixSock:
    """A socket whose first send() carries the header too, so that the
    header and the client's SSH banner arrive in one segment."""

    def __init__(self, sock, prefix):
        self._sock = sock
        self._prefix = prefix

    def send(self, data):
        if self._prefix is None:
            return self._sock.send(data)
        self._sock.sendall(self._prefix + bytes(data))
        self._prefix = None
        return len(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def raw(d, host='127.0.0.1'):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(T(60))
    s.connect((host, d.port))
    return s, s.getsockname()[1]


def via(d, key, header, mode='together', host='127.0.0.1', auth=True,
        pieces=None):
    """paramiko over a socket that first sent header.  mode: 'together'
    (with the SSH banner), 'before' (a send of its own), 'split' (the
    pieces, 0.3 s apart).  Returns (transport, our source port)."""
    import paramiko
    s, lport = raw(d, host)
    sock = s
    if mode == 'together':
        sock = PrefixSock(s, header)
    elif mode == 'before':
        s.sendall(header)
    else:
        assert b''.join(pieces) == header
        for p in pieces:
            s.sendall(p)
            time.sleep(0.3)
    t = paramiko.Transport(sock)
    t.start_client(timeout=T(60))
    if auth:
        t.auth_publickey(J.USER, key.paramiko())
        assert t.is_authenticated()
    return t, lport


def echo(c, t, data=b'through the proxy\n'):
    ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                        ('127.0.0.1', 1), timeout=T(60))
    ch.sendall(data)
    ch.shutdown_write()
    assert J.chan_recv_all(ch) == data
    ch.close()


def closed_silently(s):
    """The daemon closes s without a byte (no SSH banner)."""
    s.settimeout(T(60))
    try:
        got = s.recv(256)
    except ConnectionResetError:
        got = b''
    s.close()
    assert got == b'', 'expected a close without a banner, got %r' % got


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key, 'from="%s"' % FROM)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.audit = env.path('audit.json')
    c.d = r.watch(J.Daemon(
        env, name='trusted', listen=('127.0.0.1', '::1'),
        extra='ProxyProtocolFrom 127.0.0.1,::1\n'
              'AuditLog %s\n' % c.audit +
              'Match Address 198.51.100.0/24\n'
              '    AllowTcpForwarding no').start())
    c.u = r.watch(J.Daemon(env, name='untrusted',
                           extra='ProxyProtocolFrom 192.0.2.1').start())
    c.src = r.watch(J.Daemon(env, name='persource',
                             extra='ProxyProtocolFrom 127.0.0.1\n'
                                   'PerSourceMaxStartups 1\n'
                                   'PerSourceNetBlockSize 32').start())
    return c


def carried(c, t, lport, m, src, sport, dst, dport, version,
            via_host='127.0.0.1'):
    d = c.d
    d.log.wait(r'^PROXY v%d header from %s port %d: client %s port %d, '
               r'server %s port %d$' % (version, re.escape(via_host), lport,
                                        re.escape(src), sport,
                                        re.escape(dst), dport), m)
    d.log.wait(r'^Connection from %s port %d on %s port %d rdomain ""$'
               % (re.escape(src), sport, re.escape(dst), dport), m)
    d.log.wait(r'^Accepted publickey for %s from %s port %d ssh2: ED25519 '
               % (J.USER, re.escape(src), sport), m)
    echo(c, t)
    t.close()
    d.log.wait(r'^Connection closed by %s port %d$|^Read error from remote '
               r'host %s port %d' % (re.escape(src), sport,
                                     re.escape(src), sport), m)
    assert not d.log.has(r'^Accepted publickey for \S+ from (127\.0\.0\.1|'
                         r'::1) ', m)


def audit_events(c, event, port):
    out = []
    try:
        with open(c.audit) as f:
            for line in f:
                ev = json.loads(line)
                if ev['event'] == event and ev['client_port'] == port:
                    out.append(ev)
    except FileNotFoundError:
        pass
    return out


def t_v1_tcp4(c):
    m = c.d.mark()
    t, lport = via(c.d, c.key, v1('203.0.113.7', 4711))
    carried(c, t, lport, m, '203.0.113.7', 4711, '192.0.2.10', 2222, 1)
    # the audit log names the client, and the proxy as via
    J.wait_until(lambda: audit_events(c, 'channel.close', 4711), T(30),
                 'channel.close in the audit log')
    for event in ('auth.success', 'channel.open', 'channel.close'):
        ev = audit_events(c, event, 4711)
        assert len(ev) == 1, (event, ev)
        ev = ev[0]
        assert (ev['client_addr'], ev['via_addr'], ev['via_port']) == \
            ('203.0.113.7', '127.0.0.1', lport), ev


def t_v1_tcp6(c):
    m = c.d.mark()
    hdr = v1('2001:db8::7', 4712, '2001:db8::1', 22, 'TCP6')
    t, lport = via(c.d, c.key, hdr, host='::1')
    carried(c, t, lport, m, '2001:db8::7', 4712, '2001:db8::1', 22, 1,
            via_host='::1')


def t_v2_tcp4(c):
    m = c.d.mark()
    # a NOOP and an AUTHORITY TLV, skipped
    hdr = v2('203.0.113.8', 4713, tlvs=b'\x04\x00\x02ab\x02\x00\x03xyz')
    t, lport = via(c.d, c.key, hdr, mode='before')
    carried(c, t, lport, m, '203.0.113.8', 4713, '192.0.2.10', 2222, 2)


def t_v2_tcp6(c):
    m = c.d.mark()
    hdr = v2('2001:db8::8', 4714, '2001:db8::1', 22)
    t, lport = via(c.d, c.key, hdr)
    carried(c, t, lport, m, '2001:db8::8', 4714, '2001:db8::1', 22, 2)


def t_local(c):
    d = c.d
    for hdr, v, word in ((SIG + b'\x20\x00\x00\x00', 2, 'LOCAL'),
                         (b'PROXY UNKNOWN\r\n', 1, 'UNKNOWN')):
        m = d.mark()
        t, lport = via(d, c.key, hdr)
        try:
            d.log.wait(r'^PROXY v%d %s header from 127\.0\.0\.1 port %d: '
                       r'keeping the connection\'s addresses$'
                       % (v, word, lport), m)
            d.log.wait(r'^Connection from 127\.0\.0\.1 port %d on '
                       r'127\.0\.0\.1 port %d rdomain ""$' % (lport, d.port),
                       m)
            d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port '
                       r'%d ' % (J.USER, lport), m)
            echo(c, t)
        finally:
            t.close()


def t_split(c):
    m = c.d.mark()
    hdr = v2('203.0.113.9', 4715)
    pieces = [hdr[:1], hdr[1:5], hdr[5:13], hdr[13:16], hdr[16:20],
              hdr[20:]]
    t, lport = via(c.d, c.key, hdr, mode='split', pieces=pieces)
    carried(c, t, lport, m, '203.0.113.9', 4715, '192.0.2.10', 2222, 2)
    m = c.d.mark()
    hdr = v1('203.0.113.10', 4716)
    pieces = [hdr[:3], hdr[3:11], hdr[11:-1], hdr[-1:]]
    t, lport = via(c.d, c.key, hdr, mode='split', pieces=pieces)
    carried(c, t, lport, m, '203.0.113.10', 4716, '192.0.2.10', 2222, 1)


def t_from(c):
    import paramiko
    d = c.d
    m = d.mark()
    t, lport = via(d, c.key, v1('192.0.2.99', 4717), auth=False)
    try:
        try:
            t.auth_publickey(J.USER, c.key.paramiko())
            raise AssertionError('from= let a carried 192.0.2.99 in')
        except paramiko.AuthenticationException:
            pass
        d.log.wait(r'Authentication tried for %s with correct key but not '
                   r'from a permitted host \(host=192\.0\.2\.99, '
                   r'ip=192\.0\.2\.99' % J.USER, m)
        assert not d.log.has(r'^Accepted publickey', m)
    finally:
        t.close()


def t_match_address(c):
    import paramiko
    d = c.d
    m = d.mark()
    t, lport = via(d, c.key, v2('198.51.100.9', 4718))
    try:
        d.log.wait(r'^Accepted publickey for %s from 198\.51\.100\.9 port '
                   r'4718 ' % J.USER, m)
        try:
            t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                           ('127.0.0.1', 1), timeout=T(60))
            raise AssertionError('Match Address 198.51.100.0/24 '
                                 '(AllowTcpForwarding no) not applied')
        except paramiko.ChannelException:
            pass
        d.log.wait(r'^refused local port forward: originator 127\.0\.0\.1 '
                   r'port 1, target 127\.0\.0\.1 port %d$' % c.echo.port, m)
    finally:
        t.close()


def greeting(s):
    data = b''
    while not data.endswith(b'\n'):
        b = s.recv(256)
        if not b:
            break
        data += b
    return data


def t_per_source(c):
    d = c.src
    m = d.mark()
    held = []
    try:
        for src in ('203.0.113.20', '203.0.113.21'):
            s, _ = raw(d)
            held.append(s)
            s.sendall(v1(src, 5000))
            assert greeting(s).startswith(b'SSH-2.0-'), \
                'a first connection for %s was not greeted' % src
        s, _ = raw(d)
        held.append(s)
        s.sendall(v1('203.0.113.20', 5001))
        got = greeting(s)
        assert got == b'Exceeded MaxStartups\r\n', \
            'second startup of 203.0.113.20 not dropped: %r' % got
        d.log.wait(r'^drop connection #2 from \[203\.0\.113\.20\]:5001 on '
                   r'\[192\.0\.2\.10\]:2222 past MaxStartups$', m)
    finally:
        for s in held:
            s.close()


def t_timeout(c):
    d = c.d
    m = d.mark()
    s, lport = raw(d)
    s.sendall(b'PROXY TCP4 203.0.113.7')
    closed_silently(s)
    d.log.wait(REFUSED % (r'127\.0\.0\.1', lport,
                          'no complete header within 10 seconds'), m)
    assert not d.log.has(r'^Connection from 127\.0\.0\.1 port %d' % lport, m)


def t_trusted_garbage(c):
    import paramiko
    d = c.d
    cases = [
        (b'SSH-2.0-OpenSSH_9.2\r\n', 'bad header: not a PROXY header'),
        (b'GET / HTTP/1.0\r\n\r\n', 'bad header: not a PROXY header'),
        (SIG + b'\x21\x11\xff\xff', 'bad header: v2: longer than 232 bytes'),
        (SIG + b'\x21\x31\x00\xd8' + bytes(216),
         'bad header: v2: AF_UNIX addresses'),
        (SIG + b'\x11\x11\x00\x0c' + bytes(12),
         'bad header: v2: version is not 2'),
        (v1('203.0.113.7', 4711)[:-4] + b'99999\r\n',
         'bad header: v1: bad destination port'),
        (b'PROXY TCP4  203.0.113.7 192.0.2.10 1 2\r\n',
         'bad header: v1: not single spaces'),
        (b'PROXY UNKNOWN ' + b'x' * 100,
         'bad header: v1: no CRLF within 107 bytes'),
        (b'', 'closed before sending a header'),
    ]
    for data, why in cases:
        m = d.mark()
        s, lport = raw(d)
        if data:
            s.sendall(data)
        else:
            s.shutdown(socket.SHUT_WR)
        closed_silently(s)
        d.log.wait(REFUSED % (r'127\.0\.0\.1', lport, re.escape(why)), m)
        said = [ln for ln in d.log.since(m) if not ln.startswith('debug')
                and '127.0.0.1 port %d' % lport in ln]
        assert len(said) == 1, 'not one line for %r: %r' % (data, said)
    # and a whole plain client
    m = d.mark()
    try:
        t, lport = J.paramiko_connect(d, c.key)
        t.close()
        raise AssertionError('a plain client from a trusted proxy address '
                             'was served')
    except (paramiko.SSHException, EOFError, OSError):
        pass
    d.log.wait(REFUSED % (r'127\.0\.0\.1', r'\d+',
                          'bad header: not a PROXY header'), m)


def t_untrusted_header(c):
    d = c.u
    for hdr, v in ((v1('203.0.113.7', 4711), 1),
                   (v2('203.0.113.7', 4711), 2)):
        m = d.mark()
        s, lport = raw(d)
        # our banner is not held back waiting for the client
        assert greeting(s).startswith(b'SSH-2.0-')
        # libssh sends the banner and reads in one step: a header that
        # lands within that step is refused as a bad SSH banner instead
        # (closed too, but not with this line); let the step end
        time.sleep(0.2)
        s.sendall(hdr)
        s.settimeout(T(60))
        try:
            rest = s.recv(65536)
            while rest:
                rest = s.recv(65536)
        except ConnectionResetError:
            pass
        s.close()
        d.log.wait(REFUSED % (r'127\.0\.0\.1', lport,
                              'a v%d header, but ProxyProtocolFrom does not '
                              'list this address' % v), m)
        assert not d.log.has(r'203\.0\.113\.7', m)


def t_untrusted_plain(c):
    d = c.u
    m = d.mark()
    t, lport = J.paramiko_connect(d, c.key)
    try:
        d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port %d '
                   % (J.USER, lport), m)
        echo(c, t)
    finally:
        t.close()
    assert not d.log.has(r'^Refused connection', m)


if __name__ == '__main__':
    J.main('PROXY protocol', setup, [
        ('v1 TCP4 with the SSH banner in the same segment', t_v1_tcp4),
        ('v1 TCP6 over ::1', t_v1_tcp6),
        ('v2 TCP4 with TLVs, sent on its own', t_v2_tcp4),
        ('v2 TCP6', t_v2_tcp6),
        ('v2 LOCAL and v1 UNKNOWN keep the real addresses', t_local),
        ('a header split across sends', t_split),
        ('from= sees the carried address', t_from),
        ('Match Address sees the carried address', t_match_address),
        ('PerSourceMaxStartups counts the carried client', t_per_source),
        ('a partial header times out without a banner', t_timeout),
        ('anything but a good header from a trusted source',
         t_trusted_garbage),
        ('a header from an untrusted source', t_untrusted_header),
        ('a plain client from an untrusted source', t_untrusted_plain),
    ])
