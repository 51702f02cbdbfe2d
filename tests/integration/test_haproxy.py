#!/usr/bin/python3
"""Scale-out: two jumpgate instances behind HAProxy with PROXY protocol v2.

Why: a bastion runs as several instances behind a TCP load balancer, and
then every connection comes from the balancer.  Without the PROXY header
the audit log, from= and Match Address would all see the balancer; with
one instance killed, clients must still get in.  Both are shown here with
the real HAProxy of Debian (/usr/sbin/haproxy) and real OpenSSH clients.

Setup: two jumpgate daemons, one shared host key and one authorized_keys
directory, each with "ProxyProtocolFrom 127.0.0.1" and its own AuditLog
file and admin listener; HAProxy (HAPROXY_CFG and READY_CFG below,
written to the test's directory, run in the foreground with -db, stopped
by its pid) listens on 127.0.0.1 in mode tcp, roundrobin, send-proxy-v2,
health checks carrying a PROXY v2 LOCAL header; a second backend, no
frontend of its own, checks GET /readyz on the admin ports.  Clients
bind 127.0.0.2 (ssh -b), so the address they come from differs from
HAProxy's own (127.0.0.1) and one known_hosts line for HAProxy's port
checks both instances (StrictHostKeyChecking yes).

Why these HAProxy settings: health checks ("check", with the PROXY v2
LOCAL header that check-send-proxy makes explicit) alone notice a dead
instance only after "fall" failed checks, and connections sent there
meanwhile would fail; "observe layer4" with "on-error mark-down" takes
it out at the first refused connection, and "retries" with "option
redispatch" moves that very connection to the other server, so no
client sees the failure.  The checks bring a restarted instance back.

Checks:
  * README.md shows HAPROXY_CFG and READY_CFG (README_CFG's addresses).
  * HAProxy's health checks mark both instances UP (stats socket: L4OK,
    and L7OK for /readyz).
  * The known_hosts line is really checked: with another key in it, ssh
    fails "Host key verification failed".
  * Four ssh -L sessions from 127.0.0.2 forward 256 KiB each way through
    an echo target (sha256); both instances served some (roundrobin);
    each session is in one instance's audit log only, auth.success,
    channel.open and channel.close (bytes each way exact), every event
    with client_addr 127.0.0.2 and the client_port ssh used (read with
    ss while it runs), and via_addr 127.0.0.1 with one of HAProxy's own
    outbound ports; the instance's own log says "Accepted publickey for
    alice from 127.0.0.2 port P".
  * Drain: an ssh -L session on the second instance sends half of 256
    KiB, SIGTERM: the readiness backend marks it DOWN with L7STS 503
    while the session runs, new ssh -W connections all get through (to
    the first instance's audit), HAProxy marks it DOWN, the held channel
    then finishes with every byte (sha256, and bytes_up/bytes_down in
    the drained instance's audit) and the daemon exits 0.  Started again
    on the same port, HAProxy marks it UP.
  * Failover: an ssh -L session held on the restarted instance, which is
    then killed with SIGKILL: the held session ends (ssh exits 255: its
    state was in the killed process), then ten ssh -W connections one
    after another, the first right after the kill, all forward their
    bytes and are audited by the first instance; HAProxy reports the
    killed one DOWN.
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
HALF = 128 * 1024

# What README's "Scale-out behind HAProxy" shows, with the test's ports.
HAPROXY_CFG = """\
global
    log stderr format raw local0 info
    stats socket {sock} mode 600 level admin
    # Debian's own global section (log /dev/log, chroot, user haproxy,
    # daemon) fits too; the test runs HAProxy in the foreground.

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
    bind {bind}
    default_backend jumpgate

backend jumpgate
    balance roundrobin
    # PROXY v2 on every connection, health checks included (they send a
    # LOCAL header); a refused connection marks the server down at once.
    default-server send-proxy-v2 check check-send-proxy inter 1s fall 2
    default-server rise 2 observe layer4 error-limit 1 on-error mark-down
    server jg1 {jg1}
    server jg2 {jg2}
"""
# Readiness instead: appended to HAPROXY_CFG here, shown apart in README.
READY_CFG = """\
backend jumpgate-ready
    balance roundrobin
    # /readyz on the admin port: 503 from SIGTERM on.  With "port" the
    # checks carry no PROXY header, which the admin listener does not read.
    option httpchk GET /readyz
    default-server send-proxy-v2 check inter 1s fall 1 rise 2
    server jg1 {jg1} port {a1}
    server jg2 {jg2} port {a2}
