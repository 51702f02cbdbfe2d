#!/usr/bin/python3
"""Real clients forwarding through jumpgate (test area a).

Why: jumpgate exists to serve what `ssh -L/-D/-W/-J` and other SSH clients
send (direct-tcpip).  Each client implementation builds its channel-open
slightly differently (originator fields, window sizes, EOF handling), so
each is driven for real and the bytes are checked end to end.

Checks:
  * ssh -L: 8 MiB each way at once to a duplex target, sha256 both ways;
    the daemon logs the real originator (our local socket's address/port).
  * the DEBUG3 log sequence of one open, in sshd's order and wording
    (paramiko with originator ('10.1.2.3', 4567), window 1000000, max
    packet 20000), including "Accepted publickey ... ED25519 SHA256:..."
    and the teardown packets 96/97.
  * ssh -D: curl --socks5-hostname to a small Python HTTP server (by IP and
    by the name "localhost", which the daemon must resolve), and
    ncat --proxy-type socks4 to an echo target.
  * ssh -W to an echo target (originator 127.0.0.1 port 65535 in the log).
  * ssh -J through jumpgate to a real OpenSSH sshd started here, running
    `echo hello` on it (needs root for sshd; skipped otherwise).
  * PuTTY plink -nc, dropbear dbclient -B, asyncssh open_connection.
  * IPv6: the daemon listens on ::1 too; ssh to ::1 with -W [::1]:port.
"""

import asyncio
import http.server
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


HTTP_BODY = J.pattern_bytes(77, 1 << 20)


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(HTTP_BODY)))
        self.end_headers()
        self.wfile.write(HTTP_BODY)

    def log_message(self, *a):
        pass


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env, listen=('127.0.0.1', '::1')).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.echo6 = c.closing(J.Target(J.echo_handler, host='::1', name='echo6'))
    c.http = http.server.ThreadingHTTPServer(('127.0.0.1', 0), HTTPHandler)
    c.http.daemon_threads = True
    threading.Thread(target=c.http.serve_forever, daemon=True).start()
    c.closing(type('H', (), {'close': lambda self: c.http.shutdown()})())
    return c


def t_ssh_L(c):
    pat_up, pat_down = J.Pattern(1, 8 << 20), J.Pattern(2, 8 << 20)
    tgt = J.Target(J.duplex_handler(pat_down), name='duplex')
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    try:
        m = c.d.mark()
        s = J.connect_local(lport)
        origin_port = s.getsockname()[1]
        n, hx = J.tcp_duplex(s, pat_up)
        s.close()
        conn = tgt.wait_done(1)[0]
        assert (n, hx) == (pat_down.n, pat_down.sha256()), \
            'client received %d bytes sha %s, target sent %d sha %s' % (
                n, hx, pat_down.n, pat_down.sha256())
        assert (conn.received, conn.received_sha) == \
            (pat_up.n, pat_up.sha256()), \
            'target received %d bytes sha %s, client sent %d sha %s' % (
                conn.received, conn.received_sha, pat_up.n, pat_up.sha256())
        c.d.log.wait(r'server_request_direct_tcpip: originator 127\.0\.0\.1 '
                     r'port %d, target 127\.0\.0\.1 port %d$'
                     % (origin_port, tgt.port), m)
        assert fwd.running(), 'ssh -L exited: ' + fwd.stderr_text()
    finally:
        fwd.stop()
        tgt.close()


def t_log_sequence(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key)
    try:
        c.d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port %d '
                     r'ssh2: ED25519 %s$' % (J.USER, lport,
                                             re.escape(c.key.fingerprint)), m)
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('10.1.2.3', 4567), window_size=1000000,
                            max_packet_size=20000, timeout=T(60))
        rchan = ch.get_id()
        # informational: sshd confirms with window 2097152, max packet 32768
        print('#   confirmation: window %d, max packet %d'
              % (ch.out_window_size, ch.out_max_packet_size))
        ch.sendall(b'hello through jumpgate\n')
        ch.shutdown_write()
        got = J.chan_recv_all(ch)
        assert got == b'hello through jumpgate\n', got
        ch.close()
        ms = c.d.log.in_order([
            r'^receive packet: type 90$',
            r'^server_input_channel_open: ctype direct-tcpip rchan %d '
            r'win 1000000 max 20000$' % rchan,
            r'^server_request_direct_tcpip: originator 10\.1\.2\.3 port 4567, '
            r'target 127\.0\.0\.1 port %d$' % c.echo.port,
            r'^connect_next: start for host 127\.0\.0\.1 '
            r'\(\[127\.0\.0\.1\]:%d\)' % c.echo.port,
            r'^channel (\d+): new direct-tcpip \[direct-tcpip\]',
            r'^channel (\d+): connected to 127\.0\.0\.1 port %d$'
            % c.echo.port,
            r'^send packet: type 91$',
        ], m)
        assert ms[4].group(1) == ms[5].group(1), \
            'channel ids differ: %s vs %s' % (ms[4].group(0), ms[5].group(0))
        c.d.log.wait(r'^send packet: type 96$', m)
        c.d.log.wait(r'^send packet: type 97$', m)
    finally:
        t.close()


