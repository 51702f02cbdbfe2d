#!/usr/bin/python3
"""OpenSSH user certificates (TrustedUserCAKeys), checked as sshd does.

Why: fleets hand out short-lived certificates instead of writing keys
into files on every bastion; a certificate jumpgate accepted that sshd
would refuse (expired, for someone else, from elsewhere, forged) would
be a way in.  libssh checks only the user's signature, so every check
below is jumpgate's own.

Certificates are made with ssh-keygen by an ed25519 CA (and an RSA CA
signing with rsa-sha2-512), for principal alice, valid -5m:+1h:
  ed25519, ecdsa 256/384/521 and rsa user keys: ssh -W forwards, sshd's
    "Accepted certificate ID" and "Accepted publickey ... ED25519-CERT
    SHA256:... ID ... (serial N) CA ED25519 SHA256:..." lines; ssh -L
    forwards too.
  Refused, each with sshd's line, and no PK_OK for the probe ("Postponed"
    never logged): expired, not yet valid, a principal other than the
    user, no principals, a CA not in the file, source-address 10.0.0.0/8,
    an unknown critical option, a host certificate (-h).
  A certificate whose CA signature was tampered with (OpenSSH will not
    load it, so paramiko sends it): refused with "parse key".
  -O no-port-forwarding: authentication succeeds, every forward is
    refused with the policy's no-port-forwarding line.
  The audit's auth.success carries cert_id, cert_serial and ca_fp (null
    for a plain key), channel.open cert_id; refusals are auth.failure
    reason "certificate", counted in jumpgate_auth_failures_total.
  cert-authority lines (a CA not in TrustedUserCAKeys): principals="a,b"
    admits a certificate for one of them and its permitopen applies; a
    certificate naming only the user is then refused; without
    principals= the user name must be listed; the CA's own key is no
    user key there; from= and no-port-forwarding on the line apply; a
    certificate does not match its key's plain line.
  AuthorizedPrincipalsFile (%u): a listed principal admits instead of the
    user name, which alone is then refused; the line's from= and
    permitopen= apply; no file, no login.
  Match Principal ops-* applies its PermitOpen to a login whose matched
    principal is ops-team, not to one that matched web; login keywords
    in such a block fail the load; -T -C principal= shows it.
  RevokedKeys: a KRL (ssh-keygen -k -s ca) refuses certificates by serial
    and by key id, another passes; a plain list refuses the key and its
    certificate, another key passes; a missing file refuses every key;
    each with sshd's line.
  Config: a CA file line that is no key fails the load naming FILE:LINE;
    -T prints trustedusercakeys and the cert algorithms by default.
"""

import base64
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402
from jgtest import T  # noqa: E402


class K:
    """A user key of any type and size, with its certificate's path."""

    def __init__(self, env, name, ktype, bits=None):
        self.path = env.path(name)
        args = [J.SSH_KEYGEN, '-q', '-t', ktype, '-N', '', '-C', name,
                '-f', self.path]
        if bits:
            args[4:4] = ['-b', str(bits)]
        r = J.run(args, timeout=T(120))
        assert r.rc == 0, r
        self.cert = self.path + '-cert.pub'
        with open(self.path + '.pub') as f:
            self.pub_line = f.read().strip()


def sign(c, key, ca=None, ident='id-ok', principals='alice',
         validity='-5m:+1h', serial=42, opts=(), host=False):
    ca = ca or c.ca
    args = [J.SSH_KEYGEN, '-q', '-s', ca.path, '-I', ident, '-V', validity,
            '-z', str(serial)]
    if principals:
        args += ['-n', principals]
    for o in opts:
        args += ['-O', o]
    if host:
        args.append('-h')
    if ca is c.carsa:
        args += ['-t', 'rsa-sha2-512']
    r = J.run(args + [key.path + '.pub'], timeout=T(60))
    assert r.rc == 0, r
    return key.path + '-cert.pub'


