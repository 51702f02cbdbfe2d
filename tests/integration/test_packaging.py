#!/usr/bin/python3
"""What packaging/ ships agrees with the daemon it ships.

Why: the manual page, the example configurations, the Debian package's
default configuration and the Kubernetes manifests are written by hand
next to a keyword table that keeps growing.  A keyword the manual forgets,
an example that no longer loads, or a manifest whose Deployment mounts a
Secret that is not there are found by users, not by the compiler.

Checks:
  * every keyword `jumpgate -T` prints (the implemented ones, with the
    accumulating ones set so that they are printed) has its own entry,
    ".It Cm Keyword", in packaging/man/jumpgate.conf.5, and Match does;
    every other keyword of the table in config/config.c (ignored,
    refused, aliases) is at least named there ("Cm Keyword").
  * `jumpgate -t` accepts packaging/examples/*.conf and the Debian
    package's packaging/debian/jumpgate.conf, with /etc/jumpgate/ moved
    to a temporary copy and a host key generated for each HostKey line.
    Run as root, the check runs as the unprivileged user "nobody": -t then
    checks the file as any administrator's check would, without the
    account switch that needs the package's "jumpgate" user (which only
    the package test, packaging/debian/ci-test.sh, has).
  * every document of packaging/kubernetes/*.yaml parses (python3-yaml),
    has apiVersion, kind and metadata.name, a kind and apiVersion from the
    known set, and holds together: a Deployment's selector matches its
    pod labels, a Service's selector matches a pod template of the same
    file and its targetPort names a container port, every volumeMount
    names a volume, every ConfigMap/Secret volume names an object of the
    file and each of its items' keys exists there, every probe's port
    names a container port, containers run as non-root without privilege
    escalation; each ConfigMap's jumpgate.conf passes `jumpgate -t`.
"""

import os
import pwd
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jgtest as J  # noqa: E402

import yaml  # noqa: E402

T = J.T
PKG = os.path.join(J.REPO, 'packaging')
MAN5 = os.path.join(PKG, 'man', 'jumpgate.conf.5')
CONFIG_C = os.path.join(J.REPO, 'config', 'config.c')
ETC = '/etc/jumpgate/'

# What each kind must carry, and its apiVersion.
KINDS = {
    'ConfigMap': 'v1', 'Secret': 'v1', 'Pod': 'v1', 'Service': 'v1',
    'Deployment': 'apps/v1', 'PodDisruptionBudget': 'policy/v1',
}


def setup(env, r):
    c = J.Ctx(env=env)
    c.hostkey = env.path('hostkey')
    r0 = J.run([J.SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', '', '-f',
                c.hostkey])
    assert r0.rc == 0, r0
    os.chmod(c.hostkey, 0o644)    # nobody reads it in -t
    with open(MAN5) as f:
        c.man = f.read()
    return c


def as_checker(args):
    """The command line that runs args unprivileged when we are root."""
    if os.getuid() != 0:
        return args
    pw = pwd.getpwnam('nobody')
    return ['setpriv', '--reuid=%d' % pw.pw_uid, '--regid=%d' % pw.pw_gid,
            '--clear-groups', '--'] + args


def check_conf(c, name, text):
    """jumpgate -t on text, /etc/jumpgate/ moved into a private copy."""
    d = c.env.path('etc-' + re.sub(r'\W+', '-', name))
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    text = text.replace(ETC, d + '/')
    for m in re.finditer(r'^\s*HostKey\s+(\S+)', text, re.M | re.I):
        if not os.path.exists(m.group(1)):
            os.makedirs(os.path.dirname(m.group(1)), exist_ok=True)
            shutil.copy(c.hostkey, m.group(1))
            os.chmod(m.group(1), 0o644)
            os.chmod(os.path.dirname(m.group(1)), 0o755)
    p = os.path.join(d, 'jumpgate.conf')
    with open(p, 'w') as f:
        f.write(text)
    os.chmod(p, 0o644)
    r = J.run(as_checker([J.daemon_path(), '-t', '-f', p]), timeout=T(60))
    if r.rc != 0:
        return '%s: jumpgate -t exit %s\n%s' % (name, r.rc,
                                               r.err_text.replace(d, '...'))
    return None


# ---- manual page ---------------------------------------------------------

def dumped_keywords(c):
    """The keywords -T prints, for a config that makes it print all."""
    conf = c.env.write('dump.conf', '\n'.join([
        'HostKey %s' % c.hostkey,
        'DenyDestination 192.0.2.0/24:*',
        'PermitDestination 198.51.100.0/24:22',
        'ListenAddress 127.0.0.1',
        'StateDirectory %s' % c.env.dir,
        '']))
    os.chmod(conf, 0o644)
    r = J.run(as_checker([J.daemon_path(), '-T', '-f', conf]), timeout=T(60))
    assert r.rc == 0, r
    kws = set()
    for ln in r.out_text.splitlines():
        if ln.strip():
            kws.add(ln.split()[0])
    assert len(kws) > 30, 'jumpgate -T printed only %r' % sorted(kws)
    return kws