def t_ssh_D_curl(c):
    J.need('curl')
    sport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d, ['-D', '127.0.0.1:%d' % sport])
    try:
        hport = c.http.server_address[1]
        for host in ('127.0.0.1', 'localhost'):
            m = c.d.mark()
            r = J.run(['curl', '-sS', '--max-time', str(int(T(60))),
                       '--socks5-hostname', '127.0.0.1:%d' % sport,
                       'http://%s:%d/blob' % (host, hport)], env=c.env)
            assert r.rc == 0, r
            assert J.sha(r.out) == J.sha(HTTP_BODY), \
                'curl via %s: got %d bytes, sha mismatch' % (host, len(r.out))
            c.d.log.wait(r'server_request_direct_tcpip: originator '
                         r'127\.0\.0\.1 port \d+, target %s port %d$'
                         % (re.escape(host), hport), m)
            c.d.log.wait(r'^connect_next: start for host %s '
                         r'\(\[127\.0\.0\.1\]:%d\)' % (re.escape(host), hport),
                         m)
        assert fwd.running(), fwd.stderr_text()
    finally:
        fwd.stop()


def t_ssh_D_ncat_socks4(c):
    J.need('ncat')
    sport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d, ['-D', '127.0.0.1:%d' % sport])
    try:
        data = J.pattern_bytes(5, 300000)
        r = J.run(['ncat', '--proxy', '127.0.0.1:%d' % sport,
                   '--proxy-type', 'socks4', '127.0.0.1', str(c.echo.port)],
                  input=data, env=c.env)
        assert r.rc == 0, r
        assert r.out == data, 'ncat: %d bytes back, expected %d' % (
            len(r.out), len(data))
    finally:
        fwd.stop()


def t_ssh_W(c):
    m = c.d.mark()
    data = b''.join(b'line %d through -W\n' % i for i in range(1000))
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port), input=data,
              env=c.env)
    assert r.rc == 0, r
    assert r.out == data, 'ssh -W: %d bytes back, expected %d\n%r' % (
        len(r.out), len(data), r)
    c.d.log.wait(r'server_request_direct_tcpip: originator 127\.0\.0\.1 '
                 r'port 65535, target 127\.0\.0\.1 port %d$' % c.echo.port, m)


def t_ssh_J(c):
    farkey = c.env.key('far')
    sshd, sport = J.start_sshd(c.env, farkey)
    try:
        cfg = J.jump_config(c.env, c.d, J.USER, c.key, sport, farkey)
        m = c.d.mark()
        r = J.run([J.SSH, '-F', cfg, 'far', 'echo', 'hello'], env=c.env)
        assert r.rc == 0 and r.out == b'hello\n', r
        c.d.log.wait(r'server_request_direct_tcpip: originator 127\.0\.0\.1 '
                     r'port 65535, target 127\.0\.0\.1 port %d$' % sport, m)
        c.d.log.wait(r'^channel \d+: connected to 127\.0\.0\.1 port %d$'
                     % sport, m)
        assert re.search(r'Accepted publickey for root from 127\.0\.0\.1',
                         sshd.stderr_text()), sshd.stderr_text()
    finally:
        sshd.stop()


def t_plink(c):
    J.need('plink', 'puttygen')
    data = J.pattern_bytes(6, 200000)
    r = J.run(['plink', '-batch', '-ssh', '-noagent', '-P', str(c.d.port),
               '-i', c.key.ppk(), '-hostkey', c.d.hostkey.fingerprint,
               '-nc', '127.0.0.1:%d' % c.echo.port,
               '%s@127.0.0.1' % J.USER], input=data, env=c.env)
    assert r.out == data, 'plink: %d bytes back, expected %d\n%r' % (
        len(r.out), len(data), r)
    assert r.rc == 0, r


