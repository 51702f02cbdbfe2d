#!/usr/bin/python3
"""Scale-out: two jumpgate instances behind HAProxy with PROXY protocol v2.

Why: a bastion runs as several instances behind a TCP load balancer, and
then every connection comes from the balancer.  Without the PROXY header
the audit log, from= and Match Address would all see the balancer; with
one instance killed, clients must still get in.  Both are shown here with
the real HAProxy of Debian (/usr/sbin/haproxy) and real OpenSSH clients.

Setup: two jumpgate daemons, one shared host key and one authorized_keys
directory, each with "ProxyProtocolFrom 127.0.0.1" and its own AuditLog
file; HAProxy (the configuration HAPROXY_CFG below, written to the test's
directory, run in the foreground with -db, stopped by its pid) listens on
127.0.0.1 in mode tcp, roundrobin, send-proxy-v2, health checks carrying
a PROXY v2 LOCAL header.  Clients bind 127.0.0.2 (ssh -b), so the address
they come from differs from HAProxy's own (127.0.0.1) and one known_hosts
line for HAProxy's port checks both instances (StrictHostKeyChecking yes).

Checks:
  * HAProxy's health checks mark both instances UP (stats socket).
  * The known_hosts line is really checked: with another key in it, ssh
    fails "Host key verification failed".
  * Four ssh -L sessions from 127.0.0.2 forward 256 KiB each way through
    an echo target (sha256); both instances served some (roundrobin);
    each session's auth.success and channel.open audit events are in one
    instance's audit log only, with client_addr 127.0.0.2 and the
    client_port ssh used (read with ss while it runs), and via_addr
    127.0.0.1 with one of HAProxy's own outbound ports; the instance's
    own log says "Accepted publickey for alice from 127.0.0.2 port P".
  * Failover: an ssh -L session held on the second instance, that
    instance killed with SIGKILL: the held session ends (its state was in
    the killed process), then ten ssh -W connections in a row, started at
    once, all forward their bytes, each audited by the first instance;
    HAProxy then reports the killed one DOWN.
"""

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

HAPROXY = '/usr/sbin/haproxy'
CLIENT = '127.0.0.2'    # the clients' address; HAProxy connects from .1
SESSIONS = 4
FAILOVER = 10

# What README's "Scale-out behind HAProxy" shows, with the test's ports.
HAPROXY_CFG = """\
global
    log stderr format raw local0 info
    stats socket {sock} mode 600 level admin
    # no chroot, user or daemon here: the test runs it in the foreground

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    # SSH sessions sit idle for long; jumpgate's ClientAliveInterval
    # keeps a live one from reaching these.
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    # A refused connect is retried, the last time on another server.
    retries 3
    option redispatch

frontend ssh
    bind 127.0.0.1:{port}
    default_backend jumpgate

backend jumpgate
    balance roundrobin
    # PROXY v2 on every connection, health checks included (they send a
    # LOCAL header); a refused connection marks the server down at once.
    default-server send-proxy-v2 check check-send-proxy inter 1s fall 2 rise 1 observe layer4 error-limit 1 on-error mark-down
    server jg1 127.0.0.1:{p1}
    server jg2 127.0.0.1:{p2}
"""


