#!/usr/bin/python3
"""--explain and -T -C answer exactly what README.md promises.

Why: the README's policy section shows `jumpgate --explain` sessions for
the three example configurations in packaging/examples/.  Operators copy
those files and trust those outputs; if the policy code, the examples or
the text drift apart, this test says which example no longer holds.

Checks:
  * every code block in README.md between <!-- policy:begin --> and
    <!-- policy:end --> whose first line starts with "$ jumpgate" and
    contains "--explain" is run (a trailing backslash continues the
    command line), against a temporary copy of packaging/examples/ in
    which "/etc/jumpgate/" is rewritten to the copy's path (configs,
    authorized_keys paths, key= and -f arguments); the output, with the
    copy's path written back as /etc/jumpgate/, must equal the block's
    remaining lines exactly, stderr must be empty, and the exit status
    must be 0 for "allowed:" and 1 for "denied:".  The number of such
    blocks must equal the number of "$ jumpgate ... --explain" lines in
    the section (no example silently skipped) and be at least one per
    example configuration.
  * `jumpgate -t -f` accepts each example configuration (rewritten the
    same way, with a host key generated for HostKey paths).
  * usage errors exit 255: key= missing, a bad port, an unreadable key
    file, an unknown field in the spec, the PORT argument missing, and
    -T -C with key=.
  * -T -C prints the effective policy for one connection with sshd -T's
    lowercase keywords: the bastion example for alice (her Match User
    block) and for a user without a block; a config written here with
    Match Address, LocalPort and All blocks (first applying block wins per
    keyword, DenyDestination accumulates, All applies to everyone).
  * --explain resolves as the daemon does (the same evdns code): "127.1",
    which glibc's getaddrinfo reads as 127.0.0.1 and evdns does not, gets
    the same verdict from --explain (denied, "connect_to 127.1: unknown
    host (...)", exit 1) as from a real daemon asked through `ssh -W`
    (refused, sshd's "connect_to 127.1: unknown host" line, the target
    on 127.0.0.1 accepts nothing); 127.0.0.1 is allowed by both.  The
    daemon's ResolvConf names a DNS responder on 127.0.0.1 (jgdns.py)
    that knows no names, so the lookup of "127.1" never leaves the
    machine.
"""

import atexit
import os
import re
import shlex
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgdns  # noqa: E402
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402

README = os.path.join(J.REPO, 'README.md')
EXAMPLES = os.path.join(J.REPO, 'packaging', 'examples')
ETC = '/etc/jumpgate/'


def policy_section():
    with open(README) as f:
        text = f.read()
    b = text.index('<!-- policy:begin -->')
    e = text.index('<!-- policy:end -->')
    assert b < e, 'policy markers out of order'
    return text[b:e]


def code_runs(section):
    """Code blocks of the section, split at blank lines: indented blocks
    (4 spaces or a tab) and ``` fenced blocks.  Each is a list of lines."""
    runs, cur, fenced = [], [], False

    def flush():
        if cur:
            runs.append(list(cur))
            cur.clear()
    for ln in section.splitlines():
        if ln.lstrip().startswith('```'):
            flush()
            fenced = not fenced
            continue
        if fenced:
            if ln.strip() == '':
                flush()
            else:
                cur.append(ln)
            continue
        if ln.startswith('    ') or ln.startswith('\t'):
            if ln.strip() == '':
                flush()
            else:
                cur.append(ln[4:] if ln.startswith('    ') else ln[1:])
        else:
            flush()
    flush()
    return runs


def readme_examples():
    """[(command line, expected output lines)] and the count of command
    lines seen anywhere in the section."""
    sec = policy_section()
    seen = len(re.findall(r'^\s*\$ jumpgate\b.*--explain', sec, re.M))
    out = []
    for run in code_runs(sec):
        if not (run[0].startswith('$ jumpgate') and '--explain' in run[0]):
            continue
        i, cmd = 0, ''
        while True:
            ln = run[i]
            i += 1
            if ln.endswith('\\') and i < len(run):
                cmd += ln[:-1] + ' '
                continue
            cmd += ln
            break
        out.append((cmd[2:].strip(), run[i:]))
    return out, seen


