#!/usr/bin/python3
"""Target names, resolved as the policy checked them (issue 8).

Why: a name rule is only as good as the name that is really looked up,
and an address family setting only as good as the lookups and sockets
that obey it.  A resolver that appends resolv.conf's search domains turns
"pg" into "pg.payments.internal" after `DenyDestination
*.payments.internal:*` has already passed it; AddressFamily inet that
still connects over IPv6, or listens there, is not what sshd means.

How: a DNS responder on 127.0.0.1 (jgdns.py) that answers from a table
and records every query, named by `ResolvConf FILE` (a real, documented
keyword, default /etc/resolv.conf); real OpenSSH `ssh -W` clients against
the real daemon; Python targets on 127.0.0.1 and ::1.  No query leaves
the machine: every daemon here has a ResolvConf naming only the
responder.

Checks:
  * ResolvConf works at all: "web.test" (in the table) reaches a target
    through the responder, which saw the query.
  * no search list: with "search payments.internal" in the ResolvConf
    file and "pg.payments.internal" in the table, `ssh -W pg:PORT` is
    refused as sshd words an unknown host ("connect_to pg: unknown host"),
    the target accepts nothing, the responder was asked "pg" and never
    "pg.payments.internal"; --explain answers the same (denied, exit 1).
  * AddressFamily any / inet / inet6 for targets: "dual.test" (A
    127.0.0.1, AAAA ::1) to a closed port tries both addresses, only
    127.0.0.1, only ::1 ("connect_next: start for host" lines), and the
    responder is asked only for A, resp. AAAA records; with inet, an open
    to dual.test reaches the 127.0.0.1 target and never the ::1 twin; the
    literal ::1 with inet is refused, without a connect.  --explain with
    inet lists only 127.0.0.1.
  * AddressFamily for listeners, as sshd: inet with "ListenAddress ::1"
    does not start (exit 255, "bad addr or host: ::1 (...)"); inet6
    without ListenAddress listens on :: only, not 0.0.0.0; -T prints
    "addressfamily inet6".
  * a ResolvConf file that cannot be read stops the daemon (exit 255,
    "ResolvConf FILE: cannot open") before it listens, and fails -t.
"""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgdns  # noqa: E402
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


def same_port_pair(c):
    """Echo targets on 127.0.0.1:P and [::1]:P, the same P."""
    return J.Target.same_port_pair(c, J.echo_handler, 't')


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.dns = c.closing(jgdns.Responder({
        'web.test': {'A': ['127.0.0.1']},
        'pg.payments.internal': {'A': ['127.0.0.1']},
        'dual.test': {'A': ['127.0.0.1'], 'AAAA': ['::1']},
    }))
    c.rconf = jgdns.resolv_conf(env, c.dns, search='payments.internal')
    c.t = c.closing(J.Target(J.echo_handler, '127.0.0.1', name='t'))
    c.t4, c.t6 = same_port_pair(c)
    base = ['Workers 1', 'ResolvConf %s' % c.rconf]
    c.d = r.watch(J.Daemon(env, name='search', extra='\n'.join(
        base + ['DenyDestination *.payments.internal:*'])).start())
    c.fam = {}
    for fam in ('any', 'inet', 'inet6'):
        # an inet6 daemon cannot listen on 127.0.0.1
        listen = ('::1',) if fam == 'inet6' else ('127.0.0.1',)
        c.fam[fam] = r.watch(J.Daemon(env, name='af-' + fam, listen=listen,
                                      extra='\n'.join(base + [
                                          'AddressFamily %s' % fam])).start())
    return c


def w(c, d, host, port, data=b'resolve probe\n'):
    return J.run(J.ssh_w_args(c.key, d, host, port, host=d.listen[0]),
                 input=data, env=c.env)


def explain(c, d, host, port):
    return J.run([J.daemon_path(), '-f', d.conf, '--explain',
                  'user=%s,addr=127.0.0.1,key=%s.pub' % (J.USER, c.key.path),
                  host, str(port)])


