#!/usr/bin/python3
"""Unauthenticated clients cannot try forever (issue 8, item 1).

Why: before authentication anyone may talk to the daemon.  sshd counts
every failed request toward MaxAuthTries (but a first "none"), refuses a
change of user name in the middle, and looks the account up once; an
unlimited stream of "none" or "password" requests, each costing a
getpwnam and a stat on the event loop, is a cheap denial of service.

Checks (hostile paramiko Transports, MaxAuthTries 3):
  * password and keyboard-interactive requests count: after a free first
    "none", the third failed request ends the connection with sshd's
    "maximum authentication attempts exceeded for alice from 127.0.0.1
    port P ssh2 [preauth]" and "Disconnecting authenticating user alice
    127.0.0.1 port P: Too many authentication failures [preauth]".
  * repeated "none" requests count from the second one on.
  * an unknown user's requests count the same way, the lines say
    "invalid user bob".
  * changing the user name mid-auth (alice, then bob) ends the connection
    with sshd's "Disconnecting authenticating user alice 127.0.0.1 port P:
    Change of username or service not allowed: (alice,ssh-connection) ->
    (bob,ssh-connection) [preauth]"; bob then alice says "invalid user bob".
  * probes (publickey, no signature) of alice's key are answered but stop,
    as in sshd, at 1024 requests on one connection: the "none" and 1023
    "Postponed publickey" lines, then the MaxAuthTries lines.
  * MaxAuthTries 0: even the right key, sent first, is not accepted.
  * the daemon opens /etc/passwd (strace on the daemon) once for the
    session, not once per request, over five requests with a %h pattern
    first and over three with AuthorizedKeysFile DIR/%u.keys (no %h: the
    account is still looked up, as sshd does, for its state and groups).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

MAXTRIES = 3


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    c.wrong = env.key('mallory')
    env.authorize(J.USER, c.key)
    c.d = r.watch(J.Daemon(env, extra='MaxAuthTries %d' % MAXTRIES).start())
    c.d0 = r.watch(J.Daemon(env, name='maxtries0',
                            extra='MaxAuthTries 0').start())
    c.dh = r.watch(HomeDaemon(env, name='homedir',
                              extra='MaxAuthTries 10').start())
    return c


class HomeDaemon(J.Daemon):
    """A %h pattern first (alice has no account), then the usual file."""

    def _write_conf(self):
        J.Daemon._write_conf(self)
        with open(self.conf) as f:
            text = f.read()
        text = text.replace('AuthorizedKeysFile ',
                            'AuthorizedKeysFile %h/.jumpgate-test-none/%u ')
        self.env.write(self.name + '.conf', text)


def attempt(t, user, how):
    """One failing request; False once the daemon has hung up."""
    import paramiko
    try:
        if how == 'none':
            t.auth_none(user)
        elif how == 'password':
            t.auth_password(user, 'guess')
        elif how == 'kbdint':
            t.auth_interactive(user, lambda *a: ['guess'] * len(a[2]))
        else:
            t.auth_publickey(user, how.paramiko())
        raise AssertionError('%s request for %s succeeded' % (how, user))
    except (paramiko.BadAuthenticationType,
            paramiko.AuthenticationException) as e:
        if isinstance(e, paramiko.AuthenticationException) and \
                not t.is_active():
            return False
        return True
    except (paramiko.SSHException, EOFError, OSError):
        return False


def gone(t):
    J.wait_until(lambda: not t.is_active(), T(30), 'the daemon to hang up')
    return True


def limit_lines(c, m, lport, user, invalid):
    inv = 'invalid user ' if invalid else ''
    c.d.log.in_order([
        r'^maximum authentication attempts exceeded for %s%s from '
        r'127\.0\.0\.1 port %d ssh2 \[preauth\]$' % (inv, user, lport),
        r'^Disconnecting %s user %s 127\.0\.0\.1 port %d: Too many '
        r'authentication failures \[preauth\]$'
        % ('invalid' if invalid else 'authenticating', user, lport)], m)


def t_password_counts(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        answered = [attempt(t, J.USER, 'none')]
        for how in ('password', 'kbdint', 'password', 'password', 'password'):
            ok = attempt(t, J.USER, how)
            answered.append(ok)
            if not ok:
                break
        # none (free), password, kbdint answered; the third failure ends it
        assert answered == [True, True, True, False], answered
        assert gone(t)
        limit_lines(c, m, lport, J.USER, False)
        assert not c.d.log.has(r'invalid user', m), c.d.log.excerpt(m)
    finally:
        t.close()


def t_none_counts(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        answered = []
        for _ in range(MAXTRIES + 3):
            ok = attempt(t, J.USER, 'none')
            answered.append(ok)
            if not ok:
                break
        assert answered == [True] * MAXTRIES + [False], answered
        limit_lines(c, m, lport, J.USER, False)
    finally:
        t.close()


def t_invalid_user_counts(c):
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        answered = []
        for how in ('password', 'none', c.key, 'kbdint', 'password'):
            ok = attempt(t, 'bob', how)
            answered.append(ok)
            if not ok:
                break
        assert answered == [True, True, False], answered
        c.d.log.in_order([
            r'^Invalid user bob from 127\.0\.0\.1 port %d$' % lport,
            r'^Failed publickey for invalid user bob from 127\.0\.0\.1 port '
            r'%d ssh2: ED25519 %s$' % (lport, re.escape(c.key.fingerprint))],
            m)
        limit_lines(c, m, lport, 'bob', True)
        assert len(c.d.log.find(r'^Invalid user bob', m)) == 1
    finally:
        t.close()


def t_user_change(c):
    for first, second, who in ((J.USER, 'bob', 'authenticating'),
                               ('bob', J.USER, 'invalid')):
        m = c.d.mark()
        t, lport = J.paramiko_connect(c.d, c.key, auth=False)
        try:
            assert attempt(t, first, 'none')
            assert not attempt(t, second, 'none'), \
                'user change %s -> %s was answered' % (first, second)
            c.d.log.wait(
                r'^Disconnecting %s user %s 127\.0\.0\.1 port %d: Change of '
                r'username or service not allowed: \(%s,ssh-connection\) -> '
                r'\(%s,ssh-connection\) \[preauth\]$'
                % (who, first, lport, first, second), m)
            assert not c.d.log.has(r'^Invalid user %s' % second, m), \
                c.d.log.excerpt(m)
        finally:
            t.close()
    # and nothing lets the second name in on the same connection
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    try:
        assert attempt(t, 'bob', c.key)
        try:
            t.auth_publickey(J.USER, c.key.paramiko())
        except Exception:
            pass
        assert not t.is_authenticated()
        assert not c.d.log.has(r'^Accepted publickey', m), c.d.log.excerpt(m)
    finally:
        t.close()


def t_probe_flood(c):
    """Probes (publickey without a signature) of an authorized key are
    answered PK_OK and never fail, so only sshd's bound of 1024 requests
    per connection stops them."""
    import paramiko
    from paramiko import auth_handler
    from paramiko.common import MSG_USERAUTH_INFO_REQUEST, \
        cMSG_USERAUTH_REQUEST
    table = auth_handler.AuthHandler._client_handler_table
    m = c.d.mark()
    t, lport = J.paramiko_connect(c.d, c.key, auth=False)
    # PK_OK shares its number with INFO_REQUEST: let paramiko ignore it
    ignore = dict(table)
    ignore[MSG_USERAUTH_INFO_REQUEST] = lambda self, msg: None
    auth_handler.AuthHandler._client_handler_table = ignore
    try:
        assert attempt(t, J.USER, 'none')
        blob = c.key.paramiko().asbytes()
        for _ in range(1100):
            p = paramiko.Message()
            p.add_byte(cMSG_USERAUTH_REQUEST)
            p.add_string(J.USER)
            p.add_string('ssh-connection')
            p.add_string('publickey')
            p.add_boolean(False)
            p.add_string('ssh-ed25519')
            p.add_string(blob)
            try:
                t._send_message(p)
            except (paramiko.SSHException, EOFError, OSError):
                break
        assert gone(t)
    finally:
        auth_handler.AuthHandler._client_handler_table = table
        t.close()
    limit_lines(c, m, lport, J.USER, False)
    # the "none", then 1023 probes: request 1025 is not looked at
    n = len(c.d.log.find(r'^Postponed publickey for %s from 127\.0\.0\.1 '
                         r'port %d ssh2 \[preauth\]$' % (J.USER, lport), m))
    assert n == 1023, '%d probes answered' % n


def t_maxtries_zero(c):
    """MaxAuthTries 0: nothing is tried, not even a right key sent as the
    first request (sshd's "failures < max_authtries" guard)."""
    m = c.d0.mark()
    t, lport = J.paramiko_connect(c.d0, c.key, auth=False)
    try:
        assert not attempt(t, J.USER, c.key)
        assert not t.is_authenticated()
    finally:
        t.close()
    c.d0.log.wait(r'^Disconnecting authenticating user %s 127\.0\.0\.1 port '
                  r'%d: Too many authentication failures \[preauth\]$'
                  % (J.USER, lport), m)
    assert not c.d0.log.has(r'^Accepted publickey', m), c.d0.log.excerpt(m)


class Strace:
    """strace attached to every thread of a running daemon, tracing opens."""

    def __init__(self, env, daemon, name):
        J.need('strace')
        self.out = env.path(name + '.strace')
        self.pid = daemon.pid
        self.p = J.Proc(['strace', '-f', '-qq', '-e', 'trace=open,openat',
                         '-o', self.out, '-p', str(daemon.pid)], env=env,
                        name=name)
        ntask = len(os.listdir('/proc/%d/task' % daemon.pid))
        # strace -f -p attaches each thread of the process in turn
        J.wait_until(lambda: self._traced() >= ntask or not self.p.running(),
                     T(30), 'strace to attach')
        assert self.p.running(), self.p.stderr_text()

    def _traced(self):
        """How many of the daemon's threads strace has attached."""
        n = 0
        try:
            for tid in os.listdir('/proc/%d/task' % self.pid):
                with open('/proc/%d/task/%s/status' % (self.pid, tid)) as f:
                    if re.search(r'^TracerPid:\s*%d$' % self.p.pid,
                                 f.read(), re.M):
                        n += 1
        except OSError:
            pass
        return n

    def opens(self, path):
        self.p.stop()
        with open(self.out) as f:
            return len(re.findall(r'open(?:at)?\(.*"%s"' % re.escape(path),
                                  f.read()))


def passwd_opens(c, d, name, requests):
    st = Strace(c.env, d, name)
    t, lport = J.paramiko_connect(d, c.key, auth=False)
    try:
        for how in requests:
            assert attempt(t, J.USER, how), how
    finally:
        t.close()
    # the daemon saw the last request: its reply came back
    time.sleep(0.2)
    return st.opens('/etc/passwd')


def t_no_getpwnam(c):
    reqs = ['none', 'password', 'none', c.wrong, 'kbdint']
    n = passwd_opens(c, c.dh, 'strace-home', reqs)
    assert n == 1, '%%h pattern: /etc/passwd opened %d times for one ' \
        'session of %d requests (want once)' % (n, len(reqs))
    # MaxAuthTries 3 would end this one: four requests only.  Without
    # %h the account is still looked up, once, as sshd does: its state
    # (expired, locked) and groups count (issue 9)
    n = passwd_opens(c, c.d, 'strace-nohome', reqs[:3])
    assert n == 1, 'no %%h pattern: /etc/passwd opened %d times for one ' \
        'session (want once)' % n


if __name__ == '__main__':
    J.main('auth limits', setup, [
        ('password and keyboard-interactive count toward MaxAuthTries',
         t_password_counts),
        ('a second "none" counts', t_none_counts),
        ('an unknown user is counted and named "invalid user"',
         t_invalid_user_counts),
        ('a change of user name mid-auth disconnects', t_user_change),
        ('probes of a good key stop at 1024 requests', t_probe_flood),
        ('MaxAuthTries 0 lets no key in', t_maxtries_zero),
        ('getpwnam once per session, not per request', t_no_getpwnam),
    ])