class Examples:
    """A copy of packaging/examples/ with /etc/jumpgate/ rewritten."""

    def __init__(self, env):
        # StrictModes (on in the examples) refuses key files under /tmp,
        # as sshd does: the copy goes where a real /etc/jumpgate could be
        if os.access('/run', os.W_OK):
            base = tempfile.mkdtemp(dir='/run', prefix='jg-explain-')
            os.chmod(base, 0o755)
            atexit.register(shutil.rmtree, base, True)
            self.dir = os.path.join(base, 'etc-jumpgate')
        else:
            self.dir = env.path('etc-jumpgate')
        shutil.copytree(EXAMPLES, self.dir)
        self.prefix = self.dir + '/'
        self.confs = []
        for name in sorted(os.listdir(self.dir)):
            p = os.path.join(self.dir, name)
            if not name.endswith('.conf') or not os.path.isfile(p):
                continue
            with open(p) as f:
                text = f.read()
            with open(p, 'w') as f:
                f.write(text.replace(ETC, self.prefix))
            self.confs.append(p)
        # authorized_keys files must not be group/world-writable copies
        for root, dirs, files in os.walk(self.dir):
            os.chmod(root, 0o755)
            for fn in files:
                os.chmod(os.path.join(root, fn), 0o644)

    def arg(self, a):
        return a.replace(ETC, self.prefix)

    def back(self, text):
        return text.replace(self.prefix, ETC)


def setup(env, r):
    c = J.Ctx(env=env)
    c.ex = Examples(env)
    c.examples, c.seen = readme_examples()
    # a real daemon for the resolver comparison
    c.key = env.key('alice')
    env.authorize(J.USER, c.key)
    c.dns = c.closing(jgdns.Responder({}))
    c.t = c.closing(J.Target(J.echo_handler, '127.0.0.1', name='t'))
    c.d = r.watch(J.Daemon(env, name='resolver', extra='\n'.join([
        'Workers 1', 'ResolvConf %s' % jgdns.resolv_conf(env, c.dns)])))
    c.d.start()
    return c


def jg(args, timeout=T(60)):
    return J.run([J.daemon_path()] + [str(a) for a in args], timeout=timeout)


def t_readme_found(c):
    assert c.examples, 'no "$ jumpgate ... --explain" code block found in ' \
        'the README policy section'
    assert len(c.examples) == c.seen, \
        ('%d "$ jumpgate ... --explain" lines in the README policy section '
         'but only %d are the first line of a code block (each example '
         'must be a code block of its own, output lines right below)'
         % (c.seen, len(c.examples)))
    confs = set()
    for cmd, _ in c.examples:
        m = re.search(r'-f\s+(\S+)', cmd)
        assert m, 'example without -f: %s' % cmd
        confs.add(os.path.basename(m.group(1)))
    for name in ('jumpgate.conf', 'gateway.conf', 'sidecar.conf'):
        assert name in confs, 'no README --explain example for %s' % name


def run_example(c, cmd, expected):
    argv = shlex.split(cmd)
    assert argv[0] == 'jumpgate', cmd
    r = jg([c.ex.arg(a) for a in argv[1:]])
    got = c.ex.back(r.out_text).splitlines()
    verdict = [ln for ln in expected if re.match(r'(allowed|denied): ', ln)]
    assert len(verdict) == 1, 'README example has no single verdict ' \
        'line:\n$ %s\n%s' % (cmd, '\n'.join(expected))
    want_rc = 0 if verdict[0].startswith('allowed') else 1
    problems = []
    if got != expected:
        problems.append('output differs from README.md\n--- README\n%s\n'
                        '--- jumpgate\n%s' % ('\n'.join(expected),
                                              '\n'.join(got)))
    if r.rc != want_rc:
        problems.append('exit status %s, expected %d' % (r.rc, want_rc))
    if r.err_text.strip():
        problems.append('stderr not empty (the README shows the whole '
                        'terminal):\n' + c.ex.back(r.err_text))
    if problems:
        raise AssertionError('$ %s\n%s' % (cmd, '\n'.join(problems)))


def t_example(c, i):
    cmd, expected = c.examples[i]
    run_example(c, cmd, expected)


def t_examples_check(c):
    bad = []
    for p in c.ex.confs:
        with open(p) as f:
            for ln in f:
                m = re.match(r'\s*HostKey\s+(\S+)', ln, re.I)
                if m and not os.path.exists(m.group(1)):
                    r = J.run([J.SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', '',
                               '-f', m.group(1)])
                    assert r.rc == 0, r
        # as root without the package's account: say where to run
        r = jg(['-o', 'User=root', '-t', '-f', p])
        if r.rc != 0:
            bad.append('jumpgate -t -f %s: exit %s\n%s'
                       % (c.ex.back(p), r.rc, c.ex.back(r.err_text)))
    assert not bad, '\n'.join(bad)


def spec(c, user, keyname, addr='198.51.100.7'):
    return 'user=%s,addr=%s,key=%s' % (
        user, addr, os.path.join(c.ex.dir, 'keys', keyname + '.pub'))


