#!/usr/bin/python3
"""Forwarding policy, end to end through real OpenSSH clients (area n).

Why: the policy is the reason a bastion or gateway exists.  A rule that
parses but does not bite, a refusal that still opens a TCP connection to
the target, or a log line that names the wrong rule are all silent
failures; only real clients against the real daemon show them.

How: several daemons, one config each, with Python targets on 127.0.0.1
and ::1 that answer both raw bytes (echo) and HTTP (for curl through
ssh -D), and record every connection they accept.  Every probe goes
through a real client: `ssh -W` (most), `ssh -L` (a local TCP client
through the forward) or `ssh -D` (`curl --socks5-hostname`).  Each probe
checks:
  allowed: the data came back through the target; the target saw a
           connection; the log has "forward allowed for user U key ED25519
           SHA256:... from A port P to H port N via IP port N: allowed by
           RULE" with the exact rule (config file:line and directive, or
           the key's file:line).
  refused: the client saw the open fail (ssh -W: exit 255 and "open
           failed"; -L: the local client gets EOF/reset and no data, ssh
           keeps running; -D: curl fails, no body) and ssh logged "open
           failed"; the log has sshd's line when sshd would write one
           ("refused local port forward: ..." when forwarding is off,
           "Received request from ... but the request was denied." for a
           permit list) and never otherwise, plus jumpgate's "refused
           forward for user U key ... from A port P to H port N: denied by
           RULE"; no "connect_next: start for host H" line and no
           "forward allowed" line; the target's listening socket accepted
           nothing.

Cases (one daemon per config):
  * PermitOpen 127.0.0.1:A [::1]:B *:C localhost:* + a second PermitOpen
    line (ignored: first line wins): host:port, [::1]:port, *:port,
    host:*, literal comparison (127.1, LOCALHOST, 0:0:0:0:0:0:0:1 refused;
    localhost allowed by name); key permitopen intersected with it; -L
    with an allowed and a refused forward in one ssh.
  * PermitOpen any (the second line "none" ignored); PermitOpen none.
  * AllowTcpForwarding no; Match User blocks with local, remote,
    DisableForwarding yes over AllowTcpForwarding yes.
  * Match User / Address (client on ::1) / LocalPort (second Port)
    override the global PermitOpen; the first applying block wins.
  * authorized_keys: restrict,port-forwarding; port-forwarding,restrict;
    no-port-forwarding; no-port-forwarding,port-forwarding;
    restrict,permitopen; from= not matching (auth fails: "Permission
    denied", sshd's "not from a permitted host" line, no Accepted line);
    expiry-time in the past (auth fails); from= matching.
  * PermitDestination 127.0.0.0/8:A (allows, also for "localhost" and via
    -D), 10.0.0.0/8:B (127.0.0.1:B refused), a port range N-M (both ends
    allowed, M+1 refused), a glob local*:H (localhost and LOCALHOST via
    ssh -D and curl; 127.0.0.1:H refused: a name rule is not an address
    rule), [::1/128]:X (and 0:0:0:0:0:0:0:1 allowed: address rules compare
    addresses), DenyDestination 127.0.0.0/8:E after PermitDestination
    127.0.0.1:E (deny wins), DenyDestination LocalHost.:F (name rules are
    case-insensitive, trailing dot ignored) over local*:F.
  * DenyDestination 127.0.0.1/32:* and "localhost".  What the daemon
    resolves localhost to is learned first (a forward to a closed port on
    a daemon without rules logs "connect_next: start for host localhost
    ([ADDR]:PORT)" for every address, in order).  127.0.0.1 only ->
    refused by that rule; with ::1 as well -> connected to ::1 only, never
    to 127.0.0.1, and logged as allowed by the same rule as [::1] itself.
    Separately: the daemon must resolve localhost as the system does
    (getaddrinfo, which --explain uses, and /etc/hosts), or --explain and
    the daemon disagree; the failure message shows both answers.
  * the own-listener guard (daemon on 127.0.0.1 and ::1):
    127.0.0.1:<jumpgate's port>, ::ffff:127.0.0.1, ::1 and localhost
    refused by default, with exactly one connection to jumpgate per probe
    (the client's own); a PermitOpen entry naming 127.0.0.1:<port> lifts
    it; DenySpecialDestinations no allows it (the client reads jumpgate's
    own banner).  A key's own permitopen="127.0.0.1:<jumpgate's port>" or
    permitopen="169.254.169.254:80" does not lift it: refused by the
    guard, no connect attempted (the metadata probe runs only after the
    loopback one was refused, so no connect off the machine can happen).
Helper here, not in jgtest.py: a target on a chosen port (consecutive
ports for a range, the same port on both families).
"""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


# --------------------------------------------------------------------------
# targets: echo for raw bytes, HTTP for curl

def dual_handler(sock, conn):
    """Echo, except that a request starting with "GET " gets a small HTTP
    response naming the target's port."""
    try:
        first = sock.recv(65536)
    except OSError as e:
        conn.error = repr(e)
        return
    if not first:
        conn.eof = True
        return
    conn.received += len(first)
    if first.startswith(b'GET '):
        buf = first
        while b'\r\n\r\n' not in buf:
            b = sock.recv(65536)
            if not b:
                break
            buf += b
        body = b'target %d\n' % sock.getsockname()[1]
        sock.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n'
                     b'Content-Length: %d\r\nConnection: close\r\n\r\n'
                     % len(body) + body)
        conn.info['http'] = True
        return
    try:
        sock.sendall(first)
        conn.sent += len(first)
    except OSError as e:
        conn.error = repr(e)
        return
    J.echo_handler(sock, conn)


def target(c, name, host='127.0.0.1', port=0):
    return c.closing(J.Target(dual_handler, host, backlog=64, name=name,
                              port=port))


