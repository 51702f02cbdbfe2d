#!/usr/bin/python3
"""1.5 GiB each way through one channel with chacha20-poly1305 (test area j).

Why: SSH re-keys the session after about 1 GiB per direction with
chacha20-poly1305 (8-byte cipher blocks: 2^30 bytes), and earlier with a
RekeyLimit.  A key exchange in the middle of a busy channel is where
libssh-based servers lose or corrupt data: channel data must be queued
while KEXINIT is pending, both sides may start re-keying at the same
moment, and the daemon's own outbound rekey (libssh initiates it) happens
while it is pushing data.

How: `ssh -W -c chacha20-poly1305@openssh.com -o RekeyLimit=512M -v` to a
duplex target; Python feeds 1.5 GiB into ssh's stdin while reading 1.5
GiB from its stdout; the target sinks and sends at the same time (and
sends its EOF only after ours: ssh -W stops reading stdin once it gets
EOF).  Both
sha256 must match, and ssh -v must show at least two key exchanges after
the first (client-side RekeyLimit 512M gives three on the upload; the
download side makes libssh re-key at 1 GiB).

JG_HUGE_BYTES overrides the size (for quick manual runs).
"""

import hashlib
import os
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

SIZE = int(os.environ.get('JG_HUGE_BYTES', 3 << 29))     # 1.5 GiB


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.baseline = c.d.settled_fd_count()
    return c


def t_huge(c):
    up, down = J.Pattern(401, SIZE), J.Pattern(402, SIZE)
    tgt = J.Target(J.duplex_handler(down, eof_last=True), name='duplex')
    err_path = c.env.path('ssh-huge.err')
    errf = open(err_path, 'wb')
    p = subprocess.Popen(
        J.ssh_w_args(c.key, c.d, '127.0.0.1', tgt.port,
                     extra=['-v', '-c', 'chacha20-poly1305@openssh.com',
                            '-o', 'RekeyLimit=512M']),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
        start_new_session=True, env=J.client_env(c.env))
    watchdog = threading.Timer(T(1500), p.kill)
    watchdog.start()
    res = {}

    def feeder():
        h = hashlib.sha256()
        n = 0
        try:
            for chunk in up.chunks():
                p.stdin.write(chunk)
                h.update(chunk)
                n += len(chunk)
            p.stdin.close()
        except OSError as e:
            res['feed_error'] = repr(e)
        res['sent'] = (n, h.hexdigest())
    th = threading.Thread(target=feeder, daemon=True)
    th.start()
    try:
        h = hashlib.sha256()
        n = 0
        while True:
            b = p.stdout.read1(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        th.join(T(300))
        rc = p.wait(T(300))
        errf.close()
        with open(err_path, 'rb') as f:
            err = f.read().decode('utf-8', 'backslashreplace')
        assert 'feed_error' not in res, \
            'writing to ssh failed: %s\n%s' % (res['feed_error'], J.tail(err))
        assert rc == 0, 'ssh exit %s\n%s' % (rc, J.tail(err))
        assert (n, h.hexdigest()) == (down.n, down.sha256()), \
            'download: got %d bytes sha %s, expected %d sha %s' % (
                n, h.hexdigest(), down.n, down.sha256())
        conn = tgt.wait_done(1, timeout=T(120))[0]
        assert (conn.received, conn.received_sha) == (up.n, up.sha256()), \
            'upload: target got %d bytes sha %s, expected %d sha %s' % (
                conn.received, conn.received_sha, up.n, up.sha256())
        kex = len(re.findall(r'SSH2_MSG_NEWKEYS received', err))
        print('#   ssh -v: %d key exchanges in total' % kex)
        if SIZE >= (3 << 29):
            assert kex >= 3, 'expected re-keys during the transfer; ssh -v ' \
                'saw %d key exchange(s)' % kex
        log_mb = os.path.getsize(c.d.log_path) / 1e6
        print('#   daemon log size: %.1f MB' % log_mb)
    finally:
        watchdog.cancel()
        if p.poll() is None:
            p.kill()
            p.wait()
        if not errf.closed:
            errf.close()
        tgt.close()
    c.d.wait_fds(c.baseline)


if __name__ == '__main__':
    J.main('1.5 GiB each way with chacha20-poly1305 and rekeying', setup, [
        ('%.2f GiB each way through one channel, sha256 identical, rekeyed'
         % (SIZE / (1 << 30)), t_huge),
    ])
