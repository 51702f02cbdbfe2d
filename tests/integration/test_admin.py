#!/usr/bin/python3
"""The admin listener (AdminListen, AdminSocket) and `jumpgate ctl`.

Why: an operator scrapes and probes the gateway (Prometheus, Kubernetes)
and must be able to see who is connected to what and cut one session or
one channel, without the admin side ever stalling forwarding or letting
anyone but root (or the daemon's own user) close anything.

Checks:
  * /metrics scraped with curl parses as Prometheus text under a strict
    parser (sample lines, HELP/TYPE before samples, histogram buckets
    cumulative with +Inf equal to _count); after one real forward of N
    bytes each way, connections_total and channels_total grew by one and
    bytes_total up and down by at least N.
  * /healthz 200 "ok", /readyz 200 "ready", HEAD works.
  * PUT/DELETE/POST on a GET path: 405 with Allow; GET on a close path:
    405 Allow: POST; an unknown path: 404; POST on TCP: 403 "use
    AdminSocket"; a header over the 8 KiB limit is refused.
  * an admin client that connects and sends nothing (and one that sends
    half a request line) does not stall forwarding: a forward completes
    and other admin requests are answered meanwhile.
  * at 64 connections on a listener the daemon says so and stops
    accepting there (the backlog waits, forwarding goes on); a request
    queued meanwhile is answered once the idle ones are gone.
  * clients that hang up right after asking for /sessions or a close
    leave the daemon serving (and, under ASan, leak nothing).
  * /sessions shows a live ssh -L session: user, key type and the SHA256
    fingerprint ssh-keygen prints, client address and port, start time
    (RFC 3339 UTC), its channel's target, connected address, bytes each
    way and age; `jumpgate ctl sessions` prints it as a table, --json as
    the same JSON.
  * through a trusted PROXY protocol source, /sessions gives the client
    the header carried and names the proxy as "via".
  * `ctl close-channel` ends that channel only: the client's connection
    through -L sees EOF, the log says "closed by admin request (uid 0)",
    the session lives on and a new channel through it works.
  * `ctl close-session` ends the session: sshd-style "Disconnecting user
    alice ... closed by admin request (uid 0)", ssh exits, /sessions no
    longer lists it; closing it again is a 404.
  * as `nobody`: with the socket's mode 0600, ctl cannot connect; with
    the mode opened (0666), the daemon still refuses: 403, and a log line
    naming uid 65534.
  * ctl against a missing socket, or a config without AdminSocket, fails
    with a clear message and status 1.
  * AdminSocket's path: a regular file there, or a socket a process still
    answers on, stops start-up with a message; a stale socket file (its
    process gone) is replaced.  SIGHUP with a new AdminListen says it
    takes effect at restart, and the old one keeps serving.
  * /readyz flips to 503 "not ready: draining" on SIGTERM while a channel
    keeps the daemon draining (ShutdownGraceTime 60); /healthz stays 200.
  * SIGTERM (ShutdownGraceTime 0) while clients keep asking for /sessions
    and closes over both sockets: the daemon exits 0, and under ASan with
    no report (jobs still queued on stopping workers, requests waiting
    for an answer at exit).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

RFC3339 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')


# -------------------------------------------------------------------------
# Prometheus text format 0.0.4, strictly

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
SAMPLE_RX = re.compile(r'^(%s)(?:\{(.*)\})? (\S+)$' % NAME)
LABEL_RX = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


def parse_labels(s):
    out = {}
    pos = 0
    while pos < len(s):
        m = LABEL_RX.match(s, pos)
        assert m, 'bad labels %r' % s
        assert m.group(1) not in out, 'label twice in %r' % s
        out[m.group(1)] = m.group(2)
        pos = m.end()
        if pos < len(s):
            assert s[pos] == ',', 'bad labels %r' % s
            pos += 1
    return out


def parse_value(v):
    if v in ('+Inf', '-Inf', 'NaN'):
        return float(v.replace('Inf', 'inf').replace('NaN', 'nan'))
    assert re.match(r'^-?\d+(\.\d+)?([eE][-+]?\d+)?$', v), 'value %r' % v
    return float(v)


def parse_prom(text):
    """{(name, frozenset(labels)): value}; asserts on any malformation."""
    assert text.endswith('\n'), 'no final newline'
    types, helps, samples = {}, set(), {}
    for ln in text.split('\n')[:-1]:
        if ln.startswith('# HELP '):
            name = ln[7:].split(' ', 1)[0]
            assert re.match('^%s$' % NAME, name), ln
            assert name not in helps, 'HELP twice: ' + ln
            helps.add(name)
            continue
        if ln.startswith('# TYPE '):
            parts = ln[7:].split(' ')
            assert len(parts) == 2 and parts[1] in TYPES, ln
            assert parts[0] not in types, 'TYPE twice: ' + ln
            types[parts[0]] = parts[1]
            continue
        assert not ln.startswith('#') and ln.strip() == ln and ln, \
            'stray line %r' % ln
        m = SAMPLE_RX.match(ln)
        assert m, 'not a sample line: %r' % ln
        name, labels = m.group(1), parse_labels(m.group(2) or '')
        family = name
        for suf in ('_bucket', '_sum', '_count'):
            if name.endswith(suf) and types.get(name[:-len(suf)]) == \
                    'histogram':
                family = name[:-len(suf)]
        assert family in types, 'sample before its TYPE: %r' % ln
        if types[family] == 'histogram':
            assert name != family, 'bare histogram sample %r' % ln
            assert ('le' in labels) == name.endswith('_bucket'), ln
        key = (name, frozenset(labels.items()))
        assert key not in samples, 'sample twice: %r' % ln
        samples[key] = parse_value(m.group(3))
    for family, t in types.items():
        if t != 'histogram':
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name != family + '_bucket':
                continue
            d = dict(labels)
            le = d.pop('le')
            series.setdefault(frozenset(d.items()), []).append(
                (parse_value(le), v))
        assert series, 'histogram %s has no buckets' % family
        for rest, buckets in series.items():
            buckets.sort()
            vals = [v for _, v in buckets]
            assert vals == sorted(vals), '%s not cumulative' % family
            assert buckets[-1][0] == float('inf'), '%s: no +Inf' % family
            count = samples.get((family + '_count', rest))
            assert count is not None, '%s: no _count' % family
            assert buckets[-1][1] == count, '%s: +Inf != _count' % family
            assert (family + '_sum', rest) in samples, family
    return samples


def metric(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


# -------------------------------------------------------------------------
# HTTP over TCP or the Unix socket, by hand: we want to see exactly what
# the server sends, including for requests curl would not make.

def http(c, method, path, headers=(), unix=False, raw=None):
    """(status, {header: value}, body); status 0 if the server closed
    without an answer."""
    if unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(c.sock)
    else:
        s = socket.create_connection(('127.0.0.1', c.aport))
    s.settimeout(T(30))
    req = raw if raw is not None else (
        '%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s'
        'Content-Length: 0\r\n\r\n' % (method, path, ''.join(
            '%s: %s\r\n' % h for h in headers))).encode()
    try:
        s.sendall(req)
        data = b''
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except ConnectionResetError:
        data = b''
    finally:
        s.close()
    if not data:
        return 0, {}, b''
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(':')
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def curl_metrics(c):
    r = J.run(['curl', '-sS', '-f', '-D', c.env.path('curl.hdr'),
               'http://127.0.0.1:%d/metrics' % c.aport], timeout=T(30))
    assert r.rc == 0, r
    with open(c.env.path('curl.hdr')) as f:
        hdr = f.read().lower()
    assert 'content-type: text/plain; version=0.0.4' in hdr, hdr
    return parse_prom(r.out.decode())


def ctl(c, *args, sock=None, user=None):
    cmd = [J.daemon_path(), 'ctl']
    cmd += ['-S', sock] if sock else ['-f', c.d.conf]
    cmd += list(args)
    if user:
        cmd = ['setpriv', '--reuid=%s' % user, '--regid=nogroup',
               '--clear-groups'] + cmd
    return J.run(cmd, timeout=T(60))


def fingerprint(key):
    r = J.run([J.SSH_KEYGEN, '-lf', key.path + '.pub'])
    return r.out.decode().split()[1]


def sessions(c):
    st, _, body = http(c, 'GET', '/sessions')
    assert st == 200, (st, body)
    return json.loads(body.decode())['sessions']


# -------------------------------------------------------------------------

def setup(env, r):
    J.need('curl', 'setpriv')
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.aport = J.free_port()
    c.sock = env.path('admin.sock')
    c.d = r.watch(J.Daemon(env, name='admin', extra='Workers 2\n'
                           'AdminListen %d\nAdminSocket %s'
                           % (c.aport, c.sock)).start())
    c.d.log.wait(r'^Admin listening on %s\.$' % re.escape(c.sock))
    # ready once the workers run, a moment after "Server listening"
    J.wait_until(lambda: http(c, 'GET', '/readyz')[0] == 200, T(30),
                 '/readyz 200')
    return c


def forward(c, n, seed=1):
    """One ssh -W through the echo target: n bytes each way."""
    p = J.Pattern(seed, n)
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=p.bytes(), timeout=T(120))
    assert r.rc == 0 and J.sha(r.out) == p.sha256(), r
    return p


def t_probes(c):
    assert http(c, 'GET', '/healthz')[::2] == (200, b'ok\n')
    assert http(c, 'GET', '/readyz')[::2] == (200, b'ready\n')
    st, hdrs, body = http(c, 'HEAD', '/healthz')
    assert (st, body) == (200, b''), (st, body)
    # the Unix socket serves GET too
    assert http(c, 'GET', '/healthz', unix=True)[::2] == (200, b'ok\n')


def t_metrics(c):
    before = curl_metrics(c)
    n = 300000
    forward(c, n)
    want = {'jumpgate_connections_total': 1, 'jumpgate_channels_total': 1}

    def moved():
        after = curl_metrics(c)
        for name, d in want.items():
            if metric(after, name) < metric(before, name) + d:
                return False
        for direction in ('up', 'down'):
            if metric(after, 'jumpgate_bytes_total', direction=direction) \
                    < metric(before, 'jumpgate_bytes_total',
                             direction=direction) + n:
                return False
        return True
    J.wait_until(moved, T(30), 'counters to move after one forward')


def t_methods(c):
    for m in ('PUT', 'DELETE', 'POST'):
        st, h, _ = http(c, m, '/metrics')
        assert st == 405 and h.get('allow') == 'GET, HEAD', (m, st, h)
    st, h, _ = http(c, 'GET', '/sessions/1/close')
    assert st == 405 and h.get('allow') == 'POST', (st, h)
    st, h, _ = http(c, 'DELETE', '/sessions/1/channels/0/close', unix=True)
    assert st == 405 and h.get('allow') == 'POST', (st, h)
    for p in ('/', '/nope', '/metrics/x', '/sessions/x/close',
              '/sessions/1/close/x', '/sessions/-1/close'):
        assert http(c, 'GET', p)[0] == 404, p
    st, _, body = http(c, 'POST', '/sessions/1/close')
    assert (st, body) == (403, b'use AdminSocket\n'), (st, body)
    st, _, body = http(c, 'POST', '/sessions/1/channels/0/close')
    assert st == 403, st


def t_header_limit(c):
    st, _, _ = http(c, 'GET', '/healthz', headers=[('X-Big', 'a' * 16384)])
    assert st in (0, 400, 413, 431), st
    # a large body on a close path is refused as well
    raw = (b'POST /sessions/1/close HTTP/1.1\r\nHost: x\r\n'
           b'Content-Length: 100000\r\n\r\n' + b'x' * 100000)
    st, _, _ = http(c, None, None, unix=True, raw=raw)
    assert st in (0, 400, 413), st
    assert http(c, 'GET', '/healthz')[0] == 200


def t_slow_client(c):
    idle = socket.create_connection(('127.0.0.1', c.aport))
    half = socket.create_connection(('127.0.0.1', c.aport))
    half.sendall(b'GET /metr')
    usock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    usock.connect(c.sock)
    try:
        forward(c, 100000, seed=2)
        assert http(c, 'GET', '/healthz')[0] == 200
        assert http(c, 'GET', '/sessions', unix=True)[0] == 200
    finally:
        for s in (idle, half, usock):
            s.close()


def t_conn_cap(c):
    m = c.d.mark()
    idle = []
    try:
        for _ in range(64):
            idle.append(socket.create_connection(('127.0.0.1', c.aport)))
        c.d.log.wait(r'admin_on_bev: 64 admin connections on AdminListen: '
                     r'accepting more when one closes$', m)
        waiting = socket.create_connection(('127.0.0.1', c.aport))
        waiting.settimeout(T(30))
        waiting.sendall(b'GET /healthz HTTP/1.0\r\n\r\n')
        forward(c, 10000, seed=3)
        # the Unix socket has its own count
        assert http(c, 'GET', '/healthz', unix=True)[0] == 200
        # a whole forward later, the queued request is still unanswered
        waiting.setblocking(False)
        try:
            early = waiting.recv(100)
        except BlockingIOError:
            early = None
        assert early is None, 'answered while at the cap: %r' % early
        waiting.settimeout(T(30))
    finally:
        for s in idle:
            s.close()
    data = b''
    while True:
        b = waiting.recv(65536)
        if not b:
            break
        data += b
    waiting.close()
    assert data.startswith(b'HTTP/1.0 200 OK') and data.endswith(b'ok\n'), \
        data


def t_hangups(c):
    for i in range(100):
        if i % 2:
            s = socket.create_connection(('127.0.0.1', c.aport))
            s.sendall(b'GET /sessions HTTP/1.1\r\nHost: x\r\n\r\n')
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(c.sock)
            s.sendall(b'POST /sessions/99999/close HTTP/1.0\r\n\r\n')
        s.close()
    # a pipelined request behind a pending /sessions
    s = socket.create_connection(('127.0.0.1', c.aport))
    s.sendall(b'GET /sessions HTTP/1.1\r\nHost: x\r\n\r\n')
    s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close'
              b'\r\n\r\n')
    s.settimeout(T(30))
    data = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    assert data.count(b'HTTP/1.1 200 OK') == 2, data
    c.d.assert_alive()
    assert http(c, 'GET', '/healthz')[0] == 200


class Live:
    """An ssh -L session with one channel open through it to echo."""

    def __init__(self, c):
        self.lport = J.free_port()
        self.ssh = J.SshForward(c.env, c.key, c.d, [
            '-L', '%d:127.0.0.1:%d' % (self.lport, c.echo.port)])
        self.conn = J.connect_local(self.lport)
        self.conn.settimeout(T(30))
        self.data = J.pattern_bytes(5, 4000)
        self.conn.sendall(self.data)
        got = b''
        while len(got) < len(self.data):
            b = self.conn.recv(65536)
            assert b, 'echo closed early'
            got += b
        assert got == self.data
        self.lclient = None

    def session(self, c):
        for s in sessions(c):
            if s['user'] == J.USER and s['channels'] and \
                    s['channels'][0]['port'] == c.echo.port:
                return s
        return None

    def close(self):
        self.conn.close()
        self.ssh.stop()


def t_sessions(c):
    live = c.live = Live(c)
    s = None

    def found():
        nonlocal s
        s = live.session(c)
        return s is not None and s['channels'][0]['bytes_down'] >= 4000
    J.wait_until(found, T(30), 'the session in /sessions')
    assert s['state'] == 'open' and s['key_type'] == 'ED25519', s
    assert s['fingerprint'] == fingerprint(c.key), s
    assert s['address'] == '127.0.0.1' and s['port'] > 0, s
    assert s['via'] is None, s
    assert RFC3339.match(s['started']), s
    ch = s['channels'][0]
    assert ch['state'] == 'open' and ch['host'] == '127.0.0.1', ch
    assert ch['address'] == '127.0.0.1' and \
        ch['address_port'] == c.echo.port, ch
    assert ch['bytes_up'] >= 4000 and ch['bytes_down'] >= 4000, ch
    assert isinstance(ch['age'], int) and ch['age'] >= 0, ch
    c.sid, c.chid = s['id'], ch['id']

    r = ctl(c, 'sessions')
    assert r.rc == 0, r
    out = r.out.decode()
    assert out.startswith('SESSION'), out
    row = [ln for ln in out.splitlines() if ln.split()[:1] == [str(c.sid)]]
    assert row and J.USER in row[0] and fingerprint(c.key) in row[0] and \
        '127.0.0.1:%d' % s['port'] in row[0], out
    assert re.search(r'channel %d open 127\.0\.0\.1:%d -> 127\.0\.0\.1:%d '
                     r'up \d+ down \d+ age \d+s' % (c.chid, c.echo.port,
                                                    c.echo.port), out), out
    r = ctl(c, 'sessions', '--json')
    assert r.rc == 0, r
    ids = [x['id'] for x in json.loads(r.out.decode())['sessions']]
    assert c.sid in ids, ids


def t_sessions_via(c):
    import test_proxy as TP
    aport = J.free_port()
    d = J.Daemon(c.env, name='viaproxy', extra='ProxyProtocolFrom 127.0.0.1'
                 '\nAdminListen %d' % aport).start()
    dc = J.Ctx(env=c.env, aport=aport, sock=None)
    try:
        t, lport = TP.via(d, c.key, TP.v1('203.0.113.7', 4242))
        mine = None

        def found():
            nonlocal mine
            st, _, body = http(dc, 'GET', '/sessions')
            got = [x for x in json.loads(body.decode())['sessions']
                   if x['user'] == J.USER]
            mine = got[0] if got else None
            return mine is not None
        J.wait_until(found, T(30), 'the proxied session in /sessions')
        assert (mine['address'], mine['port'], mine['via'],
                mine['via_port']) == ('203.0.113.7', 4242, '127.0.0.1',
                                      lport), mine
        t.close()
    finally:
        problems = d.stop()
    assert not problems, problems


def t_close_channel(c):
    live = c.live
    m = c.d.mark()
    r = ctl(c, 'close-channel', str(c.sid), str(c.chid))
    assert r.rc == 0 and b'closed channel' in r.out, r
    c.d.log.wait(r'session %d: channel %d: 127\.0\.0\.1 port %d: closed by '
                 r'admin request \(uid 0\)$' % (c.sid, c.chid, c.echo.port),
                 m)
    # the client's connection through -L sees the channel end
    live.conn.settimeout(T(30))
    while True:
        b = live.conn.recv(65536)
        if not b:
            break
    assert live.ssh.running(), 'ssh exited: the session should survive'
    # session() matches only a session with a channel to the echo target
    J.wait_until(lambda: live.session(c) is None, T(30), 'channel gone')
    assert any(s['id'] == c.sid for s in sessions(c))
    # a new channel through the same session works
    s2 = J.connect_local(live.lport)
    s2.settimeout(T(30))
    s2.sendall(b'again')
    assert s2.recv(100) == b'again'
    s2.close()
    r = ctl(c, 'close-channel', str(c.sid), '999')
    assert r.rc == 1 and b'404' in r.err, r


def t_close_session(c):
    live = c.live
    m = c.d.mark()
    r = ctl(c, 'close-session', str(c.sid))
    assert r.rc == 0 and b'closed session %d' % c.sid in r.out, r
    c.d.log.wait(r'^Disconnecting user %s 127\.0\.0\.1 port \d+: closed by '
                 r'admin request \(uid 0\)$' % J.USER, m)
    # ssh exits once its connection is gone
    live.ssh.wait(T(30))
    assert all(s['id'] != c.sid for s in sessions(c))
    r = ctl(c, 'close-session', str(c.sid))
    assert r.rc == 1 and b'404: no session' in r.err, r
    live.close()


def t_nobody(c):
    r = ctl(c, 'sessions', sock=c.sock, user='nobody')
    assert r.rc == 1 and b'Permission denied' in r.err, r
    os.chmod(c.sock, 0o666)
    try:
        m = c.d.mark()
        r = ctl(c, 'close-session', '1', sock=c.sock, user='nobody')
        assert r.rc == 1 and b'403' in r.err, r
        c.d.log.wait(r'POST /sessions/1/close refused: uid 65534 ', m)
        # GET stays open to whoever may connect: the file mode decides
        assert ctl(c, 'sessions', sock=c.sock, user='nobody').rc == 0
    finally:
        os.chmod(c.sock, 0o600)


def t_ctl_errors(c):
    r = ctl(c, 'sessions', sock=c.env.path('nonexistent.sock'))
    assert r.rc == 1 and b'cannot connect to' in r.err and \
        b'No such file or directory' in r.err, r
    conf = c.env.write('noadmin.conf', 'Port 2222\n')
    r = J.run([J.daemon_path(), 'ctl', '-f', conf, 'sessions'])
    assert r.rc == 1 and b'sets no AdminSocket' in r.err, r
    r = J.run([J.daemon_path(), 'ctl', '-S', c.sock, 'close-session', '1x'])
    assert r.rc == 2 and b'usage' in r.err, r


def start_fails(c, name, path, regex):
    d = J.Daemon(c.env, name=name, extra='AdminSocket %s' % path)
    r = J.run([J.daemon_path(), '-f', d.conf, '-e'], timeout=T(60))
    assert r.rc != 0 and re.search(regex, r.err.decode()), r


def t_socket_file(c):
    path = c.env.path('file.sock')
    with open(path, 'w') as f:
        f.write('precious\n')
    start_fails(c, 'plainfile', path,
                r'AdminSocket %s: exists and is not a socket' %
                re.escape(path))
    assert open(path).read() == 'precious\n', 'the file was touched'
    path = c.env.path('live.sock')
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(path)
    other.listen(1)
    try:
        start_fails(c, 'livesock', path,
                    r'AdminSocket %s: in use by another process' %
                    re.escape(path))
    finally:
        other.close()
    # now it is stale: nobody answers on it
    d = J.Daemon(c.env, name='stale', extra='AdminSocket %s' % path).start()
    try:
        d.log.wait(r'^Admin listening on %s\.$' % re.escape(path))
        r = ctl(c, 'sessions', sock=path)
        assert r.rc == 0 and r.out.startswith(b'SESSION'), r
    finally:
        problems = d.stop()
    assert not problems, problems
    assert not os.path.exists(path), 'socket left behind at exit'


def t_reload_restart_only(c):
    m = c.d.mark()
    old = c.d.extra
    c.d.extra = old.replace('AdminListen %d' % c.aport,
                            'AdminListen %d' % J.free_port())
    c.d._write_conf()
    try:
        c.d.proc.send_signal(signal.SIGHUP)
        c.d.log.wait(r'main_note_restart_only: AdminListen changed: takes '
                     r'effect at restart$', m)
        c.d.log.wait(r'configuration reloaded', m)
        assert http(c, 'GET', '/healthz')[0] == 200
    finally:
        c.d.extra = old
        c.d._write_conf()


def t_readyz_drain(c):
    import paramiko  # noqa: F401
    aport = J.free_port()
    d = J.Daemon(c.env, name='drain', extra='Workers 2\n'
                 'ShutdownGraceTime 60\nAdminListen %d' % aport).start()
    dc = J.Ctx(env=c.env, aport=aport, sock=None)
    try:
        # "Server listening" comes before the workers run: then ready
        J.wait_until(lambda: http(dc, 'GET', '/readyz')[::2] ==
                     (200, b'ready\n'), T(30), '/readyz 200')
        t, _ = J.paramiko_connect(d, c.key)
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                            ('127.0.0.1', 1), timeout=T(60))
        m = d.mark()
        d.proc.send_signal(signal.SIGTERM)
        # logged once main_drain has flipped readiness
        d.log.wait(r'^main_drain: not accepting; waiting up to 60 s', m)
        st, _, body = http(dc, 'GET', '/readyz')
        assert (st, body) == (503, b'not ready: draining\n'), (st, body)
        assert http(dc, 'GET', '/healthz')[0] == 200
        samples = parse_prom(J.run(['curl', '-sS', 'http://127.0.0.1:%d/'
                                    'metrics' % aport]).out.decode())
        assert metric(samples, 'jumpgate_ready') == 0
        ch.close()
        t.close()
        d.proc.wait(T(60))
        assert d.proc.returncode == 0, d.log.excerpt(0, 40)
    finally:
        problems = [p for p in d.stop() if 'already exited' not in p and
                    not p.startswith('log tail')]
        assert not problems, problems


def t_stop_under_load(c):
    import threading
    aport = J.free_port()
    sock = c.env.path('stop.sock')
    d = J.Daemon(c.env, name='stop', extra='Workers 4\n'
                 'ShutdownGraceTime 0\nAdminListen %d\nAdminSocket %s'
                 % (aport, sock)).start()
    live = []
    for _ in range(3):
        t, _ = J.paramiko_connect(d, c.key)
        live.append(t)
    stop = threading.Event()
    counts = []

    def hammer(unix):
        n = 0
        while not stop.is_set():
            try:
                if unix:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(sock)
                    s.sendall(b'POST /sessions/424242/close HTTP/1.0\r\n'
                              b'\r\n')
                else:
                    s = socket.create_connection(('127.0.0.1', aport))
                    s.sendall(b'GET /sessions HTTP/1.0\r\n\r\n')
                s.settimeout(T(10))
                if n % 3:
                    s.recv(65536)
                s.close()
                n += 1
            except OSError:
                time.sleep(0.01)
        counts.append(n)
    ths = [threading.Thread(target=hammer, args=(i % 2,), daemon=True)
           for i in range(4)]
    for th in ths:
        th.start()
    J.wait_until(lambda: d.log.has(r'POST /sessions/424242/close from uid'),
                 T(30), 'POSTs reaching the daemon')
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGTERM)
    try:
        d.proc.wait(T(60))
    finally:
        stop.set()
        for th in ths:
            th.join(T(30))
        for t in live:
            t.close()
    assert d.proc.returncode == 0, d.log.excerpt(0, 40)
    problems = [p for p in d.stop() if 'already exited' not in p and
                not p.startswith('log tail')]
    assert not problems, problems
    assert not os.path.exists(sock), 'AdminSocket left behind'


if __name__ == '__main__':
    J.main('admin listener and ctl', setup, [
        ('/healthz and /readyz answer; HEAD; the Unix socket serves GET',
         t_probes),
        ('/metrics parses strictly; counters move after one forward',
         t_metrics),
        ('wrong methods 405 with Allow, unknown paths 404, POST on TCP 403',
         t_methods),
        ('headers over the limit and large bodies are refused',
         t_header_limit),
        ('idle and half-sent admin clients do not stall forwarding',
         t_slow_client),
        ('64 admin connections: accepting pauses, then resumes',
         t_conn_cap),
        ('clients hanging up on pending requests; pipelining', t_hangups),
        ('/sessions and ctl sessions show a live ssh -L session',
         t_sessions),
        ('/sessions names the client a PROXY header carried, and the proxy',
         t_sessions_via),
        ('ctl close-channel ends that channel only', t_close_channel),
        ('ctl close-session ends the session', t_close_session),
        ('nobody: cannot connect at 0600; 403 and a log line at 0666',
         t_nobody),
        ('ctl: missing socket, no AdminSocket, bad id', t_ctl_errors),
        ('AdminSocket path: a file, a live socket, a stale socket',
         t_socket_file),
        ('SIGHUP: AdminListen is restart-only', t_reload_restart_only),
        ('/readyz 503 while draining', t_readyz_drain),
        ('SIGTERM while admin requests keep coming', t_stop_under_load),
    ])
