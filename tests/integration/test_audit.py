#!/usr/bin/python3
"""The JSON audit log (AuditLog): one event per line, every field checked.

Why: a bastion's operator must answer "who reached what, from where, and
how much" from one file, without grepping debug lines, and a hostile
client must not be able to break the file's JSON or forge an event.

Checks:
  * ssh -W with a known byte count: auth.success (user, key type and the
    SHA256 fingerprint ssh-keygen prints, key_source file:line, client
    port = the client's source port), channel.open (originator as sent,
    requested and connected address, the allowing rule), channel.close
    (bytes each way exactly what was sent, duration, reason), one session
    id for all three, RFC 3339 UTC times.
  * auth.failure for an unknown key (reason unknown_key, its fingerprint),
    an unknown user (invalid_user), a password attempt (method), and the
    MaxAuthTries cut (too_many_attempts).
  * channel.deny for each cause: policy (permitopen, with the rule),
    connect (closed port), resolve (a .invalid name), channel_type (a
    session channel); no channel.open for any of them.
  * close reasons: client_eof (ssh -W stdin ends), target_eof (the target
    closes first), idle_timeout (ChannelTimeout), session_closed.
  * hostile strings (quotes, backslashes, newlines, control bytes, invalid
    UTF-8 in the user name, originator and host) give one valid JSON line
    each, with the valid parts intact and bad bytes as U+FFFD.
  * SIGHUP reopens the file (log rotation: rename, HUP, new file).
  * AuditLog stdout writes the same lines to standard output.
  * a sink nobody reads (a FIFO whose reader never reads) stalls no
    worker: forwards keep working while thousands of events are made,
    and the daemon says it drops lines.
"""

import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

TIME_RX = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')


class Audit:
    """Reads an audit file; every line must be one JSON object."""

    def __init__(self, path):
        self.path = path

    def events(self, **match):
        out = []
        if not os.path.exists(self.path):
            return out
        with open(self.path, 'rb') as f:
            # a line still being written has no newline yet
            for raw in f.read().split(b'\n')[:-1]:
                ev = json.loads(raw.decode('utf-8'))   # strict: must parse
                assert isinstance(ev, dict), raw
                assert TIME_RX.match(ev['time']), ev
                if all(ev.get(k) == v for k, v in match.items()):
                    out.append(ev)
        return out

    def wait(self, count=1, timeout=T(60), **match):
        J.wait_until(lambda: len(self.events(**match)) >= count, timeout,
                     'audit %r x%d' % (match, count))
        return self.events(**match)


def setup(env, r):
    c = J.Ctx(env=env)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.k_permit = env.key('permit')
    env.authorize(J.USER, c.k_permit,
                  'permitopen="127.0.0.1:%d"' % c.echo.port)
    c.stranger = env.key('stranger')
    c.audit = Audit(env.path('audit.json'))
    c.d = r.watch(J.Daemon(env, extra='AuditLog %s\nMaxAuthTries 3\n'
                           'ChannelTimeout direct-tcpip=2'
                           % c.audit.path).start())
    return c