def t_resolvconf_used(c):
    c.dns.reset()
    before = len(c.t.conns)
    r = w(c, c.d, 'web.test', c.t.port)
    assert r.rc == 0 and r.out == b'resolve probe\n', r
    c.t.wait_conns(before + 1)
    assert 'A' in c.dns.asked('web.test'), \
        'the daemon did not ask the ResolvConf nameserver: %s' % (
            c.dns.asked(),)


def t_no_search_list(c):
    d = c.d
    c.dns.reset()
    m = d.mark()
    before = len(c.t.conns)
    r = w(c, d, 'pg', c.t.port, b'must never arrive\n')
    assert r.rc == 255 and 'open failed' in r.err_text, r
    d.log.wait(r'^connect_to pg: unknown host \(', m)
    time.sleep(0.1)
    asked = c.dns.asked()
    assert not c.dns.asked('pg.payments.internal'), \
        'the search list turned "pg" into pg.payments.internal past ' \
        'DenyDestination *.payments.internal:*; queries: %s' % (asked,)
    assert c.dns.asked('pg'), 'the name "pg" was never asked: %s' % (asked,)
    assert len(c.t.conns) == before, 'the target accepted a connection'
    assert not d.log.has(r'^connect_next: start for host pg ', m)
    c.dns.reset()
    r = explain(c, d, 'pg', c.t.port)
    assert r.rc == 1 and re.search(r'^denied: .* to pg port %d$'
                                   % c.t.port, r.out_text, re.M) and \
        'rule: connect_to pg: unknown host (' in r.out_text, r
    assert not c.dns.asked('pg.payments.internal'), c.dns.asked()


def tried(c, d, host):
    """The addresses the daemon tries for host, to a closed port."""
    closed = J.Closed()
    try:
        m = d.mark()
        r = w(c, d, host, closed.port)
        assert r.rc == 255, r
        d.log.wait(r'^connect_to %s port %d: failed\.$|^connect to %s port '
                   r'%d failed: |^connect_to %s: unknown host'
                   % ((re.escape(host), closed.port) * 2 +
                      (re.escape(host),)), m)
        return [x.group(1) for x in d.log.find(
            r'^connect_next: start for host %s \(\[(.+?)\]:%d\)$'
            % (re.escape(host), closed.port), m)]
    finally:
        closed.close()


def t_family_targets(c):
    want = {'any': ['127.0.0.1', '::1'], 'inet': ['127.0.0.1'],
            'inet6': ['::1']}
    types = {'any': {'A', 'AAAA'}, 'inet': {'A'}, 'inet6': {'AAAA'}}
    problems = []
    for fam, d in sorted(c.fam.items()):
        c.dns.reset()
        got = tried(c, d, 'dual.test')
        if sorted(got) != sorted(want[fam]):
            problems.append('AddressFamily %s: dual.test tried %s, expected '
                            '%s' % (fam, got, want[fam]))
        asked = set(c.dns.asked('dual.test'))
        if asked != types[fam]:
            problems.append('AddressFamily %s: asked for %s records, '
                            'expected %s' % (fam, sorted(asked),
                                             sorted(types[fam])))
    assert not problems, '\n'.join(problems)


def t_family_inet_connects_v4(c):
    d = c.fam['inet']
    b4, b6 = len(c.t4.conns), len(c.t6.conns)
    r = w(c, d, 'dual.test', c.t4.port)
    assert r.rc == 0 and r.out == b'resolve probe\n', r
    c.t4.wait_conns(b4 + 1)
    assert len(c.t6.conns) == b6, 'AddressFamily inet connected to ::1'
    # the literal ::1 is not an IPv4 address: refused, never connected
    m = d.mark()
    r = w(c, d, '::1', c.t6.port, b'must never arrive\n')
    assert r.rc == 255 and 'open failed' in r.err_text, r
    d.log.wait(r'^connect_to ::1: unknown host \(', m)
    assert not d.log.has(r'^connect_next: start', m)
    time.sleep(0.1)
    assert len(c.t6.conns) == b6, 'AddressFamily inet connected to ::1'