def setup(env, r):
    c = J.Ctx(env=env)
    c.echo = c.closing(J.Target(J.echo_handler, name='echo'))
    c.echo2 = c.closing(J.Target(J.echo_handler, name='echo2'))
    c.ca = K(env, 'ca', 'ed25519')
    c.ca2 = K(env, 'ca2', 'ed25519')
    c.carsa = K(env, 'carsa', 'rsa', 3072)
    c.cafile = env.write('cas', '# the CAs\n\n%s\n  %s\n' % (
        c.ca.pub_line, c.carsa.pub_line))
    c.audit_path = env.path('audit.json')
    c.aport = J.free_port()
    c.d = r.watch(J.Daemon(env, extra='\n'.join([
        'TrustedUserCAKeys %s' % c.cafile,
        'AuditLog %s' % c.audit_path,
        'AdminListen %d' % c.aport])).start())
    c.pdir = env.path('principals')
    os.mkdir(c.pdir)
    c.dp = r.watch(J.Daemon(env, name='principals', extra='\n'.join([
        'TrustedUserCAKeys %s' % c.cafile,
        'AuthorizedPrincipalsFile %s/%%u' % c.pdir,
        'Match Principal ops-*',
        '\tPermitOpen 127.0.0.1:%d' % c.echo2.port])).start())
    # RevokedKeys: a KRL (serial 99 and key id id-bad under ca), a plain
    # list, a file that does not exist
    spec = env.write('krl.spec', 'serial: 99\nid: id-bad\n')
    c.krl = env.path('krl')
    rr = J.run([J.SSH_KEYGEN, '-q', '-k', '-f', c.krl, '-s',
                c.ca.path + '.pub', spec])
    assert rr.rc == 0, rr
    c.dk = r.watch(J.Daemon(env, name='krl', extra='\n'.join([
        'TrustedUserCAKeys %s' % c.cafile,
        'RevokedKeys %s' % c.krl])).start())
    c.rkey = J.Key(env, 'revoked-plain')
    c.okkey = J.Key(env, 'unrevoked-plain')
    c.rlist = env.write('revoked.list', '# revoked\n\n%s\n' %
                        c.rkey.pub_line)
    c.dl = r.watch(J.Daemon(env, name='rlist', extra='\n'.join([
        'TrustedUserCAKeys %s' % c.cafile,
        'RevokedKeys %s' % c.rlist])).start())
    c.dm = r.watch(J.Daemon(env, name='rmissing', extra='RevokedKeys %s' % (
                            env.path('no-such-krl'))).start())
    return c


def ssh_w(c, key, cert, user='alice', payload=b'ping cert\n'):
    return J.run(J.ssh_w_args(key, c.d, '127.0.0.1', c.echo.port, user=user,
                              extra=['-o', 'CertificateFile=%s' % cert]),
                 input=payload)


def audit_events(c, **match):
    out = []
    with open(c.audit_path) as f:
        for ln in f:
            e = json.loads(ln)
            if all(e.get(k) == v for k, v in match.items()):
                out.append(e)
    return out


def wait_audit(c, **match):
    J.wait_until(lambda: audit_events(c, **match), T(30),
                 'audit event %r' % match)
    return audit_events(c, **match)[-1]


def auth_failures(c):
    r = J.run(['curl', '-sS', '-f', 'http://127.0.0.1:%d/metrics' % c.aport],
              timeout=T(30))
    assert r.rc == 0, r
    m = re.search(r'^jumpgate_auth_failures_total\{reason="certificate"\} '
                  r'(\d+)$', r.out.decode(), re.M)
    assert m, r.out.decode()
    return int(m.group(1))


def fp(path):
    r = J.run([J.SSH_KEYGEN, '-l', '-E', 'sha256', '-f', path])
    assert r.rc == 0, r
    return r.out_text.split()[1]


def t_types(c):
    for name, ktype, bits, ca, label in [
            ('ued', 'ed25519', None, c.ca, 'ED25519'),
            ('up256', 'ecdsa', 256, c.ca, 'ECDSA'),
            ('up384', 'ecdsa', 384, c.ca, 'ECDSA'),
            ('up521', 'ecdsa', 521, c.carsa, 'ECDSA'),
            ('ursa', 'rsa', 3072, c.carsa, 'RSA')]:
        k = K(c.env, name, ktype, bits)
        cert = sign(c, k, ca=ca, ident='id-' + name, serial=7)
        m = c.d.mark()
        r = ssh_w(c, k, cert)
        assert r.rc == 0 and r.out == b'ping cert\n', (name, r)
        cat = 'RSA' if ca is c.carsa else 'ED25519'
        c.d.log.wait(r'^Accepted certificate ID "id-%s" \(serial 7\) signed '
                     r'by %s CA %s via %s$' % (name, cat,
                                               re.escape(fp(ca.path)),
                                               re.escape(c.cafile)), m)
        c.d.log.wait(r'^Accepted publickey for alice from 127\.0\.0\.1 port '
                     r'\d+ ssh2: %s-CERT %s ID id-%s \(serial 7\) CA %s %s$'
                     % (label, re.escape(fp(k.path)), name, cat,
                        re.escape(fp(ca.path))), m)