def consecutive_targets(c, n, host='127.0.0.1'):
    """n targets on consecutive ports (for port ranges).  Below the usual
    ephemeral range (32768-60999), where a busy machine's TIME_WAIT
    sockets do not crowd every port."""
    rnd = random.Random()
    for _ in range(500):
        base = rnd.randrange(12000, 32000)
        ts = []
        try:
            for i in range(n):
                ts.append(J.Target(dual_handler, host, backlog=64,
                                     name='range%d' % i, port=base + i))
        except OSError:
            for t in ts:
                t.close()
            continue
        for t in ts:
            c.closing(t)
        return ts
    raise AssertionError('no %d consecutive free ports' % n)


def same_port_pair(c, name):
    """Targets on 127.0.0.1:P and [::1]:P (same P)."""
    return J.Target.same_port_pair(c, dual_handler, name)


def hosts_addresses(name):
    """What /etc/hosts maps name to, in file order."""
    out = []
    try:
        with open('/etc/hosts') as f:
            for ln in f:
                ln = ln.split('#', 1)[0].split()
                if len(ln) >= 2 and name.lower() in (x.lower()
                                                     for x in ln[1:]):
                    out.append(ln[0])
    except OSError:
        pass
    return out


def system_addresses(name, port=9):
    """What the system resolver (glibc getaddrinfo, as --explain uses)
    returns for name, in order."""
    try:
        ais = socket.getaddrinfo(name, port, 0, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return [ai[4][0] for ai in ais]


def daemon_addresses(c, d, name):
    """What the daemon resolves name to, in its order: a forward to a
    closed port on a daemon without rules tries every address
    ("connect_next: start for host NAME ([ADDR]:PORT)")."""
    closed = J.Closed()
    try:
        m = d.mark()
        r = J.run(J.ssh_w_args(c.key, d, name, closed.port), env=c.env)
        assert r.rc == 255, r
        d.log.wait(r'^connect_to %s port %d: failed\.$|^connect to %s port '
                   r'%d failed: |^connect_to %s: unknown host'
                   % ((re.escape(name), closed.port) * 2 + (re.escape(name),)),
                   m)
        return [x.group(1) for x in d.log.find(
            r'^connect_next: start for host %s \(\[(.+?)\]:%d\)$'
            % (re.escape(name), closed.port), m)]
    finally:
        closed.close()


# --------------------------------------------------------------------------
# config helpers

def src(d, line):
    """"CONF:N" for the line of d's config that reads exactly `line`
    (leading/trailing blanks ignored)."""
    with open(d.conf) as f:
        for i, ln in enumerate(f, 1):
            if ln.strip() == line:
                return '%s:%d' % (d.conf, i)
    raise AssertionError('%s has no line %r' % (d.conf, line))


def keysrc(env, user, key):
    path = os.path.join(env.authdir, user + '.keys')
    with open(path) as f:
        for i, ln in enumerate(f, 1):
            if key.pub_line in ln:
                return '%s:%d' % (path, i)
    raise AssertionError('%s is not in %s' % (key.name, path))


def daemon(c, r, name, policy, listen=('127.0.0.1',), port=None,
           ports=()):
    """A daemon whose config ends with the policy lines (a list)."""
    extra = ['Workers 1'] + ['Port %d' % p for p in ports] + list(policy)
    d = J.Daemon(c.env, name=name, listen=listen, port=port,
                 extra='\n'.join(extra))
    d.start()
    for p in ports:
        for a in listen:
            d.log.wait(r'^Server listening on %s port %d\.$'
                       % (re.escape(a), p), proc=d.proc)
    return r.watch(d)


# --------------------------------------------------------------------------
# probes

OPEN_FAILED = r'open failed'


class Probe:
    """One open through one client, and what it must have done."""

    def __init__(self, c, d, key, thost, tport, target, user=None,
                 client='W', via_host='127.0.0.1'):
        self.c, self.d, self.key = c, d, key
        self.user = user or J.USER
        self.thost, self.tport, self.target = thost, tport, target
        self.client = client
        self.via_host = via_host        # where the client reaches jumpgate

    def describe(self):
        return '%s@%s -%s %s' % (self.user, self.via_host, self.client,
                                 J.hostport(self.thost, self.tport))


def _peer_port(d, user, m, via_host):
    ms = d.log.wait(r'^Accepted publickey for %s from %s port (\d+) '
                    % (re.escape(user), re.escape(via_host)), m)
    return int(ms[-1].group(1))


def _run_W(p, data):
    args = J.ssh_w_args(p.key, p.d, p.thost, p.tport, user=p.user,
                        host=p.via_host)
    return J.run(args, input=data, env=p.c.env)


def _with_L(p, fn):
    lport = J.free_port()
    bind = '127.0.0.1'
    spec = '%s:%d:%s:%d' % (bind, lport,
                            '[%s]' % p.thost if ':' in p.thost else p.thost,
                            p.tport)
    fwd = J.SshForward(p.c.env, p.key, p.d, ['-L', spec], user=p.user,
                       host=p.via_host)
    try:
        return fn(fwd, lport)
    finally:
        fwd.stop()


def _with_D(p, fn):
    J.need('curl')
    sport = J.free_port()
    fwd = J.SshForward(p.c.env, p.key, p.d, ['-D', '127.0.0.1:%d' % sport],
                       user=p.user, host=p.via_host)
    try:
        return fn(fwd, sport)
    finally:
        fwd.stop()


def _curl(sport, thost, tport, env):
    h = '[%s]' % thost if ':' in thost else thost
    return J.run(['curl', '-sS', '--max-time', str(int(T(60))),
                  '--socks5-hostname', '127.0.0.1:%d' % sport,
                  'http://%s:%d/policy' % (h, tport)], env=env)


def allowed(p, rule, via=None):
    t0 = time.monotonic()
    try:
        return _allowed(p, rule, via)
    finally:
        if os.environ.get('JG_PROBE_TIMES'):
            print('#   %.2fs allowed %s' % (time.monotonic() - t0,
                                           p.describe()))


def _allowed(p, rule, via=None):
    """Runs probe p and asserts that it went through, to `via` (default
    the target's own address), and was logged as allowed by `rule` (a
    string, matched exactly; a compiled regex; None: any rule).  Returns
    the rule logged."""
    d, t = p.d, p.target
    m = d.mark()
    before = len(t.conns)
    data = b'policy probe %s\n' % p.describe().encode()
    if p.client == 'W':
        r = _run_W(p, data)
        assert r.rc == 0 and r.out == data, \
            '%s: expected the open to be allowed and echo; got %r' % (
                p.describe(), r)
    elif p.client == 'L':
        def go(fwd, lport):
            s = J.connect_local(lport)
            s.settimeout(T(60))
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                _, _, got = J.recv_all(s, keep=True)
            finally:
                s.close()
            assert got == data, '%s: -L returned %r\nssh stderr:\n%s' % (
                p.describe(), got, J.tail(fwd.stderr_text()))
        _with_L(p, go)
    elif p.client == 'D':
        def go(fwd, sport):
            r = _curl(sport, p.thost, p.tport, p.c.env)
            assert r.rc == 0 and r.out == b'target %d\n' % t.port, \
                '%s: curl through -D: %r\nssh stderr:\n%s' % (
                    p.describe(), r, J.tail(fwd.stderr_text()))
        _with_D(p, go)
    t.wait_conns(before + 1)
    pport = _peer_port(d, p.user, m, p.via_host)
    via = via or p.thost
    rx = (r'^forward allowed for user %s key ED25519 %s from %s port %d to '
          r'%s port %d via %s port %d: allowed by (.+)$'
          % (re.escape(p.user), re.escape(p.key.fingerprint),
             re.escape(p.via_host), pport, re.escape(p.thost), p.tport,
             re.escape(via), p.tport))
    try:
        got = d.log.wait(rx, m, timeout=T(20))[0].group(1)
    except AssertionError:
        got = [x.string for x in d.log.find(r'^forward allowed', m)]
        raise AssertionError('%s: no "forward allowed ... via %s port %d" '
                             'line; got:\n%s' % (p.describe(), via, p.tport,
                                                 '\n'.join(got) or '(none)'))
    assert rule_ok(rule, got), \
        '%s: allowed by the wrong rule\n  logged:   %s\n  expected: %s' % (
            p.describe(), got, rule if isinstance(rule, str) else
            rule.pattern)
    return got


def rule_ok(rule, got):
    if rule is None:
        return True
    if isinstance(rule, str):
        return got == rule
    return re.fullmatch(rule, got) is not None


def refused(p, kind, rule):
    t0 = time.monotonic()
    try:
        _refused(p, kind, rule)
    finally:
        if os.environ.get('JG_PROBE_TIMES'):
            print('#   %.2fs refused %s' % (time.monotonic() - t0,
                                           p.describe()))


def _refused(p, kind, rule):
    """Runs probe p and asserts that it was refused.  kind: 'off' (sshd's
    "refused local port forward"), 'list' (sshd's "Received request ...
    denied."), 'rule' (jumpgate's rule or guard: only jumpgate's line).
    rule: the exact rule in jumpgate's line (a string), a compiled regex,
    or None for any."""
    d, t = p.d, p.target
    m = d.mark()
    before = len(t.conns)
    if p.client == 'W':
        r = _run_W(p, b'must never arrive\n')
        assert r.rc == 255, '%s: ssh -W exit %s (expected 255)\n%r' % (
            p.describe(), r.rc, r)
        assert OPEN_FAILED in r.err_text, \
            '%s: no "%s" from ssh\n%r' % (p.describe(), OPEN_FAILED, r)
        assert r.out == b'', r
    elif p.client == 'L':
        def go(fwd, lport):
            s = J.connect_local(lport)
            s.settimeout(T(60))
            try:
                s.sendall(b'must never arrive\n')
                got = s.recv(100)
            except (ConnectionResetError, BrokenPipeError):
                got = b''
            except socket.timeout:
                raise AssertionError('%s: local client neither closed nor '
                                     'reset' % p.describe())
            finally:
                s.close()
            assert got == b'', '%s: -L client got data %r' % (
                p.describe(), got)
            fwd.wait_stderr(OPEN_FAILED)
            assert fwd.running(), '%s: ssh -L exited after a refused ' \
                'open:\n%s' % (p.describe(), fwd.stderr_text())
        _with_L(p, go)
    elif p.client == 'D':
        def go(fwd, sport):
            r = _curl(sport, p.thost, p.tport, p.c.env)
            assert r.rc != 0 and b'target' not in r.out, \
                '%s: curl through -D succeeded: %r' % (p.describe(), r)
            fwd.wait_stderr(OPEN_FAILED)
            assert fwd.running(), fwd.stderr_text()
        _with_D(p, go)
    pport = _peer_port(d, p.user, m, p.via_host)
    host_rx = re.escape(p.thost)
    jg_rx = (r'^refused forward for user %s key ED25519 %s from %s port %d '
             r'to %s port %d: denied by (.+)$'
             % (re.escape(p.user), re.escape(p.key.fingerprint),
                re.escape(p.via_host), pport, host_rx, p.tport))
    off_rx = (r'^refused local port forward: originator \S+ port \d+, '
              r'target %s port %d$' % (host_rx, p.tport))
    if p.client == 'W':
        off_rx = (r'^refused local port forward: originator 127\.0\.0\.1 '
                  r'port 65535, target %s port %d$' % (host_rx, p.tport))
    list_rx = (r'^Received request from %s port %d to connect to host %s '
               r'port %d, but the request was denied\.$'
               % (re.escape(p.via_host), pport, host_rx, p.tport))
    try:
        got = d.log.wait(jg_rx, m, timeout=T(20))[0].group(1)
        assert rule_ok(rule, got), \
            'denied by the wrong rule\n  logged:   %s\n  expected: %s' % (
                got, rule if isinstance(rule, str) else rule.pattern)
        if kind == 'off':
            d.log.in_order([off_rx, jg_rx], m)
        elif kind == 'list':
            d.log.in_order([list_rx, jg_rx], m)
    except AssertionError as e:
        got = [x.string for x in d.log.find(
            r'^(refused|Received request|forward allowed)', m)]
        raise AssertionError('%s: %s\nexpected rule: %s\npolicy lines:\n%s'
                             % (p.describe(), e, rule,
                                '\n'.join(got) or '(none)'))
    if kind != 'off':
        assert not d.log.has(r'^refused local port forward: .*target %s '
                             r'port %d$' % (host_rx, p.tport), m), \
            '%s: sshd\'s "refused local port forward" for a %s refusal' % (
                p.describe(), kind)
    if kind != 'list':
        assert not d.log.has(list_rx, m), \
            '%s: sshd\'s "Received request ... denied." for a %s refusal' % (
                p.describe(), kind)
    bad = d.log.find(r'^forward allowed .* to %s port %d ' % (host_rx,
                                                               p.tport), m)
    assert not bad, '%s: refused but logged %s' % (p.describe(),
                                                   bad[0].string)
    bad = d.log.find(r'^connect_next: start for host %s \(' % host_rx, m)
    assert not bad, '%s: refused, yet the daemon connected: %s' % (
        p.describe(), bad[0].string)
    time.sleep(0.1)
    assert len(t.conns) == before, \
        '%s: the target accepted a connection although the open was ' \
        'refused (from %s)' % (p.describe(), t.conns[-1].peer)


def auth_fails(c, d, key, user, t, log_rx):
    m = d.mark()
    before = len(t.conns)
    r = J.run(J.ssh_w_args(key, d, '127.0.0.1', t.port, user=user),
              input=b'must never arrive\n', env=c.env)
    assert r.rc == 255, r
    assert 'Permission denied' in r.err_text, r
    assert 'open failed' not in r.err_text, r
    d.log.wait(log_rx, m)
    assert not d.log.has(r'^Accepted publickey for %s ' % re.escape(user),
                         m), 'key accepted although it must not be'
    time.sleep(0.1)
    assert len(t.conns) == before, 'the target saw a connection'


# --------------------------------------------------------------------------
# setup

def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    for u in ('bob', 'dave', 'loc', 'rem', 'dis'):
        env.authorize(u, c.key)
    # key permitopen (intersection with PermitOpen), set below
    c.kcarol = env.key('carol')

    c.A = target(c, 'A')
    c.B = target(c, 'B')
    c.C = target(c, 'C')
    c.Dt = target(c, 'D')
    c.E = target(c, 'E')
    c.F = target(c, 'F')
    c.H = target(c, 'H')
    c.X6 = target(c, 'X6', '::1')
    c.R = consecutive_targets(c, 3)
    c.L4, c.L6 = same_port_pair(c, 'L')
    c.C6 = None
    for _ in range(50):
        try:
            c.C6 = target(c, 'C6', '::1', c.C.port)
            break
        except OSError:
            c.C = target(c, 'C')
    assert c.C6 is not None, 'no port free on both families for C'
    c.B6 = target(c, 'B6', '::1')

    env.authorize('carol', c.kcarol, 'permitopen="127.0.0.1:%d",'
                  'permitopen="127.0.0.1:%d"' % (c.A.port, c.Dt.port))

    # PermitOpen forms
    c.po_own = J.free_port()
    c.d_po = daemon(c, r, 'permitopen', [
        'PermitOpen 127.0.0.1:%d [::1]:%d *:%d localhost:* 127.0.0.1:%d'
        % (c.A.port, c.B6.port, c.C.port, c.po_own),
        'PermitOpen 127.0.0.1:%d' % c.Dt.port,
    ], port=c.po_own)
    c.po_line = src(c.d_po, 'PermitOpen 127.0.0.1:%d [::1]:%d *:%d '
                    'localhost:* 127.0.0.1:%d'
                    % (c.A.port, c.B6.port, c.C.port, c.po_own))
    c.d_any = daemon(c, r, 'any', ['PermitOpen any', 'PermitOpen none'],
                     listen=('127.0.0.1', '::1'))
    # what "localhost" is to the daemon decides what to expect below
    c.lh = daemon_addresses(c, c.d_any, 'localhost')
    print('#   the daemon resolves localhost to: %s; the system: %s; '
          '/etc/hosts: %s' % (', '.join(c.lh) or 'nothing',
                              ', '.join(system_addresses('localhost')),
                              ', '.join(hosts_addresses('localhost'))))
    c.lh_v4_first = bool(c.lh) and c.lh[0] == '127.0.0.1'
    c.d_none = daemon(c, r, 'none', ['PermitOpen none'])

    # forwarding switches
    c.d_fwd = daemon(c, r, 'fwd', [
        'AllowTcpForwarding no',
        'Match User loc',
        '    AllowTcpForwarding local',
        'Match User rem',
        '    AllowTcpForwarding remote',
        'Match User dis',
        '    AllowTcpForwarding yes',
        '    DisableForwarding yes',
    ])

    # Match kinds
    c.p2 = J.free_port()
    c.d_match = daemon(c, r, 'match', [
        'PermitOpen 127.0.0.1:%d' % c.A.port,
        'Match User bob',
        '    PermitOpen 127.0.0.1:%d' % c.B.port,
        'Match Address ::1',
        '    PermitOpen [::1]:%d' % c.B6.port,
        'Match LocalPort %d' % c.p2,
        '    PermitOpen 127.0.0.1:%d' % c.C.port,
        'Match User dave',
        '    AllowTcpForwarding no',
    ], listen=('127.0.0.1', '::1'), ports=(c.p2,))

    # authorized_keys options (server: no restriction)
    c.kopt = {}
    for name, opts in [
            ('rpf', 'restrict,port-forwarding'),
            ('pfr', 'port-forwarding,restrict'),
            ('nopf', 'no-port-forwarding'),
            ('nopf_pf', 'no-port-forwarding,port-forwarding'),
            ('rpo', 'restrict,permitopen="127.0.0.1:%d"' % c.A.port),
            ('from_bad', 'from="10.9.9.9,!127.0.0.1"'),
            ('from_ok', 'from="10.9.9.9,127.0.0.0/8"'),
            ('expired', 'expiry-time="20200101"'),
            ('future', 'expiry-time="20991231"')]:
        k = env.key('k_' + name)
        env.authorize('kopt', k, opts)
        c.kopt[name] = k
    c.d_keys = daemon(c, r, 'keys', [])
    # a user's own permitopen= naming jumpgate itself and the metadata
    # service (written once the port is known; read at authentication)
    c.kpo = env.key('k_po_guard')
    env.authorize('kpo', c.kpo, 'permitopen="127.0.0.1:%d",'
                  'permitopen="169.254.169.254:80"' % c.d_keys.port)

    # jumpgate's rules
    R0, R1 = c.R[:2]
    c.dest_lines = {
        'cidr': 'PermitDestination 127.0.0.0/8:%d' % c.A.port,
        'ten': 'PermitDestination 10.0.0.0/8:%d' % c.B.port,
        'range': 'PermitDestination 127.0.0.1:%d-%d' % (R0.port, R1.port),
        'glob': 'PermitDestination local*:%d' % c.H.port,
        'v6': 'PermitDestination [::1/128]:%d' % c.X6.port,
        'e_permit': 'PermitDestination 127.0.0.1:%d' % c.E.port,
        'e_deny': 'DenyDestination 127.0.0.0/8:%d' % c.E.port,
        'f_permit': 'PermitDestination local*:%d' % c.F.port,
        'f_deny': 'DenyDestination LocalHost.:%d' % c.F.port,
    }
    c.d_dest = daemon(c, r, 'dest', list(c.dest_lines.values()))
    c.d_resolve = daemon(c, r, 'resolve', ['DenyDestination 127.0.0.1/32:*'])
    c.d_special = daemon(c, r, 'special', ['DenySpecialDestinations no'])
    return c


# --------------------------------------------------------------------------
# PermitOpen

def t_permitopen_forms(c):
    d, k, po = c.d_po, c.key, c.po_line
    P = lambda h, port, t, **kw: Probe(c, d, k, h, port, t, **kw)  # noqa
    allowed(P('127.0.0.1', c.A.port, c.A), '%s: PermitOpen 127.0.0.1:%d'
            % (po, c.A.port))
    allowed(P('::1', c.B6.port, c.B6), '%s: PermitOpen [::1]:%d'
            % (po, c.B6.port))
    allowed(P('127.0.0.1', c.C.port, c.C), '%s: PermitOpen *:%d'
            % (po, c.C.port))
    allowed(P('::1', c.C.port, c.C6), '%s: PermitOpen *:%d' % (po, c.C.port))
    # localhost:* -- allowed by name; localhost resolves through /etc/hosts
    # (nothing listens on [::1]:A, so a ::1 entry would only be tried first)
    if c.lh_v4_first:
        allowed(P('localhost', c.A.port, c.A), '%s: PermitOpen localhost:*'
                % po, via='127.0.0.1')
    refusal = '%s: no PermitOpen entry matched' % po
    refused(P('127.0.0.1', c.B.port, c.B), 'list', refusal)   # host:port
    refused(P('::1', c.X6.port, c.X6), 'list', refusal)       # [::1]:port
    refused(P('127.1', c.A.port, c.A), 'list', refusal)       # literal
    refused(P('LOCALHOST', c.A.port, c.A), 'list', refusal)   # case
    refused(P('0:0:0:0:0:0:0:1', c.B6.port, c.B6), 'list', refusal)


def t_permitopen_first_line(c):
    d = c.d_po
    # the second PermitOpen line names D: ignored
    refused(Probe(c, d, c.key, '127.0.0.1', c.Dt.port, c.Dt), 'list',
            '%s: no PermitOpen entry matched' % c.po_line)


def t_permitopen_L(c):
    d = c.d_po
    allowed(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A, client='L'),
            '%s: PermitOpen 127.0.0.1:%d' % (c.po_line, c.A.port))
    refused(Probe(c, d, c.key, '127.0.0.1', c.B.port, c.B, client='L'),
            'list', '%s: no PermitOpen entry matched' % c.po_line)


