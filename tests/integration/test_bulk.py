#!/usr/bin/python3
"""64 MiB each direction through one ssh -L connection (test area b).

Why: the relay must move data both ways at once without losing, duplicating
or reordering a byte, across many window adjustments and with both
directions competing for the same session.  A duplex target sends 64 MiB
(then shuts down its write side) while it sinks 64 MiB from the client;
the client does the same through `ssh -L`.  sha256 and byte counts must be
identical on both ends, and the daemon's fd count must return to its
baseline afterwards.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

SIZE = int(os.environ.get('JG_BULK_BYTES', 64 << 20))


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.baseline = c.d.settled_fd_count()
    return c


def t_64m_each_way(c):
    up, down = J.Pattern(101, SIZE), J.Pattern(102, SIZE)
    tgt = J.Target(J.duplex_handler(down), name='duplex')
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    try:
        s = J.connect_local(lport)
        n, hx = J.tcp_duplex(s, up, timeout=T(600))
        s.close()
        conn = tgt.wait_done(1, timeout=T(300))[0]
        assert conn.error is None and 'send_error' not in conn.info, \
            'target error: %s %s' % (conn.error, conn.info)
        assert (conn.received, conn.received_sha) == (up.n, up.sha256()), \
            'upload: target got %d bytes sha %s; sent %d sha %s' % (
                conn.received, conn.received_sha, up.n, up.sha256())
        assert (n, hx) == (down.n, down.sha256()), \
            'download: client got %d bytes sha %s; target sent %d sha %s' % (
                n, hx, down.n, down.sha256())
        assert fwd.running(), fwd.stderr_text()
    finally:
        fwd.stop()
        tgt.close()
    c.d.wait_fds(c.baseline)


if __name__ == '__main__':
    J.main('bulk: 64 MiB each way through ssh -L', setup, [
        ('%d MiB each direction at once, sha256 identical' % (SIZE >> 20),
         t_64m_each_way),
    ])
