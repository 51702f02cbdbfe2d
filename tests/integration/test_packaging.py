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
    escalation; each ConfigMap's jumpgate.conf passes `jumpgate -t`, and
    so does it with its commented-out "#ProxyProtocolFrom" line restored.
    For each jumpgate container, against what `jumpgate -T` makes of the
    configuration it mounts: AdminListen is set and not loopback (the
    kubelet probes the pod's address), the startup, liveness and
    readiness probes are HTTP GETs of /healthz, /healthz and /readyz on
    that port, which is a container port and no Service's target, the pod
    has prometheus.io/scrape "true" with that port and /metrics,
    terminationGracePeriodSeconds exceeds the preStop sleep plus
    ShutdownGraceTime, and an AuditLog file would be on a writable mount.
  * each of those configurations, run (moved to 127.0.0.1 and free
    ports), answers 200 to every probe's path and to the scrape path,
    with metrics in the body, and exits 0 on SIGTERM.
"""

import http.client
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


def write_conf(c, name, text):
    """text written for -t or -T, /etc/jumpgate/ moved into a private
    copy with a host key for each HostKey line; returns (dir, path)."""
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
    return d, p


def check_conf(c, name, text):
    """jumpgate -t on text: None, or what went wrong."""
    d, p = write_conf(c, name, text)
    r = J.run(as_checker([J.daemon_path(), '-t', '-f', p]), timeout=T(60))
    if r.rc != 0:
        return '%s: jumpgate -t exit %s\n%s' % (name, r.rc,
                                               r.err_text.replace(d, '...'))
    return None


def conf_settings(c, name, text):
    """What jumpgate -T prints for text, as {keyword: first value}; None
    when it does not load (check_conf says why)."""
    _, p = write_conf(c, name + '-T', text)
    r = J.run(as_checker([J.daemon_path(), '-T', '-f', p]), timeout=T(60))
    if r.rc != 0:
        return None
    out = {}
    for ln in r.out_text.splitlines():
        kw, _, val = ln.partition(' ')
        out.setdefault(kw, val)
    return out


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
    """[(pod metadata, pod spec)] of a Pod or a Deployment's template."""
    if doc['kind'] == 'Pod':
        return [(doc['metadata'], doc['spec'])]
    if doc['kind'] == 'Deployment':
        t = doc['spec']['template']
        return [(t['metadata'], t['spec'])]
    return []


def subset(a, b):
    return all(b.get(k) == v for k, v in a.items())


CONF_PATH = ETC + 'jumpgate.conf'
PROXY_OPTION = re.compile(r'^(\s*)#\s*(ProxyProtocolFrom\s.*)$', re.M)
PROBE_PATHS = {'startupProbe': '/healthz', 'livenessProbe': '/healthz',
               'readinessProbe': '/readyz'}


def port_number(ctr, port):
    """A probe's or Service's port (name or number) as the container's
    port number, or None."""
    for p in ctr.get('ports', []):
        if port in (p.get('name'), p['containerPort']):
            return p['containerPort']
    return None


def pod_conf(spec, ctr, objs):
    """The jumpgate.conf text a container reads, through its mount of
    /etc/jumpgate/jumpgate.conf and the ConfigMap behind that volume."""
    vols = {v['name']: v for v in spec.get('volumes', [])}
    for m in ctr.get('volumeMounts', []):
        v = vols.get(m['name'], {})
        if m['mountPath'] == CONF_PATH and 'configMap' in v:
            cm = objs.get(('ConfigMap', v['configMap']['name']), {})
            return cm.get('data', {}).get(m.get('subPath', 'jumpgate.conf'))
    return None


def check_jumpgate(c, err, meta, spec, ctr, conf, exposed):
    """A jumpgate container against the configuration it reads: probes
    on the admin port the configuration opens (on the pod's address,
    where the kubelet probes), Prometheus annotations naming it, a grace
    period longer than preStop plus ShutdownGraceTime, an audit log it
    can open, and the admin port out of every Service."""
    cname = ctr['name']
    cf = conf_settings(c, cname, conf)
    if cf is None:
        return          # check_conf reports why
    admin = cf.get('adminlisten', 'none')
    if admin == 'none':
        err('%s: no AdminListen, so nothing answers the probes' % cname)
        return
    host, _, port = admin.rpartition(':')
    port = int(port)
    if host.strip('[]') in ('127.0.0.1', '::1') or host.startswith('127.'):
        err('%s: AdminListen %s is loopback: the kubelet probes the pod\'s '
            'address' % (cname, admin))
    if port_number(ctr, port) is None:
        err('%s: admin port %d is not a container port' % (cname, port))
    for probe, path in PROBE_PATHS.items():
        pr = ctr.get(probe)
        if not pr or 'httpGet' not in pr:
            err('%s: no HTTP %s' % (cname, probe))
            continue
        if port_number(ctr, pr['httpGet']['port']) != port:
            err('%s: %s port %r is not the admin port %d'
                % (cname, probe, pr['httpGet']['port'], port))
        if pr['httpGet'].get('path') != path:
            err('%s: %s path %s, not %s' % (cname, probe,
                                            pr['httpGet'].get('path'), path))
    ann = meta.get('annotations', {}) or {}
    if ann.get('prometheus.io/scrape') != 'true':
        err('%s: pod without prometheus.io/scrape "true"' % cname)
    elif ann.get('prometheus.io/port') != str(port) or \
            ann.get('prometheus.io/path') != '/metrics':
        err('%s: prometheus.io/port %s path %s, not the admin port %d '
            '/metrics' % (cname, ann.get('prometheus.io/port'),
                          ann.get('prometheus.io/path'), port))
    grace = spec.get('terminationGracePeriodSeconds', 30)
    sleep = ctr.get('lifecycle', {}).get('preStop', {}).get(
        'sleep', {}).get('seconds', 0)
    drain = int(cf.get('shutdowngracetime', '30'))
    if grace <= sleep + drain:
        err('%s: terminationGracePeriodSeconds %d is not above preStop '
            'sleep %d + ShutdownGraceTime %d' % (cname, grace, sleep, drain))
    audit = cf.get('auditlog', 'none')
    if audit not in ('none', 'stdout') and \
            ctr.get('securityContext', {}).get('readOnlyRootFilesystem') \
            and not any(audit.startswith(m['mountPath'].rstrip('/') + '/')
                        and not m.get('readOnly')
                        for m in ctr.get('volumeMounts', [])):
        err('%s: AuditLog %s is on a read-only file system' % (cname, audit))
    if port in exposed:
        err('%s: a Service exposes the admin port %d' % (cname, port))


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
            cm = '%s ConfigMap %s' % (name, d['metadata']['name'])
            text = d['data']['jumpgate.conf']
            errs.append(check_conf(c, cm, text))
            # The commented-out PROXY protocol option loads as well.
            if PROXY_OPTION.search(text):
                errs.append(check_conf(c, cm + ' with ProxyProtocolFrom',
                                       PROXY_OPTION.sub(r'\1\2', text)))
        if d['kind'] == 'Secret':
            if not (d.get('stringData') or d.get('data')):
                err('Secret %s holds nothing' % d['metadata']['name'])
    errs = [e for e in errs if e]

    if not pods:
        err('no Pod or Deployment')
    services = [d for d in docs if d['kind'] == 'Service']
    ports = set()
    exposed = set()
    for meta, spec in pods:
        for ctr in spec.get('containers', []):
            for sv in services:
                sel = sv['spec'].get('selector')
                if sel and subset(sel, meta.get('labels', {})):
                    exposed |= {port_number(ctr, p.get('targetPort',
                                                       p.get('port')))
                                for p in sv['spec'].get('ports', [])}
    for meta, spec in pods:
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
            for probe in PROBE_PATHS:
                pr = ctr.get(probe, {})
                for how in ('tcpSocket', 'httpGet'):
                    if how in pr and pr[how]['port'] not in cports:
                        err('%s %s port %r is not a container port'
                            % (cname, probe, pr[how]['port']))
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
                conf = pod_conf(spec, ctr, objs)
                if conf is None:
                    err('%s: no ConfigMap mounted at %s' % (cname, CONF_PATH))
                else:
                    check_jumpgate(c, err, meta, spec, ctr, conf, exposed)
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
    for d in services:
        sel = d['spec'].get('selector', {})
        if not sel or not any(subset(sel, m.get('labels', {}))
                              for m, _ in pods):
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


def http_get(port, path):
    """(status, body) of GET path on 127.0.0.1:port, as a kubelet asks."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=T(30))
    try:
        conn.request('GET', path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def serve_and_probe(c, name, meta, ctr, conf):
    """Runs jumpgate on conf, moved to 127.0.0.1 and free ports, and asks
    every probe's path and the scrape path on its admin listener."""
    ssh, admin = J.free_port(), J.free_port()
    for rx, line in ((r'Port\s+\d+', 'Port %d' % ssh),
                     (r'ListenAddress\s+\S+', 'ListenAddress 127.0.0.1'),
                     (r'AdminListen\s+\S+', 'AdminListen 127.0.0.1:%d'
                      % admin)):
        conf = re.sub(r'^(\s*)%s$' % rx, r'\g<1>' + line, conf, flags=re.M)
    _, path = write_conf(c, name + '-run', conf)
    d = J.Proc([J.daemon_path(), '-f', path, '-e', '-o', 'User=root',
                '-o', 'StrictModes=no', '-o', 'StateDirectory='
                + c.env.statedir], env=c.env, name=name)
    try:
        d.wait_stderr(r'Server listening on 127\.0\.0\.1 port %d\.' % ssh)
        ann = meta['annotations']
        asks = [ctr[p]['httpGet']['path'] for p in PROBE_PATHS] + \
            [ann['prometheus.io/path']]
        for ask in asks:
            st, body = http_get(admin, ask)
            assert st == 200, '%s: GET %s: %d %r' % (name, ask, st, body)
        assert b'jumpgate_connections_total' in body, body[:200]
    finally:
        rc = d.stop()
    assert rc == 0, '%s: exit %s after SIGTERM:\n%s' % (name, rc,
                                                       d.stderr_text())


def t_kubernetes_serve(c):
    d = os.path.join(PKG, 'kubernetes')
    n = 0
    for f in sorted(x for x in os.listdir(d) if x.endswith('.yaml')):
        with open(os.path.join(d, f)) as fh:
            docs = [x for x in yaml.safe_load_all(fh) if x is not None]
        objs = {(x['kind'], x['metadata']['name']): x for x in docs}
        for doc in docs:
            for meta, spec in pod_specs(doc):
                for ctr in spec['containers']:
                    if 'jumpgate' in ctr['image']:
                        serve_and_probe(c, f, meta, ctr,
                                        pod_conf(spec, ctr, objs))
                        n += 1
    assert n >= 2, '%d jumpgate containers' % n


def bastion_docs():
    with open(os.path.join(PKG, 'kubernetes', 'bastion.yaml')) as f:
        docs = [x for x in yaml.safe_load_all(f) if x is not None]
    dep = [x for x in docs if x['kind'] == 'Deployment'][0]
    cm = [x for x in docs if x['kind'] == 'ConfigMap'][0]
    return docs, dep['spec']['template'], cm['data']


def t_kubernetes_catches(c):
    """The checker itself: a broken manifest is reported."""
    docs, tmpl, data = bastion_docs()
    spec = tmpl['spec']
    ctr = spec['containers'][0]
    spec['volumes'][0]['configMap']['name'] = 'no-such-config'
    ctr['readinessProbe']['httpGet']['port'] = 'http'
    data['jumpgate.conf'] += 'NoSuchKeyword yes\n'
    errs = check_manifest(c, 'broken', docs)
    # The configuration loads, but what mounts and probes it is wrong.
    docs2, tmpl, data = bastion_docs()
    spec = tmpl['spec']
    ctr = spec['containers'][0]
    ctr['livenessProbe']['httpGet']['port'] = 'ssh'
    ctr['readinessProbe']['httpGet']['path'] = '/healthz'
    spec['terminationGracePeriodSeconds'] = 35
    tmpl['metadata']['annotations']['prometheus.io/port'] = '9123'
    [x for x in docs2 if x['kind'] == 'Service'][0]['spec']['ports'].append(
        {'name': 'metrics', 'port': 9122, 'targetPort': 'admin'})
    conf = data['jumpgate.conf']
    for a, b in (('AdminListen 0.0.0.0:9122', 'AdminListen 127.0.0.1:9122'),
                 ('AuditLog stdout', 'AuditLog /var/log/jumpgate.json'),
                 ('#ProxyProtocolFrom 10.0.0.0/16',
                  '#ProxyProtocolFrom lb.example.com')):
        assert a in conf, 'bastion.yaml has no "%s" line' % a
        conf = conf.replace(a, b)
    data['jumpgate.conf'] = conf
    errs = '\n'.join(errs + check_manifest(c, 'broken2', docs2))
    for want in ('ConfigMap no-such-config is not in the file',
                 "readinessProbe port 'http' is not a container port",
                 'Bad configuration option: NoSuchKeyword',
                 "livenessProbe port 'ssh' is not the admin port 9122",
                 'readinessProbe path /healthz, not /readyz',
                 'terminationGracePeriodSeconds 35 is not above preStop '
                 'sleep 5 + ShutdownGraceTime 30',
                 'prometheus.io/port 9123 path /metrics, not the admin '
                 'port 9122',
                 'a Service exposes the admin port 9122',
                 'AdminListen 127.0.0.1:9122 is loopback',
                 'AuditLog /var/log/jumpgate.json is on a read-only file '
                 'system',
                 'with ProxyProtocolFrom: jumpgate -t exit 255'):
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
        ('each manifest\'s configuration, run, answers its probes and '
         'the scrape on the admin port', t_kubernetes_serve),
    ])