def t_key_permitopen_intersects(c):
    d, k = c.d_po, c.kcarol
    ks = keysrc(c.env, 'carol', k)
    # in both lists
    allowed(Probe(c, d, k, '127.0.0.1', c.A.port, c.A, user='carol'),
            '%s: PermitOpen 127.0.0.1:%d' % (c.po_line, c.A.port))
    # in the key's list only (D is on the ignored second PermitOpen line)
    refused(Probe(c, d, k, '127.0.0.1', c.Dt.port, c.Dt, user='carol'),
            'list', '%s: no PermitOpen entry matched' % c.po_line)
    # in the server's list only
    refused(Probe(c, d, k, '127.0.0.1', c.C.port, c.C, user='carol'),
            'list', '%s: no permitopen entry of the key matched' % ks)


def t_permitopen_any_none(c):
    allowed(Probe(c, c.d_any, c.key, '127.0.0.1', c.B.port, c.B), None)
    allowed(Probe(c, c.d_any, c.key, '::1', c.X6.port, c.X6), None)
    line = src(c.d_none, 'PermitOpen none')
    refused(Probe(c, c.d_none, c.key, '127.0.0.1', c.A.port, c.A), 'list',
            '%s: PermitOpen none' % line)
    refused(Probe(c, c.d_none, c.key, 'localhost', c.A.port, c.A,
                  client='D'), 'list', '%s: PermitOpen none' % line)


