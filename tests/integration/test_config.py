#!/usr/bin/python3
"""Configuration errors are caught up front; daemon lifecycle (area m).

Why: a typo in the config must stop the daemon with a message that
points at the line, not start a half-configured server.  `-t` is what
packaging and operators run before a restart.

Checks:
  * a valid config: `jumpgate -t -f CONF` exits 0; `-T` prints the
    effective config (lowercase keywords) including our port; `-V`
    prints a version and exits 0.
  * an unknown keyword on line 3: `-t` exits 255 and stderr names
    CONF:3; starting the daemon with it fails (non-zero exit, within a
    generous timeout) and nothing listens on its port.
  * a bad Port value on line 2: `-t` exits 255 naming CONF:2.
  * a missing config file: `-t` exits non-zero naming the path.
Lifecycle (a daemon is started for these):
  * `-E LOGFILE` logs to the file ("Server listening on ..." appears there)
    and `PidFile PATH` holds the daemon's pid while it runs.
  * SIGTERM while a session has a busy channel: the daemon exits within a
    generous timeout with status 0 or 255 and no sanitizer report, and the
    client's ssh ends instead of hanging.
"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


def setup(env, r):
    c = J.Ctx(env=env)
    c.hostkey = env.key('host')
    c.port = J.free_port()
    c.good = env.write('good.conf', '\n'.join([
        '# a valid configuration',
        'Port %d' % c.port,
        'ListenAddress 127.0.0.1',
        'HostKey %s' % c.hostkey.path,
        'AuthorizedKeysFile %s/%%u.keys' % env.authdir,
        'LogLevel DEBUG3',
        'PidFile none', 'User root',
        'StateDirectory %s' % env.statedir, '']))
    c.bad_kw = env.write('badkw.conf', '\n'.join([
        'Port %d' % c.port,
        'HostKey %s' % c.hostkey.path,
        'FrobnicateTheWidgets yes',
        'ListenAddress 127.0.0.1',
        'PidFile none', '']))
    c.bad_port = env.write('badport.conf', '\n'.join([
        'HostKey %s' % c.hostkey.path,
        'Port notaport',
        'ListenAddress 127.0.0.1',
        'PidFile none', '']))
    return c


def jg(args, timeout=T(60)):
    return J.run([J.daemon_path()] + args, timeout=timeout)


def t_valid(c):
    r = jg(['-t', '-f', c.good])
    assert r.rc == 0, r
    r = jg(['-T', '-f', c.good])
    assert r.rc == 0, r
    lines = r.out_text.splitlines()
    assert 'port %d' % c.port in lines, \
        '-T output lacks "port %d":\n%s' % (c.port, r.out_text)
    assert any(ln.startswith('hostkey ') and c.hostkey.path in ln
               for ln in lines), '-T output lacks hostkey:\n' + r.out_text
    r = jg(['-V'])
    assert r.rc == 0, r
    assert any(ch.isdigit() for ch in r.out_text + r.err_text), r


def t_unknown_keyword(c):
    r = jg(['-t', '-f', c.bad_kw])
    assert r.rc == 255, r
    assert '%s:3' % c.bad_kw in r.err_text, \
        'stderr does not name %s:3:\n%s' % (c.bad_kw, r.err_text)
    # and the daemon refuses to start with it
    r = jg(['-f', c.bad_kw, '-e', '-o', 'LogLevel=DEBUG3'], timeout=T(60))
    assert r.rc != 0, 'daemon ran with a bad config: %r' % r
    assert '%s:3' % c.bad_kw in r.err_text, r
    s = socket.socket()
    try:
        assert s.connect_ex(('127.0.0.1', c.port)) != 0, \
            'something listens on the port of the bad config'
    finally:
        s.close()


def t_bad_port(c):
    r = jg(['-t', '-f', c.bad_port])
    assert r.rc == 255, r
    assert '%s:2' % c.bad_port in r.err_text, \
        'stderr does not name %s:2:\n%s' % (c.bad_port, r.err_text)


def t_missing_file(c):
    path = c.env.path('does-not-exist.conf')
    r = jg(['-t', '-f', path])
    assert r.rc != 0, r
    assert path in r.err_text, r


def t_logfile_pidfile_sigterm_busy(c):
    env = c.env
    key = env.key('alice')
    env.authorize(J.USER, key)
    pidfile = env.path('jumpgate.pid')
    # the busy channel never ends: cut it after 1 s of drain, not 30
    d = J.Daemon(env, name='lifecycle', pidfile=pidfile, log_option='-E',
                 extra='ShutdownGraceTime 1')
    src = J.Target(J.source_handler(J.Pattern(501, 1 << 40)), name='source')
    ssh = None
    try:
        d.start()
        # written once every address is bound, a moment after the
        # "Server listening" lines the start waited for
        def pid_written():
            try:
                with open(pidfile) as f:
                    return f.read().strip() == str(d.pid)
            except OSError:
                return False
        J.wait_until(pid_written, T(30), 'the pid file to hold the pid')
        ssh = J.Proc(J.ssh_w_args(key, d, '127.0.0.1', src.port), env=env,
                     name='ssh-busy', stdout=subprocess.DEVNULL)
        conn = src.wait_conns(1)[0]
        J.wait_until(lambda: conn.sent >= (4 << 20), T(60),
                     'data flowing through the busy channel')
        problems = d.stop()
        assert not problems, '\n'.join(problems)
        ssh.wait(T(60))
        if not conn.done.wait(T(60)):
            raise AssertionError('target socket still open after the '
                                 'daemon exited')
        print('#   pid file after exit: %s'
              % ('still there' if os.path.exists(pidfile) else 'removed'))
    finally:
        if ssh is not None and ssh.running():
            ssh.stop()
        if d.alive():
            d.stop()
        src.close()


if __name__ == '__main__':
    J.main('configuration checks', setup, [
        ('valid config: -t exits 0, -T and -V print', t_valid),
        ('unknown keyword: -t exits 255 naming FILE:3; daemon will not start',
         t_unknown_keyword),
        ('bad Port value: -t exits 255 naming FILE:2', t_bad_port),
        ('missing config file: -t fails naming the path', t_missing_file),
        ('-E log file, PidFile, SIGTERM with a busy session',
         t_logfile_pidfile_sigterm_busy),
    ])