def t_local_forward(c):
    k = K(c.env, 'ulocal', 'ed25519')
    cert = sign(c, k, ident='id-local')
    lport = J.free_port()
    fwd = J.SshForward(c.env, k, c.d,
                       ['-L', '%d:127.0.0.1:%d' % (lport, c.echo.port)],
                       user='alice',
                       extra=['-o', 'CertificateFile=%s' % cert])
    try:
        s = J.connect_local(lport)
        s.settimeout(T(60))
        s.sendall(b'through -L\n')
        s.shutdown(1)
        _, _, got = J.recv_all(s, keep=True)
        s.close()
        assert got == b'through -L\n', got
    finally:
        fwd.stop()


def paramiko_auth(c, key, cert, user='alice'):
    """Offers the certificate with paramiko: True when authenticated."""
    import paramiko
    pk = paramiko.Ed25519Key.from_private_key_file(key.path)
    pk.load_certificate(cert)
    t, _ = J.paramiko_connect(c.d, None, auth=False)
    try:
        try:
            t.auth_publickey(user, pk)
        except paramiko.AuthenticationException:
            return False
        return t.is_authenticated()
    finally:
        t.close()


def refused(c, key, cert, lines, user='alice', counted=True,
            client='ssh'):
    m = c.d.mark()
    before = auth_failures(c)
    if client == 'ssh':
        r = ssh_w(c, key, cert, user=user)
        assert r.rc == 255 and b'Permission denied' in r.err, r
    else:
        assert not paramiko_auth(c, key, cert, user=user)
    for ln in lines:
        c.d.log.wait(ln, m)
    c.d.log.wait(r'^Failed publickey for %s from 127\.0\.0\.1 port \d+ ssh2: '
                 r'ED25519-CERT %s ID ' % (user, re.escape(fp(key.path))), m)
    # the probe got no PK_OK: the client never signed
    assert not c.d.log.has(r'^Postponed publickey', m), \
        c.d.log.excerpt(m)
    if counted:
        J.wait_until(lambda: auth_failures(c) > before, T(30),
                     'the certificate failure counted')


def refusing(ident, reason):
    return (r'^Refusing certificate ID "%s" serial=42 signed by ED25519 CA '
            r'SHA256:\S+: %s$' % (ident, re.escape(reason)))


def t_jump(c):
    """ssh -J: the jump hop authenticates with a certificate."""
    k = K(c.env, 'ujump', 'ed25519')
    cert = sign(c, k, ident='id-jump')
    farkey = c.env.key('far')
    sshd, sport = J.start_sshd(c.env, farkey)
    try:
        cfg = J.jump_config(c.env, c.d, 'alice', k, sport, farkey,
                            ['CertificateFile %s' % cert])
        m = c.d.mark()
        r = J.run([J.SSH, '-F', cfg, 'far', 'echo', 'over the jump'],
                  env=c.env)
        assert r.rc == 0 and r.out == b'over the jump\n', r
        c.d.log.wait(r'^Accepted certificate ID "id-jump" \(serial 42\) '
                     r'signed by ED25519 CA ', m)
        c.d.log.wait(r'^channel \d+: connected to 127\.0\.0\.1 port %d$'
                     % sport, m)
    finally:
        sshd.stop()


def t_expired(c):
    k = K(c.env, 'uexp', 'ed25519')
    refused(c, k, sign(c, k, ident='id-exp', validity='-2h:-1h'),
            [refusing('id-exp', 'Certificate invalid: expired')])


def t_not_yet(c):
    k = K(c.env, 'unyv', 'ed25519')
    refused(c, k, sign(c, k, ident='id-nyv', validity='+1h:+2h'),
            [refusing('id-nyv', 'Certificate invalid: not yet valid')])


def t_wrong_principal(c):
    k = K(c.env, 'uwp', 'ed25519')
    refused(c, k, sign(c, k, ident='id-wp', principals='bob,carol'),
            [refusing('id-wp', 'Certificate invalid: name is not a listed '
                      'principal')])