# --------------------------------------------------------------------------
# AllowTcpForwarding, DisableForwarding, Match

def t_allowtcpforwarding(c):
    d = c.d_fwd
    no = '%s: AllowTcpForwarding no' % src(d, 'AllowTcpForwarding no')
    refused(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A), 'off', no)
    refused(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A, client='L'),
            'off', no)
    allowed(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A, user='loc'), None)
    refused(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A, user='rem'),
            'off', '%s: AllowTcpForwarding remote'
            % src(d, 'AllowTcpForwarding remote'))


def t_disableforwarding(c):
    d = c.d_fwd
    refused(Probe(c, d, c.key, '127.0.0.1', c.A.port, c.A, user='dis'),
            'off', '%s: DisableForwarding yes'
            % src(d, 'DisableForwarding yes'))
    refused(Probe(c, d, c.key, 'localhost', c.A.port, c.A, user='dis',
                  client='D'), 'off', '%s: DisableForwarding yes'
            % src(d, 'DisableForwarding yes'))


def t_match(c):
    d, k = c.d_match, c.key
    glob_line = src(d, 'PermitOpen 127.0.0.1:%d' % c.A.port)
    bob_line = src(d, 'PermitOpen 127.0.0.1:%d' % c.B.port)
    v6_line = src(d, 'PermitOpen [::1]:%d' % c.B6.port)
    # no block applies: the global value
    allowed(Probe(c, d, k, '127.0.0.1', c.A.port, c.A),
            '%s: PermitOpen 127.0.0.1:%d' % (glob_line, c.A.port))
    refused(Probe(c, d, k, '127.0.0.1', c.B.port, c.B), 'list',
            '%s: no PermitOpen entry matched' % glob_line)
    # Match User: replaces, does not add to, the global list
    allowed(Probe(c, d, k, '127.0.0.1', c.B.port, c.B, user='bob'),
            '%s: PermitOpen 127.0.0.1:%d' % (bob_line, c.B.port))
    refused(Probe(c, d, k, '127.0.0.1', c.A.port, c.A, user='bob'), 'list',
            '%s: no PermitOpen entry matched' % bob_line)
    # Match User, another keyword
    refused(Probe(c, d, k, '127.0.0.1', c.A.port, c.A, user='dave'), 'off',
            '%s: AllowTcpForwarding no' % src(d, 'AllowTcpForwarding no'))
    # Match Address: the client comes from ::1
    allowed(Probe(c, d, k, '::1', c.B6.port, c.B6, via_host='::1'),
            '%s: PermitOpen [::1]:%d' % (v6_line, c.B6.port))
    refused(Probe(c, d, k, '127.0.0.1', c.A.port, c.A, via_host='::1'),
            'list', '%s: no PermitOpen entry matched' % v6_line)


