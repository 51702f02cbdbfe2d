#!/usr/bin/python3
"""Hostile load: thousands of stalled pre-authentication connections.

Why: a connection that never finishes its handshake costs an attacker one
socket; it must not cost the daemon much more, nor stop an honest client
from logging in and forwarding while it lasts.  With the default
MaxStartups the stalled ones must be dropped with sshd's lines, and the
daemon must serve again once they time out (LoginGraceTime) or close.

Checks:
  * MaxStartups 2001 (exactly the crowd plus one honest client, spread
    over Workers 2, so any per-worker share drops someone): 2,000 stalled
    clients (half send an SSH banner and
    then nothing, half send nothing at all) are all accepted ("Connection
    from" 2,000 times, no drop); meanwhile OpenSSH `ssh -W` to an echo
    target authenticates and carries its bytes (the time it took is
    printed).  The daemon's Pss and RSS before and after are printed, with
    the cost per stalled connection (README's limits section quotes it).
  * Default MaxStartups (10:30:100), LoginGraceTime 3: 300 stalled clients
    (half banner, half nothing): at most 100 are greeted, the rest get
    sshd's "Exceeded MaxStartups" notice and "drop connection #N from
    [127.0.0.1]:P on [127.0.0.1]:PORT past MaxStartups";
    "beginning MaxStartups throttling" is logged.  Once the greeted ones
    time out ("Timeout before authentication"), `ssh -W` works again and
    "exited MaxStartups throttling after ..." is logged.  Then 50 clients
    that connect and close at once are each closed or dropped, and
    `ssh -W` works after them.
"""

import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

NSTALL = 2000


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            raise J.Skip('RLIMIT_NOFILE hard limit %d < %d' % (hard, n))
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def setup(env, r):
    # ours: the stalled sockets; the daemon inherits it (two per session)
    raise_nofile(3 * NSTALL + 500)
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.big = r.watch(J.Daemon(env, name='big', loglevel='VERBOSE',
                             extra='Workers 2\nMaxStartups %d' % (NSTALL + 1)).start())
    c.dflt = r.watch(J.Daemon(env, name='default', loglevel='VERBOSE',
                              extra='LoginGraceTime 3').start())
    return c


def memory(pid):
    """(Pss, Rss) in KiB."""
    pss = rss = None
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for ln in f:
            if ln.startswith('Pss:'):
                pss = int(ln.split()[1])
            elif ln.startswith('Rss:'):
                rss = int(ln.split()[1])
    return pss, rss


def stall(d, n):
    """n connections, even ones send a banner, odd ones nothing."""
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(T(60))
        s.connect(('127.0.0.1', d.port))
        if i % 2 == 0:
            s.sendall(b'SSH-2.0-stalled_%d\r\n' % i)
        socks.append(s)
    return socks


def forward_ok(c, d):
    payload = b'through the crowd %d\n' % time.monotonic_ns()
    t0 = time.monotonic()
    r = J.run(J.ssh_w_args(c.key, d, '127.0.0.1', c.echo.port),
              input=payload, timeout=T(120))
    took = time.monotonic() - t0
    assert r.rc == 0 and r.out == payload, r
    return took


def t_many_stalled(c):
    d = c.big
    forward_ok(c, d)        # warm: first-use allocations are not per conn
    time.sleep(0.5)
    before = memory(d.pid)
    m = d.mark()
    socks = stall(d, NSTALL)
    try:
        d.log.wait(r'^Connection from 127\.0\.0\.1 port \d+ on ', m,
                   count=NSTALL, timeout=T(300))
        # the banners sent are read, the KEXINITs queued: let it settle
        time.sleep(1.0)
        after = memory(d.pid)
        took = forward_ok(c, d)
        assert not d.log.has(r'past MaxStartups', m), 'a connection dropped'
        d.assert_alive()
        print('# ssh -W authenticated and forwarded in %.2fs beside %d '
              'stalled connections' % (took, NSTALL))
        print('# daemon Pss %d -> %d KiB, RSS %d -> %d KiB: %.1f KiB Pss, '
              '%.1f KiB RSS per stalled connection'
              % (before[0], after[0], before[1], after[1],
                 (after[0] - before[0]) / NSTALL,
                 (after[1] - before[1]) / NSTALL))
    finally:
        for s in socks:
            s.close()


def t_default_maxstartups(c):
    d = c.dflt
    m = d.mark()
    socks = []
    greeted = dropped = 0
    try:
        for i in range(300):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(T(60))
            s.connect(('127.0.0.1', d.port))
            if i % 2 == 0:
                s.sendall(b'SSH-2.0-stalled_%d\r\n' % i)
            first = s.recv(64)
            if first.startswith(b'SSH-2.0-'):
                greeted += 1
                socks.append(s)
            else:
                assert first == b'Exceeded MaxStartups\r\n', first
                dropped += 1
                s.close()
        print('# default MaxStartups: %d greeted, %d dropped' %
              (greeted, dropped))
        assert greeted <= 100, '%d greeted past MaxStartups 100' % greeted
        assert dropped >= 200, dropped
        d.log.wait(r'^beginning MaxStartups throttling$', m)
        d.log.wait(r'^drop connection #\d+ from \[127\.0\.0\.1\]:\d+ on '
                   r'\[127\.0\.0\.1\]:%d past MaxStartups$' % d.port, m,
                   count=dropped)
        # LoginGraceTime 3: they all time out, and the daemon serves again
        d.log.wait(r'^Timeout before authentication for 127\.0\.0\.1 port',
                   m, count=greeted, timeout=T(120))
        forward_ok(c, d)
        d.log.wait(r'^exited MaxStartups throttling after \d\d:\d\d:\d\d, '
                   r'%d connections dropped$' % dropped, m)
    finally:
        for s in socks:
            s.close()
    # and a crowd that just closes frees its slots as well
    m = d.mark()
    socks = stall(d, 50)
    for s in socks:
        s.close()
    # (random early drop starts at 10: some are dropped at once instead)
    d.log.wait(r'^(Connection closed by 127\.0\.0\.1 port \d+ \[preauth\]|'
               r'drop connection #)', m, count=50)
    forward_ok(c, d)


if __name__ == '__main__':
    J.main('hostile load: stalled pre-auth connections', setup, [
        ('%d stalled clients, ssh -W still works; memory per connection'
         % NSTALL, t_many_stalled),
        ('default MaxStartups drops the crowd with sshd lines, serves after '
         'timeout', t_default_maxstartups),
    ])