"""
# README shows them so, with these values.
README_CFG = {'sock': '/run/haproxy/admin.sock', 'bind': ':22',
              'jg1': '10.0.0.11:2222', 'jg2': '10.0.0.12:2222',
              'a1': '9122', 'a2': '9122'}


class HAProxy:
    """haproxy -db in its own process group, with a stats socket."""

    def __init__(self, env, backends):
        self.env = env
        self.port = J.free_port()
        self.sock = env.path('haproxy.sock')
        v = {'sock': self.sock, 'bind': '127.0.0.1:%d' % self.port,
             'jg1': '127.0.0.1:%d' % backends[0].port,
             'jg2': '127.0.0.1:%d' % backends[1].port,
             'a1': backends[0].admin, 'a2': backends[1].admin}
        self.cfg = env.write('haproxy.cfg', HAPROXY_CFG.format(**v) + '\n' +
                             READY_CFG.format(**v))
        r = J.run([HAPROXY, '-c', '-q', '-f', self.cfg], timeout=T(60))
        assert r.rc == 0, r
        self.proc = J.Proc([HAPROXY, '-db', '-f', self.cfg], env=env,
                           name='haproxy')
        J.wait_until(lambda: self.servers() or not self.proc.running(),
                     T(60), 'the HAProxy stats socket')
        assert self.proc.running(), 'haproxy exited:\n' + \
            self.proc.stderr_text()

    def servers(self, px='jumpgate'):
        """{server name: its "show stat" row} of backend px."""
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
        return {r['svname']: r for r in rows if r['pxname'] == px and
                r['svname'] not in ('FRONTEND', 'BACKEND')}

    def wait_status(self, want, px='jumpgate', check=None):
        """Waits until each server's status starts with want[server] and,
        with check, its last check's status is that (a server starts UP
        before its first check: "INI")."""
        def ok():
            now = self.servers(px)
            return all(now.get(k, {}).get('status', '').startswith(v) and
                       check in (None, now[k]['check_status'])
                       for k, v in want.items())
        try:
            J.wait_until(ok, T(60), 'HAProxy %s servers %r' % (px, want))
        except AssertionError as e:
            raise AssertionError('%s; now %r' % (e, {
                k: (r['status'], r['check_status'])
                for k, r in self.servers(px).items()}))
        return self.servers(px)

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


def start_jumpgate(c, name, port=None, admin=None):
    """One instance: the shared host key and authorized_keys directory,
    PROXY headers from HAProxy's address, its own audit file and admin
    listener."""
    audit_path = c.env.path(name + '.audit.json')
    admin = admin or J.free_port()
    d = J.Daemon(c.env, name=name, port=port, hostkey=c.hostkey, extra=(
        'ProxyProtocolFrom 127.0.0.1\nAuditLog %s\n'
        'AdminListen 127.0.0.1:%d' % (audit_path, admin)))
    d.audit, d.admin = audit_path, admin
    return c.runner.watch(d.start())


def gone(c, d):
    """d has exited (drained or killed): only its log is left to check."""
    c.runner.daemons.remove(d)
    d._logf.close()
    bad = [ln for ln in d.log.since(0) if J.SANITIZER.search(ln)]
    assert not bad, bad


def setup(env, r):
    J.need(HAPROXY, 'ss')
    c = J.Ctx(env=env, runner=r)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.hostkey = env.key('shared_host')
    c.jg = [start_jumpgate(c, 'jg1'), start_jumpgate(c, 'jg2')]
    c.ha = c.closing(HAProxy(env, c.jg))
    key = c.hostkey.pub_line.split()[:2]
    c.known_hosts = env.write('known_hosts', '[127.0.0.1]:%d %s\n'
                              % (c.ha.port, ' '.join(key)))
    other = env.key('other_host').pub_line.split()[:2]
    c.wrong_hosts = env.write('wrong_hosts', '[127.0.0.1]:%d %s\n'
                              % (c.ha.port, ' '.join(other)))
    return c


def t_readme(c):
    with open(os.path.join(J.REPO, 'README.md')) as f:
        text = f.read()
    for cfg in (HAPROXY_CFG, READY_CFG):
        want = ''.join(('    ' + ln) if ln.strip() else ln for ln in
                       cfg.format(**README_CFG).splitlines(True))
        assert want in text, 'README.md does not show:\n' + want


def t_checks_up(c):
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'UP'}, check='L4OK')
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'UP'}, 'jumpgate-ready', 'L7OK')


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


def audited(c, cport):
    """(daemon, events of its session) for the client's source port, once
    the channel's close is written (the audit has a writer thread)."""
    def find():
        hits = []
        for d in c.jg:
            evs = audit(d)
            auth = [e for e in evs if e['event'] == 'auth.success' and
                    e.get('client_addr') == CLIENT and
                    e.get('client_port') == cport]
            for a in auth:
                sess = [e for e in evs if e.get('session') == a['session']]
                if any(e['event'] == 'channel.close' for e in sess):
                    hits.append((d, sess))
        return hits
    hits = J.wait_until(find, T(60), 'the audit of client port %d' % cport)
    assert len(hits) == 1, 'client port %d audited %d times' % (cport,
                                                                len(hits))
    return hits[0]


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
        seen.append((cport, via, pat.n))
    used = set()
    for cport, via, n in seen:
        d, evs = audited(c, cport)
        used.add(d.name)
        kinds = [e['event'] for e in evs]
        assert kinds == ['auth.success', 'channel.open', 'channel.close'], \
            evs
        for e in evs:
            assert (e['client_addr'], e['client_port']) == (CLIENT, cport) \
                and e['via_addr'] == '127.0.0.1' and e['via_port'] in via, \
                (e, via)
        assert evs[1]['connected_port'] == c.echo.port, evs[1]
        assert (evs[2]['bytes_up'], evs[2]['bytes_down']) == (n, n), evs[2]
        d.log.wait(r'^Accepted publickey for %s from %s port %d '
                   % (J.USER, re.escape(CLIENT), cport))
    assert used == {'jg1', 'jg2'}, 'only %s served' % used