def t_match_localport(c):
    d, k = c.d_match, c.key
    lp_line = src(d, 'PermitOpen 127.0.0.1:%d' % c.C.port)
    bob_line = src(d, 'PermitOpen 127.0.0.1:%d' % c.B.port)
    main_port = d.port
    try:
        d.port = c.p2       # clients connect to the second Port
        allowed(Probe(c, d, k, '127.0.0.1', c.C.port, c.C),
                '%s: PermitOpen 127.0.0.1:%d' % (lp_line, c.C.port))
        refused(Probe(c, d, k, '127.0.0.1', c.A.port, c.A), 'list',
                '%s: no PermitOpen entry matched' % lp_line)
        # bob on the second port: Match User bob comes first and wins
        allowed(Probe(c, d, k, '127.0.0.1', c.B.port, c.B, user='bob'),
                '%s: PermitOpen 127.0.0.1:%d' % (bob_line, c.B.port))
        refused(Probe(c, d, k, '127.0.0.1', c.C.port, c.C, user='bob'),
                'list', '%s: no PermitOpen entry matched' % bob_line)
    finally:
        d.port = main_port


# --------------------------------------------------------------------------
# authorized_keys options

def t_key_options(c):
    d, ko = c.d_keys, c.kopt
    P = lambda name, **kw: Probe(c, d, ko[name], '127.0.0.1', c.A.port,  # noqa
                                 c.A, user='kopt', **kw)
    ks = lambda name: keysrc(c.env, 'kopt', ko[name])  # noqa
    allowed(P('rpf'), None)
    allowed(P('nopf_pf'), None)
    allowed(P('from_ok'), None)
    allowed(P('future'), None)
    for name in ('pfr', 'nopf', 'rpo'):
        refused(P(name), 'off', re.compile(re.escape(ks(name) + ': ') +
                                           r'.*(no-port-forwarding|restrict)'
                                           r'.*'))
    refused(P('pfr', client='L'), 'off', re.compile(
        re.escape(ks('pfr') + ': ') + r'.+'))