def t_dbclient(c):
    J.need('dbclient', 'dropbearconvert')
    data = J.pattern_bytes(7, 200000)
    r = J.run(['dbclient', '-y', '-y', '-i', c.key.dropbear(),
               '-p', str(c.d.port), '-B', '127.0.0.1:%d' % c.echo.port,
               '%s@127.0.0.1' % J.USER], input=data, env=c.env)
    assert r.out == data, 'dbclient: %d bytes back, expected %d\n%r' % (
        len(r.out), len(data), r)
    assert r.rc == 0, r


def t_paramiko_originator(c):
    m = c.d.mark()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('10.1.2.3', 4567), timeout=T(60))
        data = J.pattern_bytes(8, 3 << 20)     # more than one window
        w = threading.Thread(target=lambda: (ch.sendall(data),
                                             ch.shutdown_write()))
        w.start()
        got = J.chan_recv_all(ch)
        w.join()
        assert got == data, 'paramiko: %d bytes back, expected %d' % (
            len(got), len(data))
        c.d.log.wait(r'server_request_direct_tcpip: originator 10\.1\.2\.3 '
                     r'port 4567, target 127\.0\.0\.1 port %d$'
                     % c.echo.port, m)
    finally:
        t.close()


def t_asyncssh(c):
    try:
        import asyncssh
    except ImportError:
        raise J.Skip('python3-asyncssh is not installed')
    data = J.pattern_bytes(9, 500000)

    async def go():
        async with asyncssh.connect(
                '127.0.0.1', c.d.port, username=J.USER,
                client_keys=[c.key.path], known_hosts=None, agent_path=None,
                config=None) as conn:
            reader, writer = await conn.open_connection('127.0.0.1',
                                                        c.echo.port)
            writer.write(data)
            writer.write_eof()
            got = await reader.read()
            writer.close()
            return got

    got = asyncio.run(asyncio.wait_for(go(), T(120)))
    assert got == data, 'asyncssh: %d bytes back, expected %d' % (
        len(got), len(data))


def t_ipv6(c):
    m = c.d.mark()
    data = b'over IPv6 both hops\n' * 100
    r = J.run(J.ssh_w_args(c.key, c.d, '::1', c.echo6.port, host='::1'),
              input=data, env=c.env)
    assert r.rc == 0, r
    assert r.out == data, r
    c.d.log.wait(r'^Accepted publickey for %s from ::1 port \d+ ssh2: '
                 r'ED25519 %s$' % (J.USER, re.escape(c.key.fingerprint)), m)
    c.d.log.wait(r'server_request_direct_tcpip: originator \S+ port \d+, '
                 r'target ::1 port %d$' % c.echo6.port, m)
    c.d.log.wait(r'^channel \d+: connected to ::1 port %d$' % c.echo6.port, m)
    conn = c.echo6.wait_done(1)[0]
    assert conn.peer[0] == '::1', conn.peer


def t_still_serving(c):
    """After all of the above the daemon still answers a fresh client."""
    c.d.assert_alive()
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=b'ping\n', env=c.env)
    assert r.rc == 0 and r.out == b'ping\n', r


if __name__ == '__main__':
    J.main('clients (ssh -L/-D/-W/-J, plink, dbclient, paramiko, asyncssh, '
           'IPv6)', setup, [
               ('ssh -L: 8 MiB each way, sha256, real originator', t_ssh_L),
               ('DEBUG3 log sequence of one open and its teardown',
                t_log_sequence),
               ('ssh -D + curl --socks5-hostname (IP and localhost)',
                t_ssh_D_curl),
               ('ssh -D + ncat --proxy-type socks4', t_ssh_D_ncat_socks4),
               ('ssh -W to echo', t_ssh_W),
               ('ssh -J through jumpgate to a real sshd', t_ssh_J),
               ('plink -nc', t_plink),
               ('dbclient -B', t_dbclient),
               ('paramiko direct-tcpip with originator 10.1.2.3:4567',
                t_paramiko_originator),
               ('asyncssh open_connection', t_asyncssh),
               ('IPv6 listener and target on ::1', t_ipv6),
               ('daemon still serving', t_still_serving),
           ])