def t_forward_events(c):
    data = J.pattern_bytes(7, 100000)
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=data, env=c.env)
    assert r.rc == 0 and r.out == data, r
    close = c.audit.wait(event='channel.close', port=c.echo.port,
                         reason='client_eof')[-1]
    sid = close['session']
    auth = c.audit.events(event='auth.success', session=sid)
    opened = c.audit.events(event='channel.open', session=sid)
    assert len(auth) == 1 and len(opened) == 1, (auth, opened)
    a, o = auth[0], opened[0]
    assert a['user'] == J.USER and a['key_type'] == 'ED25519', a
    assert a['key_fp'] == c.key.fingerprint, (a, c.key.fingerprint)
    assert re.match(r'^/.*/authorized/%s\.keys:1$' % J.USER,
                    a['key_source']), a
    assert a['client_addr'] == '127.0.0.1' and a['via_addr'] is None, a
    # the client's own source port, as the daemon's text log has it
    m = c.d.log.find(r'Accepted publickey for %s from 127\.0\.0\.1 port '
                     r'(\d+) ' % J.USER)
    assert m and a['client_port'] > 0, a
    for ev in (o, close):
        assert ev['host'] == '127.0.0.1' and ev['port'] == c.echo.port, ev
        assert ev['connected_addr'] == '127.0.0.1', ev
        assert ev['connected_port'] == c.echo.port, ev
        assert ev['channel'] == 0 and ev['client_port'] == a['client_port']
        assert ev['key_fp'] == c.key.fingerprint, ev
        assert 'PermitOpen' in ev['rule'] or 'any' in ev['rule'] or \
            ev['rule'], ev
    assert close['bytes_up'] == len(data), close
    assert close['bytes_down'] == len(data), close
    assert 0 <= close['duration'] < T(60), close
    print('#   %s' % json.dumps(close))


def t_auth_failures(c):
    import paramiko
    t, _ = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        try:
            t.auth_publickey(J.USER, c.stranger.paramiko())
        except paramiko.AuthenticationException:
            pass
        try:
            t.auth_password(J.USER, 'secret')
        except (paramiko.AuthenticationException,
                paramiko.BadAuthenticationType):
            pass
    finally:
        t.close()
    f = c.audit.wait(event='auth.failure', reason='unknown_key',
                     key_fp=c.stranger.fingerprint)[-1]
    assert f['user'] == J.USER and f['key_type'] == 'ED25519', f
    assert f['key_source'] is None, f
    c.audit.wait(event='auth.failure', reason='method', user=J.USER)
    # an unknown user, then the MaxAuthTries (3) cut
    t, _ = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        for _ in range(4):
            try:
                t.auth_publickey('nosuchuser', c.stranger.paramiko())
            except paramiko.AuthenticationException:
                continue
            except (paramiko.SSHException, EOFError):
                break
    finally:
        t.close()
    c.audit.wait(event='auth.failure', reason='invalid_user',
                 user='nosuchuser')
    c.audit.wait(event='auth.failure', reason='too_many_attempts',
                 user='nosuchuser')
    assert not c.audit.events(event='auth.success', user='nosuchuser')


def expect_refused(t, host, port):
    import paramiko
    try:
        ch = t.open_channel('direct-tcpip', (host, port), ('10.9.8.7', 4242),
                            timeout=T(60))
    except paramiko.ChannelException:
        return
    ch.close()
    raise AssertionError('open of %s:%d was confirmed' % (host, port))


def t_channel_denials(c):
    import paramiko
    closed = J.Closed()
    t, _ = J.paramiko_connect(c.d, c.k_permit)
    try:
        expect_refused(t, '127.0.0.1', closed.port)
        d = c.audit.wait(event='channel.deny', port=closed.port)[-1]
        assert d['reason'] == 'policy', d
        assert 'permitopen' in d['rule'].lower(), d
        assert d['originator_host'] == '10.9.8.7', d
        assert d['originator_port'] == 4242 and d['channel'] is None, d
        assert d['key_fp'] == c.k_permit.fingerprint, d
    finally:
        t.close()
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        expect_refused(t, '127.0.0.1', closed.port)
        d = c.audit.wait(event='channel.deny', port=closed.port,
                         reason='connect')[-1]
        assert 'refused' in d['rule'].lower(), d
        expect_refused(t, 'nosuch.invalid', 22)
        d = c.audit.wait(event='channel.deny', host='nosuch.invalid')[-1]
        assert d['reason'] == 'resolve', d
        try:
            t.open_session(timeout=T(60))
            raise AssertionError('a session channel was confirmed')
        except paramiko.ChannelException:
            pass
        d = c.audit.wait(event='channel.deny', reason='channel_type')[-1]
        assert d['rule'] == 'session' and d['host'] is None, d
    finally:
        t.close()
        closed.close()
    assert not c.audit.events(event='channel.open', port=closed.port)
    assert not c.audit.events(event='channel.open', host='nosuch.invalid')