def t_key_from_expiry(c):
    d, ko = c.d_keys, c.kopt
    auth_fails(c, d, ko['from_bad'], 'kopt', c.A,
               r'^%s: Authentication tried for kopt with correct key but '
               r'not from a permitted host \(host=127\.0\.0\.1, '
               r'ip=127\.0\.0\.1, required=10\.9\.9\.9,!127\.0\.0\.1\)\.$'
               % re.escape(keysrc(c.env, 'kopt', ko['from_bad'])))
    auth_fails(c, d, ko['expired'], 'kopt', c.A,
               r'^Failed publickey for kopt from 127\.0\.0\.1 port \d+ '
               r'ssh2: ED25519 %s$' % re.escape(ko['expired'].fingerprint))


# --------------------------------------------------------------------------
# PermitDestination / DenyDestination

def t_dest_cidr(c):
    d, k, L = c.d_dest, c.key, c.dest_lines
    allowed(Probe(c, d, k, '127.0.0.1', c.A.port, c.A),
            '%s: %s' % (src(d, L['cidr']), L['cidr']))
    if '127.0.0.1' in c.lh:
        allowed(Probe(c, d, k, 'localhost', c.A.port, c.A, client='D'),
                '%s: %s' % (src(d, L['cidr']), L['cidr']), via='127.0.0.1')
    refused(Probe(c, d, k, '127.0.0.1', c.B.port, c.B), 'rule',
            'no PermitDestination rule matched')
    allowed(Probe(c, d, k, '::1', c.X6.port, c.X6),
            '%s: %s' % (src(d, L['v6']), L['v6']))
    # an address rule compares addresses, not spellings
    allowed(Probe(c, d, k, '0:0:0:0:0:0:0:1', c.X6.port, c.X6),
            '%s: %s' % (src(d, L['v6']), L['v6']), via='::1')