def t_no_principals(c):
    k = K(c.env, 'unp', 'ed25519')
    refused(c, k, sign(c, k, ident='id-np', principals=None),
            [refusing('id-np', 'Certificate lacks principal list')])


def t_wrong_ca(c):
    k = K(c.env, 'uwca', 'ed25519')
    # as sshd: not a refusal of the certificate, a key not found
    refused(c, k, sign(c, k, ca=c.ca2, ident='id-wca'),
            [r'CA ED25519 %s is not listed in %s$' % (
                re.escape(fp(c.ca2.path)), re.escape(c.cafile))],
            counted=False)
    assert not c.d.log.has(r'Accepted certificate ID "id-wca"')


def t_source_address(c):
    k = K(c.env, 'usrc', 'ed25519')
    refused(c, k, sign(c, k, ident='id-src',
                       opts=['source-address=10.0.0.0/8']),
            [r'^cert: Authentication tried for alice with valid certificate '
             r'but not from a permitted source address \(127\.0\.0\.1\)\.$',
             refusing('id-src', 'Refused by certificate options')])


def t_critical(c):
    k = K(c.env, 'ucrit', 'ed25519')
    refused(c, k, sign(c, k, ident='id-crit', opts=['critical:foo=bar']),
            [r'Certificate critical option "foo" is not supported',
             refusing('id-crit', 'Invalid certificate options')])


def t_host_cert(c):
    """ssh will not offer a host certificate: paramiko does."""
    k = K(c.env, 'uhost', 'ed25519')
    refused(c, k, sign(c, k, ident='id-host', host=True),
            [refusing('id-host', 'Certificate invalid: not a user '
                      'certificate')], client='paramiko')


def t_no_port_forwarding(c):
    k = K(c.env, 'unpf', 'ed25519')
    cert = sign(c, k, ident='id-npf', opts=['no-port-forwarding'])
    m = c.d.mark()
    r = ssh_w(c, k, cert)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.d.log.wait(r'^Accepted publickey for alice .* ID id-npf ', m)
    c.d.log.wait(r'^refused forward for user alice key ED25519-CERT \S+ '
                 r'from .* denied by %s:3: no-port-forwarding$'
                 % re.escape(c.cafile), m)
    e = wait_audit(c, event='channel.deny', cert_id='id-npf')
    assert 'no-port-forwarding' in (e.get('rule') or ''), e


def t_tampered(c):
    """OpenSSH refuses to load such a certificate: paramiko sends it."""
    k = K(c.env, 'utamp', 'ed25519')
    cert = sign(c, k, ident='id-tamp')
    with open(cert) as f:
        typ, b64 = f.read().split()[:2]
    blob = bytearray(base64.b64decode(b64))
    blob[-5] ^= 0x55            # inside the CA's ed25519 signature
    bad = c.env.write('utamp-bad-cert.pub', '%s %s\n' % (
        typ, base64.b64encode(bytes(blob)).decode()))
    m = c.d.mark()
    assert not paramiko_auth(c, k, bad)
    c.d.log.wait(r'^userauth_pubkey: parse key: ', m)
    assert not c.d.log.has(r'^Accepted publickey', m)
    # the same certificate untampered is accepted from paramiko
    assert paramiko_auth(c, k, cert)


def t_audit(c):
    k = K(c.env, 'uaudit', 'ed25519')
    cert = sign(c, k, ident='id-audit', serial=4242)
    r = ssh_w(c, k, cert)
    assert r.rc == 0, r
    e = wait_audit(c, event='auth.success', cert_id='id-audit')
    assert e['cert_serial'] == 4242, e
    assert e['ca_fp'] == fp(c.ca.path), e
    assert e['key_type'] == 'ED25519-CERT', e
    assert e['key_fp'] == fp(k.path), e
    assert e['key_source'] == c.cafile + ':3', e
    wait_audit(c, event='channel.open', cert_id='id-audit')
    wait_audit(c, event='auth.failure', cert_id='id-exp',
               reason='certificate')
    # a plain key: the fields are there, null
    pk = J.Key(c.env, 'plain')
    c.env.authorize('alice', pk)
    r = J.run(J.ssh_w_args(pk, c.d, '127.0.0.1', c.echo.port, user='alice'),
              input=b'x')
    assert r.rc == 0, r
    e = wait_audit(c, event='auth.success', key_fp=pk.fingerprint)
    assert 'cert_id' in e and e['cert_id'] is None, e
    assert e['cert_serial'] is None and e['ca_fp'] is None, e