def t_close_reasons(c):
    # the target speaks and closes first
    def greet(sock, conn):
        sock.sendall(b'bye\n')
        sock.close()
    greeter = J.Target(greet, name='greeter')
    idle = J.Target(J.echo_handler, name='idle')
    try:
        t, _ = J.paramiko_connect(c.d, c.key)
        try:
            ch = t.open_channel('direct-tcpip', ('127.0.0.1', greeter.port),
                                ('127.0.0.1', 1), timeout=T(60))
            assert J.chan_recv_all(ch) == b'bye\n'
            ch.close()
            ev = c.audit.wait(event='channel.close', port=greeter.port)[-1]
            assert ev['reason'] == 'target_eof', ev
            assert ev['bytes_down'] == 4 and ev['bytes_up'] == 0, ev
            # ChannelTimeout direct-tcpip=2
            ch = t.open_channel('direct-tcpip', ('127.0.0.1', idle.port),
                                ('127.0.0.1', 1), timeout=T(60))
            ev = c.audit.wait(event='channel.close', port=idle.port,
                              timeout=T(60))[-1]
            assert ev['reason'] == 'idle_timeout', ev
            assert ev['duration'] >= 1.5, ev
            # a channel open when the session ends
            ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                                ('127.0.0.1', 2), timeout=T(60))
            ch.sendall(b'x')
            assert ch.recv(1) == b'x'
        finally:
            t.close()
        ev = c.audit.wait(event='channel.close', port=c.echo.port,
                          originator_port=2)[-1]
        assert ev['reason'] in ('session_closed', 'client_close'), ev
        assert ev['bytes_up'] == 1 and ev['bytes_down'] == 1, ev
    finally:
        greeter.close()
        idle.close()


def raw_auth_attempts(c, user_bytes):
    """Two userauth requests ("none", then "password") naming a raw
    user name: paramiko sends bytes as they are."""
    import paramiko
    t, _ = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        for attempt in (lambda: t.auth_none(user_bytes),
                        lambda: t.auth_password(user_bytes, 'pw')):
            try:
                attempt()
            except (paramiko.AuthenticationException,
                    paramiko.BadAuthenticationType):
                pass
    finally:
        t.close()


def t_hostile_strings(c):
    nasty = 'q"uo\\te\nnew\tline\x01\x7f \u2603'
    t, _ = J.paramiko_connect(c.d, c.key)
    try:
        expect_refused(t, nasty + '.invalid', 22)
        try:
            t.open_channel('direct-tcpip', ('127.0.0.1', J.Closed().port),
                           (nasty, 1), timeout=T(60))
        except Exception:
            pass
    finally:
        t.close()
    d = c.audit.wait(event='channel.deny', host=nasty + '.invalid')[-1]
    assert d['reason'] == 'resolve', d
    c.audit.wait(event='channel.deny', originator_host=nasty)
    # invalid UTF-8 in the user name: raw bytes through paramiko's Message
    raw_auth_attempts(c, b'ev\xffil\xc3(\n"x')
    ev = c.audit.wait(event='auth.failure', user='ev\ufffdil\ufffd(\n"x')
    assert ev[-1]['reason'] == 'method', ev
    with open(c.audit.path, 'rb') as f:
        for raw in f.read().split(b'\n'):
            if raw:
                raw.decode('utf-8')          # valid UTF-8, every line
                assert b'\n' not in raw