def t_dest_range(c):
    d, k, L = c.d_dest, c.key, c.dest_lines
    R0, R1, R2 = c.R
    rule = '%s: %s' % (src(d, L['range']), L['range'])
    allowed(Probe(c, d, k, '127.0.0.1', R0.port, R0), rule)
    allowed(Probe(c, d, k, '127.0.0.1', R1.port, R1, client='L'), rule)
    refused(Probe(c, d, k, '127.0.0.1', R2.port, R2), 'rule',
            'no PermitDestination rule matched')


def t_dest_glob(c):
    d, k, L = c.d_dest, c.key, c.dest_lines
    rule = '%s: %s' % (src(d, L['glob']), L['glob'])
    if not c.lh_v4_first:
        raise J.Skip('the daemon does not resolve localhost to 127.0.0.1 '
                     'first (%s)' % c.lh)
    allowed(Probe(c, d, k, 'localhost', c.H.port, c.H, client='D'), rule,
            via='127.0.0.1')
    allowed(Probe(c, d, k, 'LOCALHOST', c.H.port, c.H), rule,
            via='127.0.0.1')
    # a name rule says nothing about an address
    refused(Probe(c, d, k, '127.0.0.1', c.H.port, c.H, client='D'), 'rule',
            'no PermitDestination rule matched')


def t_dest_deny_first(c):
    d, k, L = c.d_dest, c.key, c.dest_lines
    refused(Probe(c, d, k, '127.0.0.1', c.E.port, c.E), 'rule',
            '%s: %s' % (src(d, L['e_deny']), L['e_deny']))
    rule = '%s: %s' % (src(d, L['f_deny']), L['f_deny'])
    refused(Probe(c, d, k, 'localhost', c.F.port, c.F), 'rule', rule)
    # refused by name, before any lookup: neither spelling nor a trailing
    # dot gets past it (no DNS is needed for these)
    refused(Probe(c, d, k, 'LOCALHOST.', c.F.port, c.F), 'rule', rule)
    refused(Probe(c, d, k, 'localhost', c.F.port, c.F, client='D'), 'rule',
            rule)


def t_dest_resolved_denied(c):
    d, k = c.d_resolve, c.key
    deny = '%s: DenyDestination 127.0.0.1/32:*' % src(
        d, 'DenyDestination 127.0.0.1/32:*')
    refused(Probe(c, d, k, '127.0.0.1', c.L4.port, c.L4), 'rule', deny)
    v6rule = allowed(Probe(c, d, k, '::1', c.L6.port, c.L6), None)
    addrs = c.lh
    m = d.mark()
    if '::1' in addrs:
        # 127.0.0.1 is denied, ::1 is not: only ::1 is ever connected to,
        # and it is allowed for the same reason as [::1] itself (the
        # denial of the other address is not what allowed it)
        before4 = len(c.L4.conns)
        late = None
        try:
            allowed(Probe(c, d, k, 'localhost', c.L6.port, c.L6), v6rule,
                    via='::1')
        except AssertionError as e:
            late = e        # after the checks that matter more
        assert len(c.L4.conns) == before4, 'connected to 127.0.0.1'
        assert not d.log.has(r'^connect_next: start for host localhost '
                             r'\(\[127\.0\.0\.1\]', m), \
            'the daemon tried the denied 127.0.0.1'
        if '127.0.0.1' in addrs:
            d.log.wait(r'localhost resolved to 127\.0\.0\.1: denied by %s$'
                       % re.escape(deny), m)
        if late is not None:
            raise late
    elif addrs and set(addrs) <= {'127.0.0.1'}:
        refused(Probe(c, d, k, 'localhost', c.L4.port, c.L4), 'rule', deny)
        refused(Probe(c, d, k, 'localhost', c.L4.port, c.L4, client='D'),
                'rule', deny)
        assert len(c.L6.conns) == 1, 'the ::1 twin saw %d connections' % (
            len(c.L6.conns))
    else:
        raise J.Skip('localhost maps to %s here' % addrs)


def t_localhost_like_system(c):
    # Address rules are only as good as the resolution they are applied
    # to; the daemon, --explain (getaddrinfo) and the system must agree.
    want = system_addresses('localhost')
    if c.lh == want:
        return
    # what that means for an operator: --explain and the daemon disagree
    d = c.d_resolve
    r = J.run([J.daemon_path(), '-f', d.conf, '--explain',
               'user=%s,addr=127.0.0.1,key=%s.pub' % (J.USER, c.key.path),
               'localhost', str(c.L6.port)])
    raise AssertionError(
        'the daemon resolves "localhost" to [%s], the system (getaddrinfo, '
        'which --explain uses) to [%s]; /etc/hosts says [%s].\n'
        'With "DenyDestination 127.0.0.1/32:*", --explain answers (exit '
        '%s):\n%s\nwhile the daemon connected localhost:%d via ::1 '
        '(see "a name resolving to a denied address")'
        % (', '.join(c.lh), ', '.join(want),
           ', '.join(hosts_addresses('localhost')), r.rc, r.out_text.strip(),
           c.L6.port))