# ---- cert-authority lines (CA ca2, not in TrustedUserCAKeys) ------------

def ssh_w_to(c, key, cert, user, port, payload=b'ping ca\n'):
    return J.run(J.ssh_w_args(key, c.d, '127.0.0.1', port, user=user,
                              extra=['-o', 'CertificateFile=%s' % cert]),
                 input=payload)


def keys_file(c, user):
    return os.path.join(c.env.authdir, user + '.keys')


def t_ca_line_principals(c):
    c.env.authorize('bob', c.ca2, 'cert-authority,principals="ops,dba",'
                    'permitopen="127.0.0.1:%d"' % c.echo.port)
    k = K(c.env, 'ubob', 'ecdsa', 384)
    cert = sign(c, k, ca=c.ca2, ident='id-bob', principals='web,ops')
    m = c.d.mark()
    r = ssh_w_to(c, k, cert, 'bob', c.echo.port)
    assert r.rc == 0 and r.out == b'ping ca\n', r
    src = re.escape(keys_file(c, 'bob')) + ':1'
    c.d.log.wait(r'^Accepted certificate ID "id-bob" \(serial 42\) signed '
                 r'by ED25519 CA %s via %s$' % (re.escape(fp(c.ca2.path)),
                                                src), m)
    c.d.log.wait(r'^Accepted publickey for bob .* ECDSA-CERT %s ID id-bob '
                 % re.escape(fp(k.path)), m)
    e = wait_audit(c, event='auth.success', cert_id='id-bob')
    assert e['key_source'] == keys_file(c, 'bob') + ':1', e
    # the line's permitopen applies
    m = c.d.mark()
    r = ssh_w_to(c, k, cert, 'bob', c.echo2.port)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.d.log.wait(r'but the request was denied', m)
    # the user's name is no principal of principals=: refused
    k2 = K(c.env, 'ubob2', 'ed25519')
    cert2 = sign(c, k2, ca=c.ca2, ident='id-bob2', principals='bob')
    m = c.d.mark()
    r = ssh_w_to(c, k2, cert2, 'bob', c.echo.port)
    assert r.rc == 255 and b'Permission denied' in r.err, r
    c.d.log.wait(r'^Refusing certificate ID "id-bob2" serial=42 signed by '
                 r'ED25519 CA \S+ via %s: Certificate does not contain an '
                 r'authorized principal$' % src, m)
    assert not c.d.log.has(r'^Postponed publickey', m)


def t_ca_line_user(c):
    c.env.authorize('carol', c.ca2, 'cert-authority')
    k = K(c.env, 'ucarol', 'ed25519')
    m = c.d.mark()
    r = ssh_w_to(c, k, sign(c, k, ca=c.ca2, ident='id-carol',
                            principals='carol'), 'carol', c.echo.port)
    assert r.rc == 0 and r.out == b'ping ca\n', r
    c.d.log.wait(r'Accepted certificate ID "id-carol" .* via %s:1$'
                 % re.escape(keys_file(c, 'carol')), m)
    k2 = K(c.env, 'ucarol2', 'ed25519')
    m = c.d.mark()
    before = auth_failures(c)
    r = ssh_w_to(c, k2, sign(c, k2, ca=c.ca2, ident='id-carol2',
                             principals='dave'), 'carol', c.echo.port)
    assert r.rc == 255, r
    c.d.log.wait(r'^Refusing certificate ID "id-carol2" .*: Certificate '
                 r'invalid: name is not a listed principal$', m)
    J.wait_until(lambda: auth_failures(c) > before, T(30),
                 'a CA line\'s refusal counted as certificate')
    wait_audit(c, event='auth.failure', cert_id='id-carol2',
               reason='certificate')
    # a cert-authority line vouches for certificates, not for its own key
    m = c.d.mark()
    r = J.run(J.ssh_w_args(c.ca2, c.d, '127.0.0.1', c.echo.port,
                           user='carol'), input=b'x')
    assert r.rc == 255 and b'Permission denied' in r.err, r
    assert not c.d.log.has(r'^Accepted', m)