def table_keywords():
    """Every keyword of config/config.c's table, as written there."""
    with open(CONFIG_C) as f:
        src = f.read()
    start = src.index('config_keywords[] = {')
    body = src[start:src.index('};', start)]
    names = re.findall(r'\{\s*"(\w+)"\s*,\s*CK_', body)
    names += re.findall(r'\bIGNM?\("(\w+)"\)', body)
    assert len(names) > 100, 'only %d keywords found in %s' % (len(names),
                                                             CONFIG_C)
    return names


def t_man_entries(c):
    entries = {m.lower() for m in
               re.findall(r'^\.It Cm (\w+)', c.man, re.M)}
    want = dumped_keywords(c) | {'match'}
    missing = sorted(k for k in want if k not in entries)
    assert not missing, ('jumpgate.conf.5 has no ".It Cm" entry for: %s'
                         % ', '.join(missing))


def t_man_mentions(c):
    named = {m.lower() for m in re.findall(r'\bCm (\w+)', c.man)}
    missing = sorted({k for k in table_keywords() if k.lower() not in named})
    assert not missing, ('jumpgate.conf.5 never names: %s'
                         % ', '.join(missing))


# ---- configurations ------------------------------------------------------

def t_examples(c):
    confs = sorted(n for n in os.listdir(os.path.join(PKG, 'examples'))
                   if n.endswith('.conf'))
    assert len(confs) >= 3, confs
    bad = []
    for n in confs:
        with open(os.path.join(PKG, 'examples', n)) as f:
            bad.append(check_conf(c, 'examples/' + n, f.read()))
    bad = [b for b in bad if b]
    assert not bad, '\n'.join(bad)


def t_debian_default(c):
    with open(os.path.join(PKG, 'debian', 'jumpgate.conf')) as f:
        text = f.read()
    assert re.search(r'^HostKey /etc/jumpgate/ssh_host_ed25519_key$', text,
                     re.M), 'the default must use the key postinst makes'
    assert re.search(r'^AuthorizedKeysFile /etc/jumpgate/authorized_keys/%u$',
                     text, re.M), 'the default must read only the ' \
        'administrators\' key files'
    err = check_conf(c, 'debian/jumpgate.conf', text)
    assert err is None, err


# ---- Kubernetes ----------------------------------------------------------

def pod_specs(doc):
    if doc['kind'] == 'Pod':
        return [(doc['metadata'].get('labels', {}), doc['spec'])]
    if doc['kind'] == 'Deployment':
        t = doc['spec']['template']
        return [(t['metadata'].get('labels', {}), t['spec'])]
    return []


def subset(a, b):
    return all(b.get(k) == v for k, v in a.items())


