#!/usr/bin/python3
"""sshd's login keywords in a hardened sshd_config, and sshd's permission
lines at authentication (issue 8, items 2 and 3).

Why: operators start from an sshd_config they already have.  Banner,
PermitRootLogin, AuthenticationMethods and PermitListen used to stop the
daemon (or, Banner, be dropped silently); now each is enforced or shown
to be no wider than what jumpgate does.  And sshd's debug lines naming
the forwarding permissions in force are what operators grep when a
forward is refused.

Checks:
  * Banner FILE: `ssh -v` prints the file's text before authenticating;
    a Match User block's Banner replaces it for that user (bob sees his,
    even as an unknown user), Banner none sends nothing.
  * PermitRootLogin no (global) and forced-commands-only (inside Match
    Address): root's key is refused with sshd's "ROOT LOGIN REFUSED FROM
    127.0.0.1 port P" then "Failed publickey for root from ..."; no
    forward.  The default (prohibit-password) lets root's key in.
  * AuthenticationMethods publickey and any load, and so does every
    well-formed PermitListen; AuthenticationMethods publickey,password
    and password are refused at load naming FILE:LINE; PermitListen with
    a bad port is refused naming FILE:LINE; -T prints each keyword as
    sshd does, -T -C applies Match.
  * At authentication: "allow admin local forwarding to host H port P"
    for each PermitOpen entry in force after Match (port 0 for "*"),
    before "Accepted publickey", and "allow user local forwarding to
    host H port P" for each permitopen= of the key, after it; the global
    PermitOpen a Match replaced is not listed.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

BANNER = 'Authorized use only: jumpgate test banner 7f3a\n'
BOB_BANNER = 'Hello bob, this is the Match banner 91c2\n'


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('alice')
    c.rootkey = env.key('root')
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    env.authorize(J.USER, c.key,
                  'permitopen="127.0.0.1:%d",permitopen="[::1]:*",'
                  'permitopen="127.0.0.1:4242"' % c.echo.port)
    env.authorize('root', c.rootkey)
    c.banner = env.write('banner.txt', BANNER)
    c.bob_banner = env.write('bob-banner.txt', BOB_BANNER)
    c.d = r.watch(J.Daemon(env, extra='\n'.join([
        'Banner %s' % c.banner,
        'PermitRootLogin no',
        'AuthenticationMethods publickey',
        'PermitListen 8080 localhost:80',
        'PermitOpen 127.0.0.1:1 somewhere:2',
        'Match User %s' % J.USER,
        'PermitOpen 127.0.0.1:%d [::1]:* db.internal:5432' % c.echo.port,
        'Match User bob',
        'Banner %s' % c.bob_banner])).start())
    c.dm = r.watch(J.Daemon(env, name='rootmatch', extra='\n'.join([
        'Banner none',
        'Match Address 127.0.0.1',
        'PermitRootLogin forced-commands-only'])).start())
    c.dd = r.watch(J.Daemon(env, name='defaults').start())
    return c


def echo_via(c, d, key, user):
    return J.run(J.ssh_w_args(key, d, '127.0.0.1', c.echo.port, user=user,
                              extra=['-v']),
                 input=b'ping\n', env=c.env)


def t_banner(c):
    r = echo_via(c, c.d, c.key, J.USER)
    assert r.rc == 0 and r.out == b'ping\n', r
    assert BANNER.strip() in r.err_text, r
    assert BOB_BANNER.strip() not in r.err_text, r
    # bob has no keys file: his Match banner still comes first
    r = echo_via(c, c.d, c.key, 'bob')
    assert r.rc == 255, r
    assert BOB_BANNER.strip() in r.err_text, r
    assert BANNER.strip() not in r.err_text, r
    # Banner none (and no Banner at all): nothing between the service
    # accept and the first list of methods
    for d in (c.dm, c.dd):
        r = echo_via(c, d, c.key, J.USER)
        assert r.rc == 0 and r.out == b'ping\n', r
        between = r.err_text.split('SSH2_MSG_SERVICE_ACCEPT received')[1]
        between = between.split('Authentications that can continue')[0]
        assert [ln for ln in between.splitlines()
                if ln.strip() and not ln.startswith('debug')] == [], between


def root_refused(c, d):
    m = d.mark()
    before = len(c.echo.conns)
    r = echo_via(c, d, c.rootkey, 'root')
    assert r.rc == 255 and r.out == b'', r
    assert 'Permission denied' in r.err_text, r
    d.log.in_order([
        r'^ROOT LOGIN REFUSED FROM 127\.0\.0\.1 port (\d+)$',
        r'^Failed publickey for root from 127\.0\.0\.1 port \d+ ssh2: '
        r'ED25519 %s$' % re.escape(c.rootkey.fingerprint)], m)
    assert not d.log.has(r'^Accepted publickey', m), d.log.excerpt(m)
    assert len(c.echo.conns) == before, 'root reached the target'


def t_root_login(c):
    root_refused(c, c.d)
    root_refused(c, c.dm)
    # --explain walks the same rule as the daemon
    for d in (c.d, c.dm):
        r = J.run([J.daemon_path(), '-f', d.conf, '--explain',
                   'user=root,addr=127.0.0.1,key=%s.pub' % c.rootkey.path,
                   '127.0.0.1', str(c.echo.port)], timeout=T(60))
        assert r.rc == 1, r
        assert 'rule: authentication: PermitRootLogin refuses root' in \
            r.out_text, r
    # the default lets a key in, as sshd's prohibit-password does
    m = c.dd.mark()
    r = echo_via(c, c.dd, c.rootkey, 'root')
    assert r.rc == 0 and r.out == b'ping\n', r
    c.dd.log.wait(r'^Accepted publickey for root from 127\.0\.0\.1 port', m)
    assert not c.dd.log.has(r'ROOT LOGIN REFUSED', m)


def check_conf(c, name, lines, want_rc, want=None, extra=()):
    path = c.env.path(name)
    if lines is not None:
        c.env.write(name, '\n'.join(
            ['HostKey %s' % c.d.hostkey.path, 'PidFile none',
             'ListenAddress 127.0.0.1', 'Port %d' % J.free_port()]
            + lines) + '\n')
    # as root, where the package's account may not exist
    r = J.run([J.daemon_path(), '-o', 'User=root', '-f', path] + list(extra),
              timeout=T(60))
    assert r.rc == want_rc, r
    if want is not None:
        text = r.err_text if want_rc != 0 else r.out_text
        assert re.search(want, text, re.M), (want, r)
    return r


def t_keywords_load(c):
    ok = ['AuthenticationMethods publickey', 'PermitListen none',
          'PermitRootLogin forced-commands-only', 'Banner /etc/issue.net']
    r = check_conf(c, 'ok.conf', ok, 0, extra=['-T'])
    for want in ('authenticationmethods publickey', 'permitlisten none',
                 'permitrootlogin forced-commands-only',
                 'banner /etc/issue.net'):
        assert re.search('^%s$' % re.escape(want), r.out_text, re.M), \
            (want, r)
    r = check_conf(c, 'ok2.conf', ['AuthenticationMethods any',
                                   'PermitListen 8080 [::1]:* *:443',
                                   'PermitRootLogin prohibit-password',
                                   'Match User root',
                                   'PermitRootLogin no',
                                   'AuthenticationMethods publickey'],
                   0, extra=['-T'])
    for want in ('authenticationmethods any', 'permitlisten 8080 [::1]:* '
                 '*:443', 'permitrootlogin without-password', 'banner none'):
        assert re.search('^%s$' % re.escape(want), r.out_text, re.M), \
            (want, r)
    r = check_conf(c, 'ok2.conf', None, 0,
                   extra=['-T', '-C', 'user=root,addr=127.0.0.1'])
    for want in ('authenticationmethods publickey', 'permitrootlogin no'):
        assert re.search('^%s$' % re.escape(want), r.out_text, re.M), \
            (want, r)
    # jumpgate cannot offer another method: refused, naming the line
    for n, bad in enumerate(('AuthenticationMethods publickey,password',
                             'AuthenticationMethods password',
                             'AuthenticationMethods publickey,publickey')):
        name = 'bad%d.conf' % n
        check_conf(c, name, ['LogLevel INFO', bad], 255,
                   r'%s:6: Unsupported option %s' % (re.escape(name),
                                                     re.escape(bad)),
                   extra=['-t'])
    check_conf(c, 'badlisten.conf', ['PermitListen host:0'], 255,
               r'badlisten\.conf:5: PermitListen bad port number',
               extra=['-t'])


def t_permission_lines(c):
    m = c.d.mark()
    r = echo_via(c, c.d, c.key, J.USER)
    assert r.rc == 0 and r.out == b'ping\n', r
    c.d.log.in_order([
        r'^allow admin local forwarding to host 127\.0\.0\.1 port %d$'
        % c.echo.port,
        r'^allow admin local forwarding to host ::1 port 0$',
        r'^allow admin local forwarding to host db\.internal port 5432$',
        r'^Accepted publickey for %s from 127\.0\.0\.1 port' % J.USER,
        r'^allow user local forwarding to host 127\.0\.0\.1 port %d$'
        % c.echo.port,
        r'^allow user local forwarding to host ::1 port 0$',
        r'^allow user local forwarding to host 127\.0\.0\.1 port 4242$'],
        m)
    # the global PermitOpen that Match replaced is not in force
    assert not c.d.log.has(r'forwarding to host (somewhere|127\.0\.0\.1 '
                           r'port 1$)', m), c.d.log.excerpt(m)
    assert len(c.d.log.find(r'^allow admin local', m)) == 3
    assert len(c.d.log.find(r'^allow user local', m)) == 3


if __name__ == '__main__':
    J.main('auth config', setup, [
        ('Banner: sent before authentication, Match replaces it', t_banner),
        ('PermitRootLogin no / forced-commands-only refuse root',
         t_root_login),
        ('AuthenticationMethods, PermitListen: load or FILE:LINE; -T',
         t_keywords_load),
        ('allow admin/user local forwarding lines at authentication',
         t_permission_lines),
    ])