def t_ca_line_options(c):
    c.env.authorize('dan', c.ca2, 'cert-authority,from="10.0.0.0/8"')
    c.env.authorize('erin', c.ca2, 'cert-authority,no-port-forwarding')
    k = K(c.env, 'udan', 'ed25519')
    m = c.d.mark()
    r = ssh_w_to(c, k, sign(c, k, ca=c.ca2, ident='id-dan',
                            principals='dan'), 'dan', c.echo.port)
    assert r.rc == 255, r
    c.d.log.wait(r'Authentication tried for dan with correct key but not '
                 r'from a permitted host', m)
    c.d.log.wait(r'^Refused by key options$', m)
    k = K(c.env, 'uerin', 'ed25519')
    m = c.d.mark()
    r = ssh_w_to(c, k, sign(c, k, ca=c.ca2, ident='id-erin',
                            principals='erin'), 'erin', c.echo.port)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.d.log.wait(r'^Accepted publickey for erin ', m)
    c.d.log.wait(r'denied by %s:1: no-port-forwarding$'
                 % re.escape(keys_file(c, 'erin')), m)


def t_cert_not_plain(c):
    """A certificate never matches its key's plain line (sshd)."""
    k = K(c.env, 'ufrank', 'ed25519')
    c.env.authorize('frank', k)
    cert = sign(c, k, ca=c.ca2, ident='id-frank', principals='frank')
    m = c.d.mark()
    assert not paramiko_auth(c, k, cert, user='frank')
    c.d.log.wait(r'^Failed publickey for frank .* ED25519-CERT ', m)
    assert not c.d.log.has(r'^Accepted', m)


# ---- AuthorizedPrincipalsFile (daemon "principals") ---------------------

def t_principals_file(c):
    c.env.write('principals/gina', '# who gina may be\n\nops-team\n'
                'from="10.0.0.0/8" remote\n'
                'permitopen="127.0.0.1:%d" web\n' % c.echo.port)
    k = K(c.env, 'ugina', 'ed25519')

    def w(ident, principals, port=None):
        cert = sign(c, k, ident=ident, principals=principals)
        return J.run(J.ssh_w_args(k, c.dp, '127.0.0.1', port or c.echo.port,
                                  user='gina', extra=[
                                      '-o', 'CertificateFile=%s' % cert]),
                     input=b'ping p\n')
    # a listed principal, not the user name (Match Principal ops-*: echo2)
    m = c.dp.mark()
    r = w('id-ops', 'ops-team', port=c.echo2.port)
    assert r.rc == 0 and r.out == b'ping p\n', r
    c.dp.log.wait(r'%s/gina:3: matched principal "ops-team"'
                  % re.escape(c.pdir), m)
    c.dp.log.wait(r'^Accepted certificate ID "id-ops" ', m)
    # the user name alone no longer does
    m = c.dp.mark()
    r = w('id-gina', 'gina')
    assert r.rc == 255 and b'Permission denied' in r.err, r
    c.dp.log.wait(r'^Refusing certificate ID "id-gina" serial=42 .*: '
                  r'Certificate does not contain an authorized principal$', m)
    assert not c.dp.log.has(r'^Postponed publickey', m)
    # the line's options apply: from= ...
    m = c.dp.mark()
    r = w('id-remote', 'remote')
    assert r.rc == 255, r
    c.dp.log.wait(r'not from a permitted host', m)
    # ... and permitopen=
    r = w('id-web', 'web')
    assert r.rc == 0 and r.out == b'ping p\n', r
    m = c.dp.mark()
    r = w('id-web2', 'web', port=c.echo2.port)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.dp.log.wait(r'but the request was denied', m)
    # no file for the user: refused
    m = c.dp.mark()
    k2 = K(c.env, 'uhank', 'ed25519')
    cert = sign(c, k2, ident='id-hank', principals='hank,ops-team')
    r = J.run(J.ssh_w_args(k2, c.dp, '127.0.0.1', c.echo.port, user='hank',
                           extra=['-o', 'CertificateFile=%s' % cert]),
              input=b'x')
    assert r.rc == 255, r
    c.dp.log.wait(r'Certificate does not contain an authorized principal$',
                  m)


# ---- RevokedKeys ---------------------------------------------------------

