#!/usr/bin/python3
"""sshd_config reuse (issue 9): Debian's stock file and a CIS-hardened
one load and every restriction in them holds; Include, the access lists,
StrictModes and account states work as in sshd.

Why: operators point jumpgate at the sshd_config they already have.
Debian's starts with an Include; a hardened one limits who may log in
with AllowGroups/AllowUsers/DenyUsers and relies on StrictModes.  A
restriction that loaded but was not enforced would leave an operator
believing in it.

Checks:
  * Debian's stock sshd_config (/usr/share/openssh/sshd_config, else
    /etc/ssh/sshd_config), included after the lines jumpgate needs,
    passes `jumpgate -t` and the daemon forwards through it.
  * A CIS-benchmark-style file loads with -t (and -T shows its values),
    and with real system accounts and groups made for the test:
    AllowGroups lets a member in and refuses a non-member ("none of
    user's groups are listed in AllowGroups") and a name without an
    account ("not in any group"); DenyUsers wins over AllowGroups; an
    expired account is refused ("Account X has expired"); a locked one
    ("!" password) gets in with UsePAM yes, as sshd with PAM, and is
    refused with UsePAM no ("not allowed because account is locked");
    a group-writable key file is refused by StrictModes ("Authentication
    refused: bad ownership or modes for file ..."); a key file that is a
    symlink to a root-only file is refused ("Permission denied"); the
    global AllowTcpForwarding no holds for a user no Match re-enables;
    the Banner file is sent; --explain gives the AllowGroups refusal as
    its rule.
  * Include: a glob in lexical order relative to the main file's
    directory, Include inside Match, an error in an included file named
    FILE:LINE by -t (exit 255); HostCertificate refused at load.
"""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

STOCK = [p for p in ('/usr/share/openssh/sshd_config', '/etc/ssh/sshd_config')
         if os.path.exists(p)]
TAG = 'jgc%d' % (os.getpid() % 100000)
BANNER = 'CIS banner for jumpgate 5e1d\n'

CIS = '''\
# CIS Debian benchmark, section 5.2 (SSH server), as a hardened site has it
Include /etc/ssh/sshd_config.d/*.conf
Protocol 2
LogLevel VERBOSE
MaxAuthTries 4
IgnoreRhosts yes
HostbasedAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
PermitUserEnvironment no
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512,hmac-sha2-256
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256
ClientAliveInterval 300
ClientAliveCountMax 3
LoginGraceTime 60
Banner {banner}
AllowTcpForwarding no
DisableForwarding yes
X11Forwarding no
AllowAgentForwarding no
PermitTunnel no
GatewayPorts no
MaxStartups 10:30:60
MaxSessions 10
UsePAM {usepam}
StrictModes yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowGroups {group}
DenyUsers {tag}deny
Match User {tag}ok,{tag}lock
    AllowTcpForwarding local
    DisableForwarding no
'''


