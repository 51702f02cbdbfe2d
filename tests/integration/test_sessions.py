#!/usr/bin/python3
"""100 back-to-back short sessions (test area i).

Why: a jump host sees a stream of short connections (`ssh -J` for one
command, health checks).  Per-session state that is not fully released
(an fd, a libevent event, a libssh session) or reused too early (fd
numbers recycled under a stale event) shows up only after many sessions.

Checks: 100 sequential `ssh -W` sessions to an echo target, each sending
one distinct line and requiring it back, exit status 0; none may hang
(each has its own generous timeout).  The log must show 100 "Accepted
publickey" lines, the echo target 100 finished connections, and the
daemon's fd count must return to its baseline.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

N = 100


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.baseline = c.d.settled_fd_count()
    return c


def t_back_to_back(c):
    m = c.d.mark()
    for i in range(N):
        line = b'session %d of %d: %s\n' % (i, N, J.pattern_bytes(i, 12).hex()
                                             .encode())
        r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
                  input=line, timeout=T(90), env=c.env)
        assert r.rc == 0 and r.out == line, 'session %d: %r' % (i, r)
    c.d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1 port \d+ '
                 r'ssh2: ED25519 ' % J.USER, m, count=N)
    c.echo.wait_done(N)
    c.d.wait_fds(c.baseline)
    c.d.assert_alive()


if __name__ == '__main__':
    J.main('back-to-back sessions', setup, [
        ('%d sequential ssh -W sessions, none hangs, fds freed' % N,
         t_back_to_back),
    ])