def try_w(c, d, key, cert=None, user='alice'):
    extra = ['-o', 'CertificateFile=%s' % cert] if cert else []
    return J.run(J.ssh_w_args(key, d, '127.0.0.1', c.echo.port, user=user,
                              extra=extra), input=b'rev\n')


def t_revoked_krl(c):
    k = K(c.env, 'ukrl', 'ed25519')
    m = c.dk.mark()
    r = try_w(c, c.dk, k, sign(c, k, ident='id-99', serial=99))
    assert r.rc == 255 and b'Permission denied' in r.err, r
    c.dk.log.wait(r'^Authentication key ED25519-CERT %s revoked by file %s$'
                  % (re.escape(fp(k.path)), re.escape(c.krl)), m)
    assert not c.dk.log.has(r'^Postponed publickey', m)
    m = c.dk.mark()
    r = try_w(c, c.dk, k, sign(c, k, ident='id-bad', serial=100))
    assert r.rc == 255, r
    c.dk.log.wait(r'revoked by file %s$' % re.escape(c.krl), m)
    # another serial and id: accepted
    r = try_w(c, c.dk, k, sign(c, k, ident='id-fine', serial=100))
    assert r.rc == 0 and r.out == b'rev\n', r


def t_revoked_list(c):
    c.env.authorize('alice', c.rkey)
    c.env.authorize('alice', c.okkey)
    m = c.dl.mark()
    r = try_w(c, c.dl, c.rkey)
    assert r.rc == 255 and b'Permission denied' in r.err, r
    c.dl.log.wait(r'^Authentication key ED25519 %s revoked by file %s$'
                  % (re.escape(c.rkey.fingerprint), re.escape(c.rlist)), m)
    assert not c.dl.log.has(r'^Accepted', m)
    # its certificate too
    m = c.dl.mark()
    r = try_w(c, c.dl, c.rkey, sign(c, c.rkey, ident='id-rplain'))
    assert r.rc == 255, r
    c.dl.log.wait(r'^Authentication key ED25519-CERT %s revoked by file '
                  % re.escape(c.rkey.fingerprint), m)
    r = try_w(c, c.dl, c.okkey)
    assert r.rc == 0 and r.out == b'rev\n', r


def t_revoked_missing(c):
    c.env.authorize('alice', c.okkey)
    m = c.dm.mark()
    r = try_w(c, c.dm, c.okkey)
    assert r.rc == 255 and b'Permission denied' in r.err, r
    c.dm.log.wait(r'^Error checking authentication key ED25519 %s in revoked '
                  r'keys file %s: ' % (re.escape(c.okkey.fingerprint),
                                       re.escape(c.env.path('no-such-krl'))),
                  m)


def t_match_principal(c):
    """Match Principal ops-* (PermitOpen echo2) applies to the principal
    that logged in."""
    k = K(c.env, 'umatch', 'ed25519')
    cert = sign(c, k, ident='id-m', principals='ops-team')

    def w(cert, port):
        return J.run(J.ssh_w_args(k, c.dp, '127.0.0.1', port, user='gina',
                                  extra=['-o', 'CertificateFile=%s' % cert]),
                     input=b'm\n')
    m = c.dp.mark()
    r = w(cert, c.echo.port)
    assert r.rc == 255 and b'open failed' in r.err, r
    c.dp.log.wait(r"principal ops-team matched 'Principal ops-\*'", m)
    c.dp.log.wait(r'denied by .*principals\.conf:\d+: no PermitOpen entry '
                  r'matched', m)
    r = w(cert, c.echo2.port)
    assert r.rc == 0 and r.out == b'm\n', r
    # web (also listed for gina) is no ops-*: the block does not apply
    cert = sign(c, k, ident='id-m2', principals='web')
    m = c.dp.mark()
    r = w(cert, c.echo.port)
    assert r.rc == 0 and r.out == b'm\n', r
    assert not c.dp.log.has(r"matched 'Principal", m)


def jg(args):
    return J.run([J.daemon_path()] + args, timeout=T(30))