class HAProxy:
    """haproxy -db in its own process group, with a stats socket."""

    def __init__(self, env, backends):
        self.env = env
        self.port = J.free_port()
        self.sock = env.path('haproxy.sock')
        self.cfg = env.write('haproxy.cfg', HAPROXY_CFG.format(
            sock=self.sock, port=self.port, p1=backends[0].port,
            p2=backends[1].port))
        r = J.run([HAPROXY, '-c', '-q', '-f', self.cfg], timeout=T(60))
        assert r.rc == 0, r
        self.proc = J.Proc([HAPROXY, '-db', '-f', self.cfg], env=env,
                           name='haproxy')
        J.wait_until(lambda: self.servers() or not self.proc.running(),
                     T(60), 'the HAProxy stats socket')
        assert self.proc.running(), 'haproxy exited:\n' + \
            self.proc.stderr_text()

    def servers(self):
        """{server name: status} of the backend, from "show stat"."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(T(10))
                s.connect(self.sock)
                s.sendall(b'show stat\n')
                data = b''
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
        except OSError:
            return {}
        rows = csv.DictReader(io.StringIO(data.decode().lstrip('# ')))
        return {r['svname']: r['status'] for r in rows
                if r['pxname'] == 'jumpgate' and
                r['svname'] not in ('FRONTEND', 'BACKEND')}

    def wait_status(self, want):
        J.wait_until(lambda: all(self.servers().get(k, '').startswith(v)
                                 for k, v in want.items()),
                     T(60), 'HAProxy servers %r (now %r)'
                     % (want, self.servers()))

    def close(self):
        self.proc.stop()


def established(pid):
    """The established TCP connections of pid, as (local, peer) pairs of
    (address, port), from ss."""
    out = subprocess.run(['ss', '-tnpH', 'state', 'established'],
                         capture_output=True, text=True, check=True).stdout
    res = []
    for ln in out.splitlines():
        if 'pid=%d,' % pid not in ln:
            continue
        f = ln.split()
        res.append(tuple((a.rsplit(':', 1)[0], int(a.rsplit(':', 1)[1]))
                         for a in f[2:4]))
    return res


def ssh_cmd(c, extra, known_hosts=None):
    """OpenSSH through HAProxy from CLIENT, the host key checked."""
    args = J.ssh_args(c.key, c.ha.port, extra=['-b', CLIENT] + list(extra))
    kh = 'UserKnownHostsFile=' + (known_hosts or c.known_hosts)
    return [{'StrictHostKeyChecking=no': 'StrictHostKeyChecking=yes',
             'UserKnownHostsFile=/dev/null': kh}.get(a, a) for a in args]


def audit(d):
    """The events of d's audit log, one JSON object per line."""
    with open(d.audit) as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def setup(env, r):
    J.need(HAPROXY, 'ss')
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    hostkey = env.key('shared_host')
    c.jg = []
    for i in (1, 2):
        audit_path = env.path('audit%d.json' % i)
        d = J.Daemon(env, name='jg%d' % i, hostkey=hostkey, extra=(
            'ProxyProtocolFrom 127.0.0.1\nAuditLog %s' % audit_path))
        d.audit = audit_path
        c.jg.append(r.watch(d.start()))
    c.ha = c.closing(HAProxy(env, c.jg))
    key = hostkey.pub_line.split()[:2]
    c.known_hosts = env.write('known_hosts', '[127.0.0.1]:%d %s\n'
                              % (c.ha.port, ' '.join(key)))
    other = env.key('other_host').pub_line.split()[:2]
    c.wrong_hosts = env.write('wrong_hosts', '[127.0.0.1]:%d %s\n'
                              % (c.ha.port, ' '.join(other)))
    return c


def t_checks_up(c):
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'UP'})


def t_host_key_checked(c):
    r = J.run(ssh_cmd(c, ['-W', J.hostport('127.0.0.1', c.echo.port)],
                      known_hosts=c.wrong_hosts), input=b'x')
    assert r.rc == 255 and 'Host key verification failed' in r.err_text, r


def open_forward(c, name):
    """ssh -N -L through HAProxy; returns (proc, local port of -L, the
    client's own source port)."""
    lport = J.free_port()
    p = J.Proc(ssh_cmd(c, ['-N', '-v', '-o', 'ExitOnForwardFailure=yes',
                           '-L', '%d:127.0.0.1:%d' % (lport, c.echo.port)]),
               env=c.env, name=name)
    p.wait_stderr(r'Local forwarding listening on 127\.0\.0\.1 port %d'
                  % lport)
    conns = [lc for lc, pc in established(p.pid) if pc[1] == c.ha.port]
    assert len(conns) == 1 and conns[0][0] == CLIENT, conns
    return p, lport, conns[0][1]