def check_manifest(c, name, docs):
    errs = []

    def err(msg):
        errs.append('%s: %s' % (name, msg))

    objs = {}
    for i, d in enumerate(docs):
        for f in ('apiVersion', 'kind', 'metadata'):
            if f not in d:
                err('document %d has no %s' % (i + 1, f))
        if errs:
            return errs
        kind = d['kind']
        if kind not in KINDS:
            err('document %d: unexpected kind %s' % (i + 1, kind))
            continue
        if d['apiVersion'] != KINDS[kind]:
            err('%s: apiVersion %s, not %s' % (kind, d['apiVersion'],
                                               KINDS[kind]))
        if not d['metadata'].get('name'):
            err('%s document %d has no metadata.name' % (kind, i + 1))
        objs[(kind, d['metadata'].get('name'))] = d

    pods = []
    for d in docs:
        pods += pod_specs(d)
        if d['kind'] == 'Deployment':
            sel = d['spec'].get('selector', {}).get('matchLabels', {})
            labels = d['spec']['template']['metadata'].get('labels', {})
            if not sel or not subset(sel, labels):
                err('Deployment %s: selector %r does not match its pod '
                    'labels %r' % (d['metadata']['name'], sel, labels))
        if d['kind'] == 'ConfigMap' and 'jumpgate.conf' in d.get('data', {}):
            e = check_conf(c, '%s ConfigMap %s' % (name,
                                                    d['metadata']['name']),
                           d['data']['jumpgate.conf'])
            if e:
                errs.append(e)
        if d['kind'] == 'Secret':
            if not (d.get('stringData') or d.get('data')):
                err('Secret %s holds nothing' % d['metadata']['name'])

    if not pods:
        err('no Pod or Deployment')
    ports = set()
    for labels, spec in pods:
        vols = {v['name']: v for v in spec.get('volumes', [])}
        for ctr in spec.get('containers', []):
            cname = ctr.get('name')
            if not cname or not ctr.get('image'):
                err('a container has no name or image')
                continue
            cports = {p['name'] for p in ctr.get('ports', []) if 'name' in p}
            cports |= {p['containerPort'] for p in ctr.get('ports', [])}
            ports |= cports
            for m in ctr.get('volumeMounts', []):
                if m['name'] not in vols:
                    err('%s mounts volume %s, which is not declared'
                        % (cname, m['name']))
            for probe in ('startupProbe', 'readinessProbe',
                          'livenessProbe'):
                pr = ctr.get(probe)
                if pr and 'tcpSocket' in pr and \
                        pr['tcpSocket']['port'] not in cports:
                    err('%s %s port %r is not a container port'
                        % (cname, probe, pr['tcpSocket']['port']))
            sc = ctr.get('securityContext', {})
            if 'jumpgate' in ctr['image']:
                psc = spec.get('securityContext', {})
                if not psc.get('runAsNonRoot'):
                    err('%s: pod without runAsNonRoot' % cname)
                if sc.get('allowPrivilegeEscalation') is not False:
                    err('%s: allowPrivilegeEscalation is not false' % cname)
                if sc.get('capabilities', {}).get('drop') != ['ALL']:
                    err('%s: capabilities not dropped' % cname)
                if 'startupProbe' not in ctr:
                    err('%s: no startupProbe' % cname)
        for v in vols.values():
            for src, kind, ref in (('configMap', 'ConfigMap', 'name'),
                                   ('secret', 'Secret', 'secretName')):
                if src not in v:
                    continue
                target = objs.get((kind, v[src][ref]))
                if target is None:
                    err('volume %s: %s %s is not in the file'
                        % (v['name'], kind, v[src][ref]))
                    continue
                keys = set(target.get('data', {}) or {}) | \
                    set(target.get('stringData', {}) or {})
                for it in v[src].get('items', []):
                    if it['key'] not in keys:
                        err('volume %s: %s %s has no key %s'
                            % (v['name'], kind, v[src][ref], it['key']))
    for d in docs:
        if d['kind'] != 'Service':
            continue
        sel = d['spec'].get('selector', {})
        if not sel or not any(subset(sel, lab) for lab, _ in pods):
            err('Service %s: selector %r matches no pod of the file'
                % (d['metadata']['name'], sel))
        for p in d['spec'].get('ports', []):
            if p.get('targetPort', p.get('port')) not in ports:
                err('Service %s: targetPort %r is no container port'
                    % (d['metadata']['name'], p.get('targetPort')))
    return errs


def t_kubernetes(c):
    d = os.path.join(PKG, 'kubernetes')
    files = sorted(n for n in os.listdir(d) if n.endswith('.yaml'))
    assert {'sidecar.yaml', 'bastion.yaml'} <= set(files), files
    errs = []
    for n in files:
        with open(os.path.join(d, n)) as f:
            docs = [x for x in yaml.safe_load_all(f) if x is not None]
        errs += check_manifest(c, n, docs)
    assert not errs, '\n'.join(errs)


def t_kubernetes_catches(c):
    """The checker itself: a broken manifest is reported."""
    with open(os.path.join(PKG, 'kubernetes', 'bastion.yaml')) as f:
        docs = [x for x in yaml.safe_load_all(f) if x is not None]
    dep = [x for x in docs if x['kind'] == 'Deployment'][0]
    spec = dep['spec']['template']['spec']
    spec['volumes'][0]['configMap']['name'] = 'no-such-config'
    spec['containers'][0]['readinessProbe']['tcpSocket']['port'] = 'http'
    cm = [x for x in docs if x['kind'] == 'ConfigMap'][0]
    cm['data']['jumpgate.conf'] += 'NoSuchKeyword yes\n'
    errs = '\n'.join(check_manifest(c, 'broken', docs))
    for want in ('ConfigMap no-such-config is not in the file',
                 "readinessProbe port 'http' is not a container port",
                 'Bad configuration option: NoSuchKeyword'):
        assert want in errs, 'not reported: %s\n%s' % (want, errs)


if __name__ == '__main__':
    J.main('packaging: manual, examples, Debian default, Kubernetes', setup, [
        ('jumpgate.conf.5 has an entry for every keyword -T prints',
         t_man_entries),
        ('jumpgate.conf.5 names every keyword of the table',
         t_man_mentions),
        ('jumpgate -t accepts every packaging/examples/*.conf', t_examples),
        ('jumpgate -t accepts the Debian package\'s default configuration',
         t_debian_default),
        ('packaging/kubernetes/*.yaml: documents valid and consistent, '
         'configurations load', t_kubernetes),
        ('the manifest checker reports a broken manifest',
         t_kubernetes_catches),
    ])