def t_config(c):
    bad = c.env.write('badcas', '# ok\n%s\nssh-ed25519 AAAAnotakey\n' %
                      c.ca.pub_line)
    p = c.env.write('bad.conf', 'TrustedUserCAKeys %s\n' % bad)
    r = jg(['-t', '-f', p])
    assert r.rc != 0 and ('%s:3:' % bad) in r.err_text, r
    p = c.env.write('missing.conf', 'TrustedUserCAKeys %s\n' %
                    c.env.path('nope'))
    r = jg(['-t', '-f', p])
    assert r.rc != 0 and 'No such file' in r.err_text, r
    p = c.env.write('good.conf', 'TrustedUserCAKeys %s\n' % c.cafile)
    r = jg(['-T', '-f', p])
    assert r.rc == 0, r
    lines = r.out_text.splitlines()
    assert 'trustedusercakeys %s' % c.cafile in lines, r.out_text
    algos = [ln for ln in lines if ln.startswith('pubkeyacceptedalgorithms ')]
    assert algos and 'ssh-ed25519-cert-v01@openssh.com' in algos[0], algos
    p = c.env.write('none.conf', 'HostKey /dev/null\n')
    r = jg(['-T', '-f', p])
    assert 'trustedusercakeys none' in r.out_text.splitlines(), r
    assert 'authorizedprincipalsfile none' in r.out_text.splitlines(), r
    assert 'revokedkeys none' in r.out_text.splitlines(), r
    p = c.env.write('pf.conf', 'AuthorizedPrincipalsFile /etc/p/%u\n')
    r = jg(['-T', '-f', p])
    assert 'authorizedprincipalsfile /etc/p/%u' in r.out_text.splitlines(), r
    p = c.env.write('pfbad.conf', 'AuthorizedPrincipalsFile /etc/p/%k\n')
    r = jg(['-t', '-f', p])
    assert r.rc != 0 and 'unknown token %k' in r.err_text, r
    p = c.env.write('mp.conf', 'Match Principal ops-*\n\tBanner /etc/issue\n')
    r = jg(['-t', '-f', p])
    assert r.rc != 0 and 'Banner is not allowed in a Match block with ' \
        'Principal' in r.err_text, r
    p = c.env.write('mp2.conf', 'Match Principal ops-*\n'
                    '\tPermitOpen 192.0.2.1:22\n')
    r = jg(['-T', '-f', p, '-C', 'user=u,addr=192.0.2.9,principal=ops-1'])
    assert r.rc == 0 and 'permitopen 192.0.2.1:22' in r.out_text, r
    r = jg(['-T', '-f', p, '-C', 'user=u,addr=192.0.2.9'])
    assert r.rc == 0 and 'permitopen any' in r.out_text, r
    p = c.env.write('apc.conf', 'AuthorizedPrincipalsCommand /bin/true\n')
    r = jg(['-t', '-f', p])
    assert r.rc != 0 and 'Unsupported option AuthorizedPrincipalsCommand' \
        in r.err_text, r


if __name__ == '__main__':
    J.main('certificates', setup, [
        ('ed25519, ecdsa 256/384/521, rsa certificates forward (ssh -W)',
         t_types),
        ('a certificate forwards with ssh -L', t_local_forward),
        ('a certificate on the jump hop of ssh -J', t_jump),
        ('expired: refused', t_expired),
        ('not yet valid: refused', t_not_yet),
        ('another principal: refused', t_wrong_principal),
        ('no principals: refused', t_no_principals),
        ('a CA not in TrustedUserCAKeys: refused', t_wrong_ca),
        ('source-address elsewhere: refused', t_source_address),
        ('unknown critical option: refused', t_critical),
        ('host certificate: refused', t_host_cert),
        ('no permit-port-forwarding: logged in, forwards refused',
         t_no_port_forwarding),
        ('tampered CA signature (paramiko): refused', t_tampered),
        ('audit fields and metrics', t_audit),
        ('cert-authority,principals=: its principals, its permitopen',
         t_ca_line_principals),
        ('cert-authority without principals=: the user name', t_ca_line_user),
        ('cert-authority with from= and no-port-forwarding',
         t_ca_line_options),
        ('a certificate does not match its key\'s plain line',
         t_cert_not_plain),
        ('AuthorizedPrincipalsFile replaces the user name, its options apply',
         t_principals_file),
        ('Match Principal: the matched principal\'s policy', t_match_principal),
        ('RevokedKeys KRL: by serial and by key id', t_revoked_krl),
        ('RevokedKeys plain list: the key and its certificate',
         t_revoked_list),
        ('RevokedKeys missing: every key refused', t_revoked_missing),
        ('config: bad CA line at load, -T', t_config),
    ])