def expect_usage(r, what):
    assert r.rc == 255, '%s: exit %s, expected 255 (usage error)\n%r' % (
        what, r.rc, r)
    assert r.out_text == '', '%s: printed a verdict on stdout:\n%s' % (
        what, r.out_text)
    assert r.err_text.strip(), '%s: no message on stderr' % what


def t_usage_errors(c):
    conf = os.path.join(c.ex.dir, 'jumpgate.conf')
    key = os.path.join(c.ex.dir, 'keys', 'alice.pub')
    problems = []
    cases = [
        ('key= missing', ['--explain', 'user=alice,addr=198.51.100.7',
                          '10.0.2.15', '22']),
        ('port 70000', ['--explain', spec(c, 'alice', 'alice'),
                        '10.0.2.15', '70000']),
        ('port not a number', ['--explain', spec(c, 'alice', 'alice'),
                               '10.0.2.15', 'ssh']),
        ('unreadable key file',
         ['--explain', 'user=alice,addr=198.51.100.7,key=%s'
          % c.env.path('no-such-key.pub'), '10.0.2.15', '22']),
        ('unknown field in the spec',
         ['--explain', 'user=alice,addr=198.51.100.7,key=%s,colour=blue'
          % key, '10.0.2.15', '22']),
        ('PORT argument missing', ['--explain', spec(c, 'alice', 'alice'),
                                   '10.0.2.15']),
        ('-T -C with key=', ['-T', '-C', 'user=alice,addr=198.51.100.7,'
                             'laddr=10.0.0.1,lport=22,key=%s' % key]),
    ]
    for what, args in cases:
        r = jg(['-f', conf] + args)
        try:
            expect_usage(r, what)
        except AssertionError as e:
            problems.append(str(e))
    assert not problems, '\n'.join(problems)


def dump_conn(conf, connspec):
    r = jg(['-f', conf, '-T', '-C', connspec])
    assert r.rc == 0, r
    return r.out_text.splitlines()


def has_line(lines, want, what):
    assert want in lines, '%s: -T -C output lacks the line %r; its policy ' \
        'lines:\n%s' % (what, want, '\n'.join(
            ln for ln in lines if re.match(
                r'(permitopen|allowtcpforwarding|disableforwarding|'
                r'permitdestination|denydestination|denyspecial)', ln)))


def keyword_lines(lines, kw):
    return [ln for ln in lines if ln.split(' ', 1)[0] == kw]


def t_dump_conn_bastion(c):
    conf = os.path.join(c.ex.dir, 'jumpgate.conf')
    lines = dump_conn(conf, 'user=alice,addr=198.51.100.7,laddr=10.0.0.1,'
                      'lport=22')
    has_line(lines, 'permitopen *:22', 'alice')
    has_line(lines, 'allowtcpforwarding local', 'alice')
    has_line(lines, 'denydestination 10.20.0.0/16:*', 'alice')
    has_line(lines, 'denyspecialdestinations yes', 'alice')
    lines = dump_conn(conf, 'user=dba,addr=198.51.100.9,laddr=10.0.0.1,'
                      'lport=22')
    has_line(lines, 'permitopen 10.0.3.11:5432 10.0.3.12:5432', 'dba')
    lines = dump_conn(conf, 'user=carol,addr=198.51.100.7,laddr=10.0.0.1,'
                      'lport=22')
    has_line(lines, 'permitopen none', 'carol (no Match block)')
    has_line(lines, 'allowtcpforwarding local', 'carol')


