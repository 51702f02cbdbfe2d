#!/usr/bin/python3
"""Half-close in both directions, no byte lost (test area f).

Why: TCP forwarding carries protocols that send a request, shut down
their write side and then read the answer (and the reverse).  The daemon
must map SSH_MSG_CHANNEL_EOF to shutdown(SHUT_WR) on the target and the
target's FIN to CHANNEL_EOF, while the other direction keeps flowing, and
it must flush everything buffered before sending EOF either way.

Payloads are 3 MiB, more than one channel window, so the EOF has to wait
behind queued data.

  client EOF first: client sends D then EOF; the target reads D to EOF
    (asserting it saw EOF, not a reset), then sends R and closes; the
    client must receive exactly R followed by EOF.
  target EOF first: the target sends S then shutdown(SHUT_WR) and reads;
    the client reads S to EOF, then sends D and EOF; the target must
    receive exactly D.
Both are run with paramiko (explicit shutdown_write) and ssh -L (socket
shutdown on the local side); client-EOF-first also with ssh -W (stdin
closed).  (ssh -W itself exits when it receives EOF, so it cannot do the
target-EOF-first case.)
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

SIZE = 3 << 20


def client_eof_first_handler(reply):
    def handler(sock, conn):
        n, hx, _ = J.recv_all(sock, conn)
        conn.received, conn.received_sha = n, hx
        if conn.error:
            return
        conn.sent, conn.sent_sha = J.send_pattern(sock, reply, conn)
        sock.shutdown(socket.SHUT_WR)
    return handler


def target_eof_first_handler(first):
    def handler(sock, conn):
        conn.sent, conn.sent_sha = J.send_pattern(sock, first, conn)
        sock.shutdown(socket.SHUT_WR)
        conn.info['shut'] = True
        n, hx, _ = J.recv_all(sock, conn)
        conn.received, conn.received_sha = n, hx
    return handler


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env).start())
    return c


def check_conn(conn, want_received):
    assert conn.eof and conn.error is None, \
        'target: eof=%s error=%s' % (conn.eof, conn.error)
    assert (conn.received, conn.received_sha) == \
        (want_received.n, want_received.sha256()), \
        'target received %d bytes sha %s, expected %d sha %s' % (
            conn.received, conn.received_sha, want_received.n,
            want_received.sha256())


def t_paramiko_client_eof(c):
    D, R = J.Pattern(201, SIZE), J.Pattern(202, SIZE)
    tgt = J.Target(client_eof_first_handler(R), name='target')
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', tgt.port),
                            ('127.0.0.1', 1), timeout=T(60))
        for chunk in D.chunks():
            ch.sendall(chunk)
        ch.shutdown_write()
        got = J.chan_recv_all(ch)
        conn = tgt.wait_done(1)[0]
        check_conn(conn, D)
        assert J.sha(got) == R.sha256(), \
            'client received %d bytes after its EOF, expected %d' % (
                len(got), R.n)
        ch.close()
    finally:
        t.close()
        tgt.close()


def t_paramiko_target_eof(c):
    S, D = J.Pattern(203, SIZE), J.Pattern(204, SIZE)
    tgt = J.Target(target_eof_first_handler(S), name='target')
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        ch = t.open_channel('direct-tcpip', ('127.0.0.1', tgt.port),
                            ('127.0.0.1', 1), timeout=T(60))
        got = J.chan_recv_all(ch)
        assert J.sha(got) == S.sha256(), \
            'client received %d bytes before EOF, expected %d' % (
                len(got), S.n)
        conn = tgt.wait_conns(1)[0]
        assert not conn.done.is_set(), \
            'target connection already finished: %s' % conn.error
        for chunk in D.chunks():
            ch.sendall(chunk)
        ch.shutdown_write()
        tgt.wait_done(1)
        check_conn(conn, D)
        ch.settimeout(T(60))
        rest = ch.recv(1)
        assert rest == b'', rest
        ch.close()
    finally:
        t.close()
        tgt.close()


def t_ssh_W_client_eof(c):
    D, R = J.Pattern(205, SIZE), J.Pattern(206, SIZE)
    tgt = J.Target(client_eof_first_handler(R), name='target')
    try:
        r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', tgt.port),
                  input=D.bytes(), env=c.env)
        assert r.rc == 0, r
        conn = tgt.wait_done(1)[0]
        check_conn(conn, D)
        assert J.sha(r.out) == R.sha256(), \
            'ssh -W got %d bytes after its EOF, expected %d' % (
                len(r.out), R.n)
    finally:
        tgt.close()


def t_ssh_L_target_eof(c):
    # ssh -W cannot do this one: the OpenSSH client force-drains a stdio
    # forward when it receives EOF ("FORCE input drain") and exits, so -L
    # (a plain TCP socket on the client side) is used instead.
    S, D = J.Pattern(207, SIZE), J.Pattern(208, SIZE)
    tgt = J.Target(target_eof_first_handler(S), name='target')
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    try:
        s = J.connect_local(lport, timeout=T(120))
        n, hx, _ = J.recv_all(s)
        assert (n, hx) == (S.n, S.sha256()), \
            'ssh -L client got %d bytes before EOF, expected %d' % (n, S.n)
        conn = tgt.wait_conns(1)[0]
        assert not conn.done.is_set(), \
            'target connection already finished: %s' % conn.error
        J.send_pattern(s, D)
        s.shutdown(socket.SHUT_WR)
        tgt.wait_done(1)
        check_conn(conn, D)
        assert s.recv(1) == b''
        s.close()
        assert fwd.running(), fwd.stderr_text()
    finally:
        fwd.stop()
        tgt.close()


def t_ssh_L_client_eof(c):
    D, R = J.Pattern(209, SIZE), J.Pattern(210, SIZE)
    tgt = J.Target(client_eof_first_handler(R), name='target')
    lport = J.free_port()
    fwd = J.SshForward(c.env, c.key, c.d,
                       ['-L', '127.0.0.1:%d:127.0.0.1:%d' % (lport, tgt.port)])
    try:
        s = J.connect_local(lport, timeout=T(120))
        J.send_pattern(s, D)
        s.shutdown(socket.SHUT_WR)
        n, hx, _ = J.recv_all(s)
        s.close()
        conn = tgt.wait_done(1)[0]
        check_conn(conn, D)
        assert (n, hx) == (R.n, R.sha256()), \
            'ssh -L client got %d bytes after its EOF, expected %d' % (n, R.n)
    finally:
        fwd.stop()
        tgt.close()


if __name__ == '__main__':
    J.main('half-close both ways', setup, [
        ('paramiko: client EOF, target still answers', t_paramiko_client_eof),
        ('paramiko: target EOF, client still sends', t_paramiko_target_eof),
        ('ssh -W: stdin EOF, target still answers', t_ssh_W_client_eof),
        ('ssh -L: client EOF, target still answers', t_ssh_L_client_eof),
        ('ssh -L: target EOF, client still sends', t_ssh_L_target_eof),
    ])