# --------------------------------------------------------------------------
# the special-destination guard

def t_guard_own_listener(c):
    d, k = c.d_any, c.key
    own = 'DenySpecialDestinations: jumpgate\'s own listener'

    class Self:     # the daemon's own port as a "target" for the checks
        conns = []
    m = d.mark()
    probes = [5 if c.lh and set(c.lh) <= {'127.0.0.1', '::1'} else 4]
    refused(Probe(c, d, k, '127.0.0.1', d.port, Self), 'rule', own)
    refused(Probe(c, d, k, '::ffff:127.0.0.1', d.port, Self), 'rule', own)
    if c.lh and set(c.lh) <= {'127.0.0.1', '::1'}:
        # d listens on both: every address of localhost is d itself
        refused(Probe(c, d, k, 'localhost', d.port, Self), 'rule', own)
    refused(Probe(c, d, k, '::1', d.port, Self), 'rule', own)
    refused(Probe(c, d, k, '127.0.0.1', d.port, Self, client='L'), 'rule',
            own)
    # one SSH connection per probe (the client's): none came from jumpgate
    conns = d.log.find(r'^Connection from ', m)
    assert len(conns) == probes[0], \
        '%d probes but %d connections to jumpgate:\n%s' % (
            probes[0], len(conns), '\n'.join(x.string for x in conns))


def _banner_through(c, d, key, host, port, rule, user=None):
    m = d.mark()
    r = J.run(J.ssh_w_args(key, d, host, port, user=user),
              input=b'SSH-2.0-jgtest_policy\r\n', env=c.env, timeout=T(60))
    assert r.out.startswith(b'SSH-2.0-'), \
        'forward to jumpgate itself: expected its banner, got %r' % r
    pport = _peer_port(d, user or J.USER, m, '127.0.0.1')
    d.log.wait(r'^forward allowed for user %s key ED25519 %s from '
               r'127\.0\.0\.1 port %d to %s port %d via 127\.0\.0\.1 port '
               r'%d: allowed by %s$'
               % (re.escape(user or J.USER), re.escape(key.fingerprint),
                  pport, re.escape(host), port, port,
                  re.escape(rule) if rule else '.+'), m)


def t_guard_key_permitopen(c):
    # authorized_keys may be the user's own file: its permitopen= narrows,
    # it never vouches for a special destination
    d, k = c.d_keys, c.kpo

    class Nobody:   # no target of ours listens there
        conns = []
    refused(Probe(c, d, k, '127.0.0.1', d.port, Nobody, user='kpo'), 'rule',
            'DenySpecialDestinations: jumpgate\'s own listener')
    # Reached only when the loopback case was refused, so a daemon that
    # lets the key lift the guard is never asked to connect off-machine.
    # The refusal comes from the address check, before any connect
    # (refused() also asserts there is no "connect_next: start" line).
    refused(Probe(c, d, k, '169.254.169.254', 80, Nobody, user='kpo'),
            'rule', 'DenySpecialDestinations: link-local or metadata '
            'address')


def t_guard_named_or_off(c):
    # an explicit PermitOpen entry naming 127.0.0.1:<own port> lifts it
    _banner_through(c, c.d_po, c.key, '127.0.0.1', c.d_po.port,
                    '%s: PermitOpen 127.0.0.1:%d' % (c.po_line, c.d_po.port))
    # DenySpecialDestinations no switches it off
    _banner_through(c, c.d_special, c.key, '127.0.0.1', c.d_special.port,
                    None)


if __name__ == '__main__':
    J.main('forwarding policy through ssh -W/-L/-D', setup, [
        ('PermitOpen host:port, [::1]:port, *:port, host:*; literal '
         'matching (127.1, LOCALHOST, 0:0:..:1)', t_permitopen_forms),
        ('PermitOpen: the first line wins', t_permitopen_first_line),
        ('PermitOpen through ssh -L: allowed and refused',
         t_permitopen_L),
        ('key permitopen intersects PermitOpen',
         t_key_permitopen_intersects),
        ('PermitOpen any / none', t_permitopen_any_none),
        ('AllowTcpForwarding no / local / remote', t_allowtcpforwarding),
        ('DisableForwarding yes over AllowTcpForwarding yes',
         t_disableforwarding),
        ('Match User and Match Address override the global PermitOpen',
         t_match),
        ('Match LocalPort; the first applying block wins',
         t_match_localport),
        ('authorized_keys restrict/port-forwarding order, '
         'no-port-forwarding, restrict+permitopen', t_key_options),
        ('authorized_keys from= mismatch and past expiry-time: auth fails',
         t_key_from_expiry),
        ('PermitDestination CIDR allows, 10.0.0.0/8 does not; [::1/128]',
         t_dest_cidr),
        ('PermitDestination port range', t_dest_range),
        ('PermitDestination host glob local*', t_dest_glob),
        ('DenyDestination before PermitDestination (address and name)',
         t_dest_deny_first),
        ('a name resolving to a denied address', t_dest_resolved_denied),
        ('the daemon resolves localhost as the system does',
         t_localhost_like_system),
        ('guard: jumpgate\'s own listener refused', t_guard_own_listener),
        ('guard: a key\'s own permitopen= does not lift it (own '
         'listener, metadata address)', t_guard_key_permitopen),
        ('guard: lifted by a PermitOpen naming the host, and by '
         'DenySpecialDestinations no', t_guard_named_or_off),
    ])