def t_family_explain(c):
    r = explain(c, c.fam['inet'], 'dual.test', c.t4.port)
    assert r.rc == 0, r
    addrs = re.findall(r'^address (\S+): ', r.out_text, re.M)
    assert addrs == ['127.0.0.1'], 'AddressFamily inet: --explain ' \
        'checked %s\n%s' % (addrs, r.out_text)
    r = explain(c, c.fam['any'], 'dual.test', c.t4.port)
    addrs = re.findall(r'^address (\S+): ', r.out_text, re.M)
    assert sorted(addrs) == ['127.0.0.1', '::1'], r.out_text


def t_family_listeners(c):
    env = c.env
    hk = env.key('host_af')
    common = ['HostKey %s' % hk.path,
              'AuthorizedKeysFile %s/%%u.keys' % env.authdir,
              'PidFile none', 'User root', 'StateDirectory %s' % env.statedir,
              'ResolvConf %s' % c.rconf]
    port = J.free_port('::1')
    conf = env.write('af-bad.conf', '\n'.join(
        common + ['Port %d' % port, 'AddressFamily inet',
                  'ListenAddress ::1']) + '\n')
    r = J.run([J.daemon_path(), '-f', conf, '-e'], timeout=T(60))
    assert r.rc == 255, 'AddressFamily inet with ListenAddress ::1 must ' \
        'not start (sshd: fatal "bad addr or host"); %r' % r
    assert re.search(r'bad addr or host: ::1 \(', r.err_text), r
    conf = env.write('af-v6.conf', '\n'.join(
        common + ['Port %d' % port, 'AddressFamily inet6']) + '\n')
    r = J.run([J.daemon_path(), '-f', conf, '-T'])
    assert r.rc == 0 and 'addressfamily inet6' in r.out_text.splitlines(), r
    p = J.Proc([J.daemon_path(), '-f', conf, '-e', '-o', 'LogLevel=DEBUG1'],
               env=env, name='af-v6')
    try:
        p.wait_stderr(r'Server listening on :: port %d\.' % port)
        time.sleep(0.3)
        txt = p.stderr_text()
        assert 'Server listening on 0.0.0.0' not in txt, txt
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(T(10))
            try:
                s.connect(('127.0.0.1', port))
                v4 = True
            except OSError:
                v4 = False
        assert not v4, 'AddressFamily inet6: 127.0.0.1:%d accepted' % port
    finally:
        p.stop()


def t_resolvconf_unreadable(c):
    env = c.env
    hk = env.key('host_rc')
    conf = env.write('rc-bad.conf', '\n'.join([
        'Port %d' % J.free_port(), 'ListenAddress 127.0.0.1',
        'HostKey %s' % hk.path, 'PidFile none', 'User root',
        'StateDirectory %s' % env.statedir,
        'ResolvConf %s' % env.path('no-such-resolv.conf')]) + '\n')
    r = J.run([J.daemon_path(), '-f', conf, '-e'], timeout=T(60))
    assert r.rc == 255, 'an unreadable ResolvConf must stop the daemon; ' \
        '%r' % r
    assert 'ResolvConf %s: cannot open' % env.path('no-such-resolv.conf') \
        in r.err_text, r
    # caught before anything listens, and by -t as well
    assert 'Server listening' not in r.err_text, r
    r = J.run([J.daemon_path(), '-t', '-f', conf], timeout=T(60))
    assert r.rc == 255 and 'ResolvConf' in r.err_text, r


if __name__ == '__main__':
    J.main('target resolution: search list, AddressFamily', setup, [
        ('ResolvConf names the nameserver the daemon asks',
         t_resolvconf_used),
        ('no search list: "pg" never becomes pg.payments.internal '
         '(daemon and --explain)', t_no_search_list),
        ('AddressFamily any/inet/inet6: which addresses are tried and '
         'which records asked', t_family_targets),
        ('AddressFamily inet: dual.test reaches 127.0.0.1 only; ::1 '
         'refused', t_family_inet_connects_v4),
        ('AddressFamily inet: --explain checks 127.0.0.1 only',
         t_family_explain),
        ('AddressFamily for listeners: inet + ListenAddress ::1 fails; '
         'inet6 listens on :: only', t_family_listeners),
        ('ResolvConf that cannot be read stops the daemon',
         t_resolvconf_unreadable),
    ])
