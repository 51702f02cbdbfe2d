#!/usr/bin/python3
"""SIGTERM/SIGINT drain: stop accepting, let channels finish, exit 0.

Why: a deploy restarts the gateway; cutting every transfer at once turns
each restart into failed jobs.  On SIGTERM the daemon closes its
listeners (new connections are refused, so a load balancer moves on),
closes sessions that have no channel, and waits up to ShutdownGraceTime
for the open channels; then it closes what is left and exits 0.  A second
signal ends the wait at once, for an operator who cannot wait.

Checks (each with its own daemon, Workers 2):
  * ShutdownGraceTime 60, $NOTIFY_SOCKET a file socket: a channel sends
    half of 4 MiB, SIGTERM, "Received signal 15; terminating."; a new TCP
    connection is refused; an idle session (no channel) is closed at
    once; a new channel in the busy session is refused; the channel then
    sends the rest and closes: the sink has every byte (sha256), the
    daemon logs "every session closed" and exits 0; notify saw READY=1
    then STOPPING=1.
  * ShutdownGraceTime 1 with a channel that keeps sending: the daemon
    exits 0 at least 1 s after SIGTERM, saying "ShutdownGraceTime 1 s
    over" and "1 sessions with 1 channels closed"; the sink saw the
    channel end short of its bytes.
  * ShutdownGraceTime 300, a busy channel, SIGINT then SIGINT again: the
    second ends the drain ("second signal"); exit 0 long before 300 s.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402
from test_reload import Notify  # noqa: E402

HALF = 2 * 1024 * 1024


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.sink = c.closing(J.Target(J.sink_handler(), name='sink'))
    return c


def start(c, name, grace, notify=None):
    if notify is not None:
        os.environ['NOTIFY_SOCKET'] = notify.name
    try:
        return J.Daemon(c.env, name=name, extra='Workers 2\n'
                        'ShutdownGraceTime %s' % grace).start()
    finally:
        os.environ.pop('NOTIFY_SOCKET', None)


def exited(d, timeout=T(60)):
    """Waits for the daemon's own exit; checks status 0, no sanitizer."""
    try:
        d.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(d.proc.pid, signal.SIGKILL)
        d.proc.wait()
        raise AssertionError('%s still running %ss after the signal'
                             % (d.name, timeout))
    problems = d.stop()     # already exited: only the log checks count
    problems = [p for p in problems if 'already exited' not in p and
                not p.startswith('log tail')]
    assert d.proc.returncode == 0, 'exit status %s\n%s' % (
        d.proc.returncode, d.log.excerpt(0, 40))
    assert not problems, problems


def busy_channel(c, d):
    t, _ = J.paramiko_connect(d, c.key)
    ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.sink.port),
                        ('127.0.0.1', 1), timeout=T(60))
    return t, ch


def t_drain(c):
    import paramiko
    notify = c.closing(Notify(c.env.path('notify.sock')))
    d = start(c, 'drain', 60, notify)
    n0 = len(c.sink.conns)
    t, ch = busy_channel(c, d)
    idle, _ = J.paramiko_connect(d, c.key)
    p = J.Pattern(7, 2 * HALF)
    data = p.bytes()
    ch.sendall(data[:HALF])
    m = d.mark()
    d.proc.send_signal(signal.SIGTERM)
    d.log.wait(r'^Received signal 15; terminating\.$', m)
    d.log.wait(r'^worker_on_drain: worker \d: not accepting', m, count=2)
    try:
        socket.create_connection(('127.0.0.1', d.port), timeout=T(10))
        raise AssertionError('a new connection was accepted while draining')
    except ConnectionRefusedError:
        pass
    d.log.wait(r'^session_post: session \d+: closing 127\.0\.0\.1 port '
               r'\d+: the server is stopping and no channel is open$', m)
    deadline = time.monotonic() + T(30)
    while idle.is_active():
        assert time.monotonic() < deadline, 'the idle session stayed open'
        time.sleep(0.1)
    try:
        t.open_channel('direct-tcpip', ('127.0.0.1', c.sink.port),
                       ('127.0.0.1', 1), timeout=T(60)).close()
        raise AssertionError('a channel opened while draining')
    except paramiko.ChannelException:
        pass
    ch.sendall(data[HALF:])
    ch.shutdown_write()
    conn = c.sink.wait_done(n0 + 1)[n0]
    assert (conn.received, conn.received_sha) == (p.n, p.sha256()), \
        'sink got %d bytes' % conn.received
    ch.close()
    exited(d)
    d.log.wait(r'^main_on_drained: every session closed after', m)
    t.close()
    msgs = notify.wait(2)
    assert msgs == ['READY=1', 'STOPPING=1'], msgs


def keep_sending(ch, stop):
    blk = b'x' * 65536
    try:
        while not stop.is_set():
            ch.sendall(blk)
    except Exception:
        pass


def t_grace_cut(c):
    d = start(c, 'cut', 1)
    n0 = len(c.sink.conns)
    t, ch = busy_channel(c, d)
    stop = threading.Event()
    th = threading.Thread(target=keep_sending, args=(ch, stop), daemon=True)
    th.start()
    c.sink.wait_conns(n0 + 1)
    m = d.mark()
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    exited(d)
    took = time.monotonic() - t0
    stop.set()
    assert took >= 0.9, 'exited after %.2f s, before the grace time' % took
    d.log.wait(r'^main_on_grace: ShutdownGraceTime 1 s over', m)
    d.log.wait(r'^main: stopped after [\d.]+ s: 1 sessions with 1 channels '
               r'closed$', m)
    conn = c.sink.wait_done(n0 + 1)[n0]
    assert conn.received > 0, 'nothing arrived before the cut'
    t.close()
    th.join(T(30))


def t_second_signal(c):
    d = start(c, 'second', 300)
    n0 = len(c.sink.conns)
    t, ch = busy_channel(c, d)
    ch.sendall(b'y' * 1000)
    c.sink.wait_conns(n0 + 1)
    m = d.mark()
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGINT)
    d.log.wait(r'^main_drain: not accepting; waiting up to 300 s', m)
    d.proc.send_signal(signal.SIGINT)
    exited(d, timeout=T(120))
    assert time.monotonic() - t0 < 300, 'the second signal did not end it'
    assert re.search(r'second signal', '\n'.join(d.log.since(m))), \
        d.log.excerpt(m)
    t.close()


if __name__ == '__main__':
    J.main('SIGTERM drain', setup, [
        ('drain: refused connections, idle session closed, the channel '
         'finishes, exit 0, STOPPING=1', t_drain),
        ('ShutdownGraceTime 1 cuts a busy channel after about 1 s',
         t_grace_cut),
        ('a second SIGINT ends the drain at once', t_second_signal),
    ])