def t_sighup_reopens(c):
    rotated = c.audit.path + '.1'
    os.rename(c.audit.path, rotated)
    m = c.d.mark()
    os.kill(c.d.pid, signal.SIGHUP)
    c.d.log.wait(r'configuration reloaded', m)
    r = J.run(J.ssh_w_args(c.key, c.d, '127.0.0.1', c.echo.port),
              input=b'after rotation\n', env=c.env)
    assert r.rc == 0, r
    ev = c.audit.wait(event='channel.close', port=c.echo.port)
    assert ev[-1]['bytes_up'] == len(b'after rotation\n'), ev
    old = Audit(rotated)
    assert old.events(event='auth.success'), 'rotated file lost its events'
    assert len(c.audit.events(event='auth.success')) == 1


def t_stdout_sink(c):
    d = J.Daemon(c.env, name='stdout', extra='AuditLog stdout').start()
    try:
        r = J.run(J.ssh_w_args(c.key, d, '127.0.0.1', c.echo.port),
                  input=b'to stdout\n', env=c.env)
        assert r.rc == 0, r
        # jgtest sends the daemon's stdout and stderr to one log file
        d.log.wait(r'^\{"time":"[^"]+","event":"channel\.close".*'
                   r'"bytes_up":10,')
        for line in d.log.since():
            if line.startswith('{'):
                json.loads(line)
    finally:
        problems = d.stop()
        assert not problems, problems


def t_stalled_sink(c):
    import paramiko
    fifo = c.env.path('stalled.fifo')
    os.mkfifo(fifo)
    # a reader that never reads: the pipe fills, the writer blocks
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    d = J.Daemon(c.env, name='stalled', extra='AuditLog %s' % fifo).start()
    try:
        t, _ = J.paramiko_connect(d, c.k_permit)
        closed = J.Closed()
        try:
            # each policy refusal is one event of about 500 bytes: 4 MiB
            # of queue and 64 KiB of pipe are past after some 9,000
            for i in range(20000):
                try:
                    t.open_channel('direct-tcpip', ('127.0.0.1', closed.port),
                                   ('127.0.0.1', 1), timeout=T(60))
                except paramiko.ChannelException:
                    pass
                if i % 500 == 0 and \
                        d.log.has(r'dropping lines until it catches up'):
                    break
            d.log.wait(r'audit writer \d+ bytes behind: dropping lines')
            # the worker is not stalled: a forward still works
            ch = t.open_channel('direct-tcpip', ('127.0.0.1', c.echo.port),
                                ('127.0.0.1', 1), timeout=T(60))
            ch.sendall(b'still here')
            ch.shutdown_write()
            assert J.chan_recv_all(ch) == b'still here'
            r = J.run(J.ssh_w_args(c.key, d, '127.0.0.1', c.echo.port),
                      input=b'new session\n', env=c.env)
            assert r.rc == 0 and r.out == b'new session\n', r
        finally:
            t.close()
            closed.close()
    finally:
        # let the writer finish so the daemon can exit
        os.set_blocking(rfd, True)
        import threading
        stop = threading.Event()

        def drain():
            while not stop.is_set():
                try:
                    if not os.read(rfd, 1 << 20):
                        break
                except OSError:
                    break
        th = threading.Thread(target=drain, daemon=True)
        th.start()
        problems = d.stop()
        stop.set()
        os.close(rfd)
        assert not problems, problems


if __name__ == '__main__':
    J.main('audit', setup, [
        ('ssh -W: auth.success, channel.open, channel.close with exact '
         'bytes', t_forward_events),
        ('auth.failure: unknown key, password, invalid user, MaxAuthTries',
         t_auth_failures),
        ('channel.deny: policy, connect, resolve, channel type',
         t_channel_denials),
        ('close reasons: target_eof, idle_timeout, session end',
         t_close_reasons),
        ('hostile strings stay one valid JSON line', t_hostile_strings),
        ('SIGHUP reopens the audit file', t_sighup_reopens),
        ('AuditLog stdout', t_stdout_sink),
        ('a stalled audit sink stalls no worker', t_stalled_sink),
    ])