def session_on(c, d, name):
    """An ssh -L session that HAProxy sent to d (roundrobin: a few
    tries); returns (proc, local port of -L, client port)."""
    for i in range(4):
        p, lport, cport = open_forward(c, '%s%d' % (name, i))
        rx = r'^Accepted publickey for %s from %s port %d ' % (
            J.USER, re.escape(CLIENT), cport)
        on = J.wait_until(lambda: [x for x in c.jg if x.log.has(rx)],
                          T(60), 'the login of client port %d' % cport)
        if on == [d]:
            return p, lport, cport
        p.stop()
    raise AssertionError('no session landed on %s' % d.name)


def logins(d):
    return len([e for e in audit(d) if e['event'] == 'auth.success' and
                e['client_addr'] == CLIENT])


def new_connections(c, n, d, seed):
    """n ssh -W connections through HAProxy, one after another, each
    echoing its bytes; all of them must log in on d."""
    n0 = logins(d)
    for i in range(n):
        pat = J.Pattern(seed + i, 64 * 1024)
        r = J.run(ssh_cmd(c, ['-W', J.hostport('127.0.0.1', c.echo.port)]),
                  input=pat.bytes())
        assert r.rc == 0 and J.sha(r.out) == pat.sha256(), \
            'connection %d of %d: %r' % (i + 1, n, r)
    J.wait_until(lambda: logins(d) - n0 >= n, T(60),
                 '%d logins from %s in %s\'s audit' % (n, CLIENT, d.name))


def t_drain(c):
    jg1, jg2 = c.jg
    held, lport, cport = session_on(c, jg2, 'ssh-drained')
    s = J.connect_local(lport)
    s.settimeout(T(60))
    pat = J.Pattern(30, 2 * HALF)
    data = pat.bytes()
    s.sendall(data[:HALF])
    got = b''
    while len(got) < HALF:
        got += s.recv(HALF - len(got))
    m = jg2.mark()
    jg2.proc.send_signal(signal.SIGTERM)
    jg2.log.wait(r'^Received signal 15; terminating\.$', m)
    # Still serving its session, it says it is not ready.
    row = c.ha.wait_status({'jg2': 'DOWN'}, 'jumpgate-ready', 'L7STS')['jg2']
    assert row['check_code'] == '503', row
    new_connections(c, FAILOVER // 2, jg1, 50)
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'DOWN'})
    s.sendall(data[HALF:])
    s.shutdown(socket.SHUT_WR)
    while True:
        b = s.recv(262144)
        if not b:
            break
        got += b
    s.close()
    assert J.sha(got) == pat.sha256(), 'the drained session lost bytes'
    assert jg2.proc.wait(T(60)) == 0, jg2.proc.returncode
    closes = [e for e in audit(jg2) if e['event'] == 'channel.close' and
              e['client_port'] == cport]
    assert [(e['bytes_up'], e['bytes_down']) for e in closes] == \
        [(pat.n, pat.n)], closes
    held.wait(T(60))    # the session went with the daemon
    gone(c, jg2)
    # Back on the same port: HAProxy's check finds it again.
    c.jg[1] = start_jumpgate(c, 'jg2b', port=jg2.port, admin=jg2.admin)
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'UP'}, check='L4OK')
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'UP'}, 'jumpgate-ready', 'L7OK')


def t_failover(c):
    jg1, jg2 = c.jg
    held, _, _ = session_on(c, jg2, 'ssh-held')
    os.kill(jg2.pid, signal.SIGKILL)
    jg2.proc.wait(T(30))
    rc = held.wait(T(60))
    assert rc == 255, 'the held session ended with %s' % rc
    new_connections(c, FAILOVER, jg1, 40)
    c.ha.wait_status({'jg1': 'UP', 'jg2': 'DOWN'})
    gone(c, jg2)


if __name__ == '__main__':
    J.main('haproxy: two instances behind HAProxy with PROXY v2', setup, [
        ('README.md shows the haproxy.cfg used here', t_readme),
        ('HAProxy\'s PROXY v2 health checks mark both instances UP',
         t_checks_up),
        ('a known_hosts line with another key is refused', t_host_key_checked),
        ('%d ssh -L sessions from %s through HAProxy: bytes, both '
         'instances, the audit names the client and HAProxy'
         % (SESSIONS, CLIENT), t_sessions),
        ('one instance drains on SIGTERM: its session finishes, new ones '
         'go to the other; restarted, it is UP again', t_drain),
        ('one instance SIGKILLed: its session ends, %d new connections in '
         'a row get through the other' % FAILOVER, t_failover),
    ])
