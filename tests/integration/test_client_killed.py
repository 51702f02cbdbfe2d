#!/usr/bin/python3
"""The client dies mid-transfer (test area g).

Why: clients vanish (laptop lid, kill -9, network loss).  The daemon must
notice the dead SSH connection, close every target socket of that session
(the target sees EOF or a reset, it must not be left hanging forever) and
free all its fds, or a long-running jump host slowly leaks.

Checks (fd baseline taken after a warm-up session):
  * download: ssh -W reading from a target that sends 1 GiB; ssh is
    SIGKILLed after 8 MiB arrived.  The target's send must fail or its
    peer close (it must not block for ever), the daemon's fd count
    returns to the baseline, and the log says so in sshd's words
    ("Connection closed by 127.0.0.1 port N", or for a reset "Read error
    from remote host 127.0.0.1 port N: Connection reset by peer").
  * upload: ssh -W fed endlessly on stdin to a sink; SIGKILL after 8 MiB
    reached the sink; the sink must see EOF or a reset; fds back to
    baseline.
  * three connections through one ssh -L, all mid-transfer; SIGKILL ssh;
    all three target sockets end; fds back to baseline.
  * the daemon still serves a new session afterwards.
"""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    r0 = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
               input=b'warm-up\n', env=c.env)
    assert r0.rc == 0 and r0.out == b'warm-up\n', r0
    c.baseline = c.d.settled_fd_count()
    print('# daemon fd baseline: %d' % c.baseline)
    return c


def popen_ssh(c, args, **kw):
    return subprocess.Popen(args, start_new_session=True,
                            env=J.client_env(c.env), **kw)


def t_kill_download(c):
    m = c.d.mark()
    tgt = J.Target(J.source_handler(J.Pattern(301, 1 << 30)), name='source')
    p = popen_ssh(c, J.ssh_w_args(c.key, c.d, '127.0.0.1', tgt.port),
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.DEVNULL)
    try:
        got = 0
        deadline = time.monotonic() + T(120)
        while got < (8 << 20):
            b = p.stdout.read1(1 << 20)
            assert b, 'ssh -W ended after %d bytes' % got
            got += len(b)
            assert time.monotonic() < deadline, 'download too slow to test'
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        conn = tgt.wait_conns(1)[0]
        # the target keeps writing until the daemon closes its socket
        if not conn.done.wait(T(60)):
            raise AssertionError(
                'target socket still open %ss after the client was killed '
                '(target sent %d bytes so far)' % (T(60), conn.sent))
        print('#   target: sent %d, error %s' % (conn.sent, conn.error))
        assert conn.sent < (1 << 30), 'the whole 1 GiB was sent?'
        c.d.wait_fds(c.baseline)
        # sshd's words for a vanished client (serverloop.c), after auth
        c.d.log.wait(r'^Connection closed by 127\.0\.0\.1 port \d+$|'
                     r'^Connection reset by 127\.0\.0\.1 port \d+$|'
                     r'^Read error from remote host 127\.0\.0\.1 port \d+: '
                     r'Connection reset by peer$', m)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        tgt.close()


def t_kill_upload(c):
    tgt = J.Target(J.sink_handler(), name='sink')
    p = popen_ssh(c, J.ssh_w_args(c.key, c.d, '127.0.0.1', tgt.port),
                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
    stop = threading.Event()

    def feeder():
        try:
            for chunk in J.Pattern(302, 1 << 40).chunks():
                if stop.is_set():
                    break
                p.stdin.write(chunk)
        except (BrokenPipeError, ValueError, OSError):
            pass
    th = threading.Thread(target=feeder, daemon=True)
    th.start()
    try:
        conn = tgt.wait_conns(1)[0]
        J.wait_until(lambda: conn.received >= (8 << 20) or conn.done.is_set(),
                     T(120), 'the sink to receive 8 MiB')
        assert not conn.done.is_set(), 'sink ended early: %s' % conn.error
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        stop.set()
        if not conn.done.wait(T(60)):
            raise AssertionError('target socket still open %ss after the '
                                 'client was killed' % T(60))
        print('#   sink: received %d, eof %s, error %s'
              % (conn.received, conn.eof, conn.error))
        c.d.wait_fds(c.baseline)
    finally:
        stop.set()
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        th.join(10)
        tgt.close()


def t_kill_with_three_channels(c):
    tgt = J.Target(J.duplex_handler(J.Pattern(303, 1 << 30)), name='duplex')
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    socks = []
    try:
        for i in range(3):
            s = J.connect_local(lport)
            s.sendall(J.pattern_bytes(310 + i, 1 << 20))
            socks.append(s)
        conns = tgt.wait_conns(3)
        for s in socks:     # make sure data flows on all three
            s.settimeout(T(60))
            assert s.recv(65536)
        J.wait_until(lambda: all(cn.received >= (1 << 20) for cn in conns),
                     T(60), 'each target connection to receive 1 MiB')
        fwd.kill(signal.SIGKILL)
        fwd.p.wait()
        for i, cn in enumerate(conns):
            if not cn.done.wait(T(60)):
                raise AssertionError('target connection %d still open %ss '
                                     'after the client was killed'
                                     % (i, T(60)))
        c.d.wait_fds(c.baseline)
    finally:
        for s in socks:
            s.close()
        fwd.stop()
        tgt.close()


def t_still_serving(c):
    c.d.assert_alive()
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=b'still here\n', env=c.env)
    assert r.rc == 0 and r.out == b'still here\n', r
    c.d.wait_fds(c.baseline)


if __name__ == '__main__':
    J.main('client killed mid-transfer', setup, [
        ('SIGKILL ssh -W during a download: target closed, fds freed',
         t_kill_download),
        ('SIGKILL ssh -W during an upload: target closed, fds freed',
         t_kill_upload),
        ('SIGKILL ssh -L with three busy channels: all targets closed',
         t_kill_with_three_channels),
        ('daemon still serving, fds at baseline', t_still_serving),
    ])