def haproxy_out_ports(c):
    ports = {jg.port for jg in c.jg}
    return {lc[1] for lc, pc in established(c.ha.proc.pid)
            if pc[1] in ports}


def t_sessions(c):
    seen = []
    for i in range(SESSIONS):
        p, lport, cport = open_forward(c, 'ssh-L%d' % i)
        try:
            via = haproxy_out_ports(c)
            s = J.connect_local(lport)
            pat = J.Pattern(20 + i, 256 * 1024)
            n, hx = J.tcp_duplex(s, pat)
            s.close()
            assert (n, hx) == (pat.n, pat.sha256()), \
                'session %d: %d bytes back, sha %s' % (i, n, hx)
        finally:
            p.stop()
        seen.append((cport, via))
    used = set()
    for cport, via in seen:
        hits = []
        for d in c.jg:
            evs = [e for e in audit(d) if e.get('client_port') == cport and
                   e.get('client_addr') == CLIENT]
            if evs:
                hits.append((d, evs))
        assert len(hits) == 1, 'client port %d audited by %d instances' \
            % (cport, len(hits))
        d, evs = hits[0]
        used.add(d.name)
        kinds = [e['event'] for e in evs]
        assert 'auth.success' in kinds and 'channel.open' in kinds, evs
        for e in evs:
            assert e.get('via_addr') == '127.0.0.1' and \
                e.get('via_port') in via, (e, via)
        d.log.wait(r'^Accepted publickey for %s from %s port %d '
                   % (J.USER, re.escape(CLIENT), cport))
    assert used == {'jg1', 'jg2'}, 'only %s served' % used


def t_failover(c):
    jg1, jg2 = c.jg
    held = None
    for i in range(4):
        p, lport, cport = open_forward(c, 'ssh-held%d' % i)
        if jg2.log.has(r'^Accepted publickey for %s from %s port %d '
                       % (J.USER, re.escape(CLIENT), cport)):
            held = p
            break
        p.stop()
    assert held is not None, 'no session landed on jg2'
    n1 = len([e for e in audit(jg1) if e['event'] == 'auth.success'])
    os.kill(jg2.pid, signal.SIGKILL)
    jg2.proc.wait(T(30))
    rc = held.wait(T(60))
    assert rc == 255, 'the held session ended with %s' % rc
    pats = [J.Pattern(40 + i, 64 * 1024) for i in range(FAILOVER)]
    for i, pat in enumerate(pats):
        r = J.run(ssh_cmd(c, ['-W', J.hostport('127.0.0.1', c.echo.port)]),
                  input=pat.bytes())
        assert r.rc == 0 and J.sha(r.out) == pat.sha256(), \
            'connection %d after the kill: %r' % (i + 1, r)
    ok = [e for e in audit(jg1) if e['event'] == 'auth.success']
    assert len(ok) - n1 == FAILOVER, '%d logins on jg1 since the kill' % (
        len(ok) - n1)
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'DOWN'})
    # Killed on purpose: only its log is left to check.
    jg2.proc = None
    bad = [ln for ln in jg2.log.since(0) if J.SANITIZER.search(ln)]
    assert not bad, bad


if __name__ == '__main__':
    J.main('haproxy: two instances behind HAProxy with PROXY v2', setup, [
        ('HAProxy\'s PROXY v2 health checks mark both instances UP',
         t_checks_up),
        ('a known_hosts line with another key is refused', t_host_key_checked),
        ('%d ssh -L sessions from %s through HAProxy: bytes, both '
         'instances, the audit names the client and HAProxy'
         % (SESSIONS, CLIENT), t_sessions),
        ('one instance SIGKILLed: its session ends, %d new connections in '
         'a row get through the other' % FAILOVER, t_failover),
    ])