def t_dump_conn_match_kinds(c):
    conf = c.env.write('match.conf', '\n'.join([
        'Port 22',
        'Port 2022',
        'ListenAddress 127.0.0.1',
        'AuthorizedKeysFile %s/%%u.keys' % c.env.authdir,
        'PidFile none', 'User root',
        'StateDirectory %s' % c.env.statedir,
        'PermitOpen 127.0.0.1:1',
        'AllowTcpForwarding yes',
        'DenyDestination 10.66.0.0/16:*',
        'Match Address 10.9.0.0/16',
        '    PermitOpen 10.9.0.1:22',
        '    DenyDestination 10.9.9.0/24:*',
        'Match LocalPort 2022',
        '    AllowTcpForwarding no',
        '    PermitOpen 10.8.0.1:22',
        'Match LocalAddress 127.0.0.2',
        '    DisableForwarding yes',
        'Match All',
        '    DenySpecialDestinations no',
        '    PermitDestination 192.0.2.0/24:443',
        '']))
    r = jg(['-t', '-f', conf])
    assert r.rc == 0, r
    what = 'addr 10.9.1.1, lport 2022'
    lines = dump_conn(conf, 'user=u,addr=10.9.1.1,laddr=127.0.0.1,lport=2022')
    has_line(lines, 'permitopen 10.9.0.1:22', what)   # first block wins
    has_line(lines, 'allowtcpforwarding no', what)    # LocalPort block
    has_line(lines, 'denyspecialdestinations no', what)
    has_line(lines, 'permitdestination 192.0.2.0/24:443', what)
    deny = ' '.join(keyword_lines(lines, 'denydestination'))
    assert '10.66.0.0/16:*' in deny and '10.9.9.0/24:*' in deny, \
        '%s: DenyDestination must accumulate (global + Match Address): %r' \
        % (what, keyword_lines(lines, 'denydestination'))
    what = 'addr 10.1.1.1, lport 22'
    lines = dump_conn(conf, 'user=u,addr=10.1.1.1,laddr=127.0.0.1,lport=22')
    has_line(lines, 'permitopen 127.0.0.1:1', what)
    has_line(lines, 'allowtcpforwarding yes', what)
    has_line(lines, 'denyspecialdestinations no', what)   # Match All
    deny = ' '.join(keyword_lines(lines, 'denydestination'))
    assert '10.9.9.0/24' not in deny, \
        '%s: Match Address 10.9.0.0/16 applied to 10.1.1.1: %r' % (
            what, keyword_lines(lines, 'denydestination'))
    what = 'laddr 127.0.0.2'
    lines = dump_conn(conf, 'user=u,addr=10.1.1.1,laddr=127.0.0.2,lport=22')
    has_line(lines, 'disableforwarding yes', what)


def t_same_resolver(c):
    d, t = c.d, c.t
    spec = 'user=%s,addr=127.0.0.1,key=%s.pub' % (J.USER, c.key.path)
    for host, allowed in (('127.1', False), ('127.0.0.1', True)):
        r = jg(['-f', d.conf, '--explain', spec, host, t.port])
        m = d.mark()
        before = len(t.conns)
        w = J.run(J.ssh_w_args(c.key, d, host, t.port), input=b'hello\n',
                  env=c.env)
        if allowed:
            assert r.rc == 0 and 'allowed: user %s from 127.0.0.1 to %s ' \
                'port %d via 127.0.0.1' % (J.USER, host, t.port) in \
                r.out_text, r
            assert w.rc == 0 and w.out == b'hello\n', w
            continue
        assert r.rc == 1, '--explain %s: exit %s, the daemon refuses it\n' \
            '%r' % (host, r.rc, r)
        assert 'denied: user %s from 127.0.0.1 to %s port %d\n' % (
            J.USER, host, t.port) in r.out_text and re.search(
            r'^rule: connect_to %s: unknown host \(.+\)$' % re.escape(host),
            r.out_text, re.M), r
        assert w.rc == 255 and 'open failed' in w.err_text, w
        d.log.wait(r'^connect_to %s: unknown host \(' % re.escape(host), m)
        time.sleep(0.1)
        assert len(t.conns) == before, 'the daemon connected %s' % host
    assert c.dns.asked('127.1'), 'the daemon did not ask the responder: ' \
        '%s' % (c.dns.asked(),)


if __name__ == '__main__':
    tests = [('README policy section has --explain examples for all three '
              'configs', t_readme_found)]
    try:
        exs, _ = readme_examples()
    except Exception:       # reported by t_readme_found through setup
        exs = []
    for i, (cmd, _) in enumerate(exs):
        m = re.search(r'--explain\s+user=([^,\s]+).*?(\S+\s+\S+)$', cmd)
        conf = re.search(r'-f\s+\S*?([^/\s]+\.conf)', cmd)
        tests.append(('README example %d: %s, %s to %s'
                      % (i + 1, conf.group(1) if conf else '?',
                         m.group(1) if m else '?', m.group(2) if m else cmd),
                      lambda c, i=i: t_example(c, i)))
    tests += [
        ('jumpgate -t accepts every example configuration',
         t_examples_check),
        ('usage errors exit 255', t_usage_errors),
        ('-T -C: the bastion example per user', t_dump_conn_bastion),
        ('-T -C: Match Address, LocalPort, LocalAddress, All',
         t_dump_conn_match_kinds),
        ('--explain and the daemon resolve alike: 127.1 denied by both, '
         '127.0.0.1 allowed by both', t_same_resolver),
    ]
    J.main('--explain and -T -C, README examples', setup, tests)