def sh(*args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, (args, r.stderr)


def add_user(name, groups=()):
    sh('useradd', '-M', '-d', '/nonexistent', '-s', '/bin/sh',
       *(['-G', ','.join(groups)] if groups else []), name)
    atexit.register(subprocess.run, ['userdel', name],
                    stderr=subprocess.DEVNULL)


def setup(env, r):
    c = J.Ctx(env=env)
    c.key = env.key('user')
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    if os.geteuid() != 0 or shutil.which('useradd') is None:
        c.skip = 'needs root and useradd (real accounts and groups)'
        env.authorize('alice', c.key)
        return c
    c.skip = None
    # StrictModes walks up to "/": the key files must not sit under /tmp.
    c.safe = tempfile.mkdtemp(dir='/run', prefix='jg-sshdconf-')
    atexit.register(shutil.rmtree, c.safe, True)
    os.chmod(c.safe, 0o755)
    env.authdir = os.path.join(c.safe, 'authorized')
    os.mkdir(env.authdir)
    c.group = TAG + 'g'
    sh('groupadd', c.group)
    atexit.register(subprocess.run, ['groupdel', c.group],
                    stderr=subprocess.DEVNULL)
    c.users = {}
    for suffix, groups in (('ok', [c.group]), ('out', []),
                           ('deny', [c.group]), ('exp', [c.group]),
                           ('lock', [c.group]), ('gw', [c.group]),
                           ('link', [c.group]), ('nofwd', [c.group])):
        name = TAG + suffix
        add_user(name, groups)
        c.users[suffix] = name
    sh('usermod', '-e', '1', c.users['exp'])
    sh('usermod', '-p', '!locked', c.users['lock'])
    for name in list(c.users.values()) + ['alice']:
        env.authorize(name, c.key)
    os.chmod(os.path.join(env.authdir, c.users['gw'] + '.keys'), 0o664)
    # a root-only copy, reached through a symlink
    secret = os.path.join(c.safe, 'root-only.keys')
    shutil.copy(os.path.join(env.authdir, c.users['link'] + '.keys'), secret)
    os.chmod(secret, 0o600)
    os.unlink(os.path.join(env.authdir, c.users['link'] + '.keys'))
    os.symlink(secret, os.path.join(env.authdir, c.users['link'] + '.keys'))
    banner = os.path.join(c.safe, 'issue.net')
    with open(banner, 'w') as f:
        f.write(BANNER)
    for usepam in ('yes', 'no'):
        path = os.path.join(c.safe, 'cis-%s.conf' % usepam)
        with open(path, 'w') as f:
            f.write(CIS.format(banner=banner, usepam=usepam, group=c.group,
                               tag=TAG))
    c.cis = os.path.join(c.safe, 'cis-yes.conf')
    c.d = r.watch(J.Daemon(env, name='cis', strictmodes=True, extra=(
        'Include %s' % c.cis)).start())
    c.dnopam = r.watch(J.Daemon(env, name='cisnopam', strictmodes=True,
                                extra='Include %s' % os.path.join(
                                    c.safe, 'cis-no.conf')).start())
    return c


def need_accounts(c):
    if c.skip:
        raise J.Skip(c.skip)


def via(c, d, user, extra=()):
    return J.run(J.ssh_w_args(c.key, d, '127.0.0.1', c.echo.port, user=user,
                              extra=list(extra)),
                 input=b'ping\n', env=c.env)


def refused(c, d, user, regex):
    m = d.mark()
    r = via(c, d, user)
    assert r.rc == 255 and r.out == b'', r
    d.log.wait(regex, m)
    d.log.wait(r'^Failed publickey for invalid user %s from 127\.0\.0\.1'
               % re.escape(user), m)
    assert not d.log.has(r'^Accepted publickey', m), d.log.excerpt(m)


def t_stock(c):
    if not STOCK:
        raise J.Skip('no stock sshd_config on this machine')
    d = J.Daemon(c.env, name='stock', extra='Include %s' % STOCK[0])
    r = J.run([J.daemon_path(), '-t', '-f', d.conf], timeout=T(60))
    assert r.rc == 0, r
    d.start()
    try:
        r = via(c, d, 'alice')
        assert r.rc == 0 and r.out == b'ping\n', (r, d.log.excerpt())
        d.log.wait(r'^Accepted publickey for alice from 127\.0\.0\.1')
    finally:
        problems = d.stop()
    assert not problems, problems


def t_cis_loads(c):
    need_accounts(c)
    r = J.run([J.daemon_path(), '-T', '-f', c.d.conf], timeout=T(60))
    assert r.rc == 0, r
    for want in ('maxauthtries 4', 'logingracetime 60', 'permitrootlogin no',
                 'clientaliveinterval 300', 'maxstartups 10:30:60',
                 'allowgroups %s' % c.group, 'denyusers %sdeny' % TAG,
                 'strictmodes yes', 'usepam yes', 'allowtcpforwarding no',
                 'disableforwarding yes'):
        assert re.search('^%s$' % re.escape(want), r.out_text, re.M), \
            (want, r.out_text)


def t_cis_allowed(c):
    need_accounts(c)
    user = c.users['ok']
    m = c.d.mark()
    r = via(c, c.d, user, ['-v'])
    assert r.rc == 0 and r.out == b'ping\n', (r, c.d.log.excerpt(m))
    assert BANNER.strip() in r.err_text, r
    c.d.log.wait(r'^Accepted publickey for %s from 127\.0\.0\.1' % user, m)


def t_cis_lists(c):
    need_accounts(c)
    host = '127.0.0.1'
    refused(c, c.d, c.users['out'], r'^User %s from %s not allowed because '
            r"none of user's groups are listed in AllowGroups$"
            % (c.users['out'], re.escape(host)))
    refused(c, c.d, 'alice', r'^User alice from %s not allowed because not '
            r'in any group$' % re.escape(host))
    refused(c, c.d, c.users['deny'], r'^User %s from %s not allowed because '
            r'listed in DenyUsers$' % (c.users['deny'], re.escape(host)))
    # --explain says what the daemon does
    r = J.run([J.daemon_path(), '-f', c.d.conf, '--explain',
               'user=%s,addr=127.0.0.1,key=%s.pub' % (c.users['out'],
                                                      c.key.path),
               '127.0.0.1', str(c.echo.port)], timeout=T(60))
    assert r.rc == 1, r
    assert re.search(r"^rule: User %s from 127\.0\.0\.1 not allowed because "
                     r"none of user's groups are listed in AllowGroups$"
                     % c.users['out'], r.out_text, re.M), r


def t_cis_accounts(c):
    need_accounts(c)
    refused(c, c.d, c.users['exp'], r'^Account %s has expired$'
            % c.users['exp'])
    # UsePAM yes: sshd leaves "!" to PAM, which lets a key in
    r = via(c, c.d, c.users['lock'])
    assert r.rc == 0 and r.out == b'ping\n', (r, c.d.log.excerpt())
    refused(c, c.dnopam, c.users['lock'], r'^User %s not allowed because '
            r'account is locked$' % c.users['lock'])
    refused(c, c.dnopam, c.users['exp'], r'^Account %s has expired$'
            % c.users['exp'])


def t_cis_files(c):
    need_accounts(c)
    user = c.users['gw']
    m = c.d.mark()
    r = via(c, c.d, user)
    assert r.rc == 255, r
    c.d.log.wait(r'^Authentication refused: bad ownership or modes for file '
                 r'%s$' % re.escape(os.path.join(c.env.authdir,
                                                 user + '.keys')), m)
    assert not c.d.log.has(r'^Accepted publickey', m)
    user = c.users['link']
    m = c.d.mark()
    r = via(c, c.d, user)
    assert r.rc == 255, r
    c.d.log.wait(r"^Could not open user '%s' authorized keys '%s': "
                 r'Permission denied$'
                 % (user, re.escape(os.path.join(c.env.authdir,
                                                 user + '.keys'))), m)
    assert not c.d.log.has(r'^Accepted publickey', m)


def t_cis_forwarding(c):
    need_accounts(c)
    user = c.users['nofwd']
    m = c.d.mark()
    before = len(c.echo.conns)
    r = via(c, c.d, user)
    assert r.rc != 0 and r.out == b'', r
    c.d.log.wait(r'^Accepted publickey for %s' % user, m)
    assert len(c.echo.conns) == before, 'forwarded despite AllowTcpForwarding'


def check_t(path, rc, regex=None):
    r = J.run([J.daemon_path(), '-t', '-f', path], timeout=T(60))
    assert r.rc == rc, r
    if regex:
        assert re.search(regex, r.err_text, re.M), (regex, r)
    return r


def t_include(c):
    env = c.env
    base = env.path('inc')
    os.mkdir(base)
    os.mkdir(os.path.join(base, 'conf.d'))
    hk = env.key('inc_host')
    with open(os.path.join(base, 'conf.d', '20-b.conf'), 'w') as f:
        f.write('MaxAuthTries 2\n')
    with open(os.path.join(base, 'conf.d', '10-a.conf'), 'w') as f:
        f.write('MaxAuthTries 5\nMatch User bob\nPermitRootLogin no\n')
    with open(os.path.join(base, 'bob.conf'), 'w') as f:
        f.write('Banner /bob-banner\n')
    main = os.path.join(base, 'main.conf')
    with open(main, 'w') as f:
        f.write('User root\nHostKey %s\nPidFile none\n'
                'ListenAddress 127.0.0.1\n'
                'Port %d\nInclude conf.d/*.conf\nInclude none-*.conf\n'
                'LoginGraceTime 33\nMatch User carol\nInclude bob.conf\n'
                % (hk.path, J.free_port()))
    r = J.run([J.daemon_path(), '-T', '-f', main], timeout=T(60))
    assert r.rc == 0, r
    assert re.search('^maxauthtries 5$', r.out_text, re.M), r
    # after the Include, global again, not bob's block
    assert re.search('^logingracetime 33$', r.out_text, re.M), r
    r = J.run([J.daemon_path(), '-T', '-C', 'user=carol,addr=127.0.0.1,'
               'laddr=127.0.0.1,lport=22', '-f', main], timeout=T(60))
    assert r.rc == 0, r
    assert re.search('^banner /bob-banner$', r.out_text, re.M), r
    assert re.search('^permitrootlogin without-password$', r.out_text,
                     re.M), r
    with open(os.path.join(base, 'conf.d', '30-c.conf'), 'w') as f:
        f.write('# bad\nAllowUsers a@10.0.0.0/40\n')
    check_t(main, 255, r'%s:2: invalid AllowUsers pattern' % re.escape(
        os.path.join(base, 'conf.d', '30-c.conf')))
    with open(os.path.join(base, 'conf.d', '30-c.conf'), 'w') as f:
        f.write('HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n')
    check_t(main, 255, r'30-c\.conf:1: Unsupported option HostCertificate')


if __name__ == '__main__':
    J.main('sshd config', setup, [
        ("Debian's stock sshd_config loads (-t) and serves", t_stock),
        ('CIS-hardened sshd_config loads; -T shows it', t_cis_loads),
        ('CIS: a member of AllowGroups forwards, Banner sent', t_cis_allowed),
        ('CIS: AllowGroups, DenyUsers, no account: refused as sshd',
         t_cis_lists),
        ('CIS: expired refused; locked per UsePAM', t_cis_accounts),
        ('CIS: StrictModes and a symlink to a root-only file', t_cis_files),
        ('CIS: AllowTcpForwarding no holds without a Match', t_cis_forwarding),
        ('Include: glob order, relative, in Match, FILE:LINE', t_include),
    ])
