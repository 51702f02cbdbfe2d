"""jgtest: shared helpers for jumpgate's integration tests.

Every test script in this directory drives the real jumpgate daemon with
real SSH clients over loopback (127.0.0.1 and ::1).  Nothing is mocked.
This module provides:

  * Env        a temporary directory with keys (ssh-keygen), authorized_keys
               files and converted client keys (PuTTY .ppk, dropbear).
  * Daemon     writes an sshd_config-syntax file, starts
               `$JUMPGATE -f CONF -e -o LogLevel=DEBUG3` with stderr to a
               file, waits for "Server listening on ADDR port N.", offers
               log marks / waits / greps, counts the daemon's fds through
               /proc/PID/fd, and stops it with SIGTERM checking the exit
               status and the log for sanitizer reports.
  * Target     Python-thread TCP servers: echo, sink (sha256), source of N
               deterministic pseudo-random bytes, duplex (source and sink at
               once), or any custom handler; each accepted connection is
               recorded (bytes, sha256, EOF seen, error).
  * Pattern    deterministic pseudo-random data of any length, streamed in
               chunks, with its sha256.
  * ssh_args() the common OpenSSH command line; run() runs a process with a
               hang-stopping timeout (the whole process group is killed).
  * start_sshd() a real OpenSSH sshd on loopback; jump_config() an
               ssh_config reaching it through the daemon with ProxyJump.
  * Runner     prints TAP ("ok N - name" / "not ok N - name" with the
               daemon log since the subtest started as diagnostics).

Environment:
  JUMPGATE            path of the daemon (meson sets it); default
                      <repo>/build/server/jumpgate.
  JG_TIMEOUT_SCALE    multiplies every timeout (default 1; they are already
                      generous enough for ASan/UBSan builds).
  JG_KEEP=1           keep the temporary directory even when all passed.
  JG_TEST_USER        user name used for the "good" key (default alice).

Timeouts exist only to stop hangs; no test asserts on speed.
"""

import hashlib
import logging
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

warnings.filterwarnings('ignore')
logging.getLogger('paramiko').setLevel(logging.CRITICAL + 1)

SSH = '/usr/bin/ssh'
SSHD = '/usr/sbin/sshd'
SSH_KEYGEN = '/usr/bin/ssh-keygen'
PYTHON = '/usr/bin/python3'

USER = os.environ.get('JG_TEST_USER', 'alice')
SCALE = float(os.environ.get('JG_TIMEOUT_SCALE', '1') or '1')

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def T(seconds):
    """A hang-stopping timeout, scaled by JG_TIMEOUT_SCALE."""
    return seconds * SCALE


def daemon_path():
    p = os.environ.get('JUMPGATE') or os.path.join(REPO, 'build', 'server',
                                                   'jumpgate')
    if not os.access(p, os.X_OK):
        raise SystemExit('jumpgate binary not found or not executable: %s '
                         '(set JUMPGATE)' % p)
    return p


class Skip(Exception):
    """Raised by a subtest that cannot run here (reported as TAP SKIP)."""


def need(*programs):
    """Skips the calling subtest when a client program is not installed."""
    for prog in programs:
        if shutil.which(prog) is None:
            raise Skip('%s is not installed' % prog)


# --------------------------------------------------------------------------
# ports, processes

def free_port(host='127.0.0.1'):
    """A TCP port that was free a moment ago on host."""
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Closed:
    """A port bound (so nobody else takes it) but not listening: connecting
    to it is refused by the kernel."""

    def __init__(self, host='127.0.0.1'):
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.host = host
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def client_env(env=None):
    e = dict(os.environ)
    if env is not None:
        e['HOME'] = env.dir     # keep ~/.putty, ~/.ssh etc. out of /root
    return e


class Proc:
    """A subprocess in its own process group, output to files."""

    def __init__(self, args, env=None, name='proc', stdin=subprocess.DEVNULL,
                 stdout=None, stderr=None, cwd=None):
        self.args = [str(a) for a in args]
        self.name = name
        d = env.dir if env is not None else tempfile.gettempdir()
        self.out_path = os.path.join(d, '%s.%d.out' % (name, id(self)))
        self.err_path = os.path.join(d, '%s.%d.err' % (name, id(self)))
        self._out = open(self.out_path, 'wb') if stdout is None else None
        self._err = open(self.err_path, 'wb') if stderr is None else None
        self.p = subprocess.Popen(
            self.args, stdin=stdin,
            stdout=self._out if stdout is None else stdout,
            stderr=self._err if stderr is None else stderr,
            start_new_session=True, env=client_env(env), cwd=cwd)
        self.pid = self.p.pid

    def stderr_text(self):
        with open(self.err_path, 'rb') as f:
            return f.read().decode('utf-8', 'backslashreplace')

    def stdout_bytes(self):
        with open(self.out_path, 'rb') as f:
            return f.read()

    def wait_stderr(self, regex, timeout=T(60)):
        """Waits until stderr matches regex; fails if the process exits
        first or on timeout."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        while True:
            txt = self.stderr_text()
            m = rx.search(txt)
            if m:
                return m
            if self.p.poll() is not None:
                txt = self.stderr_text()
                m = rx.search(txt)
                if m:
                    return m
                raise AssertionError(
                    '%s exited (status %s) before printing /%s/; stderr:\n%s'
                    % (self.name, self.p.returncode, regex, tail(txt)))
            if time.monotonic() > deadline:
                raise AssertionError('%s: no /%s/ within %ss; stderr:\n%s'
                                     % (self.name, regex, timeout, tail(txt)))
            time.sleep(0.05)

    def running(self):
        return self.p.poll() is None

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.p.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=T(30)):
        """SIGTERM the group, then SIGKILL if needed; returns the status.
        OpenSSH 9.2's client can miss a SIGTERM that arrives just before
        it goes back to poll() (it then sleeps until killed), so the
        signal is repeated until it exits."""
        deadline = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < deadline:
            self.kill(signal.SIGTERM)
            try:
                self.p.wait(0.5)
            except subprocess.TimeoutExpired:
                pass
        if self.p.poll() is None:
            self.kill(signal.SIGKILL)
            self.p.wait()
        self.close_files()
        return self.p.returncode

    def wait(self, timeout=T(120)):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.p.wait()
            raise AssertionError('%s did not finish within %ss (killed); '
                                 'stderr:\n%s' % (self.name, timeout,
                                                  tail(self.stderr_text())))
        self.close_files()
        return rc

    def close_files(self):
        for f in (self._out, self._err):
            if f is not None and not f.closed:
                f.close()


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.err_text = err.decode('utf-8', 'backslashreplace')
        self.out_text = out.decode('utf-8', 'backslashreplace')

    def __repr__(self):
        return ('<%s exit %s\nstdout: %r\nstderr:\n%s>'
                % (' '.join(self.args), self.rc, self.out[:300],
                   tail(self.err_text)))


def run(args, input=b'', timeout=T(120), env=None):
    """Runs a command to completion; stdin is `input` (bytes; EOF after it).
    On timeout the whole process group is killed and AssertionError raised
    with what was captured."""
    args = [str(a) for a in args]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True,
                         env=client_env(env))
    try:
        out, err = p.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        raise AssertionError('hang: %s did not finish within %ss (killed)\n'
                             'stdout: %r\nstderr:\n%s'
                             % (' '.join(args), timeout, out[:300],
                                tail(err.decode('utf-8', 'backslashreplace'))))
    return Result(args, p.returncode, out, err)


def tail(text, n=40):
    lines = text.splitlines()
    if len(lines) > n:
        lines = ['[... %d lines before ...]' % (len(lines) - n)] + lines[-n:]
    return '\n'.join(lines)


def wait_until(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ss waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


# --------------------------------------------------------------------------
# data

class Pattern:
    """n bytes of deterministic pseudo-random data (seeded).  Built from a
    prime-length random block with an 8-byte block counter in front of each
    copy, so lost, duplicated or reordered segments change the sha256."""

    BLOCK = 1048573     # prime, so block edges never line up with packets

    _bases = {}

    def __init__(self, seed, n):
        self.seed, self.n = seed, n
        self._sha = None

    def _base(self):
        b = Pattern._bases.get(self.seed)
        if b is None:
            b = random.Random(self.seed).randbytes(self.BLOCK)
            Pattern._bases[self.seed] = b
        return b

    def chunks(self):
        base = self._base()
        left, i = self.n, 0
        while left > 0:
            blk = struct.pack('>Q', i) + base[8:]
            if left < len(blk):
                blk = blk[:left]
            left -= len(blk)
            i += 1
            yield blk

    def bytes(self):
        return b''.join(self.chunks())

    def sha256(self):
        if self._sha is None:
            h = hashlib.sha256()
            for c in self.chunks():
                h.update(c)
            self._sha = h.hexdigest()
        return self._sha


def pattern_bytes(seed, n):
    return Pattern(seed, n).bytes()


def sha(b):
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------
# keys and the environment

class Key:
    def __init__(self, env, name, ktype='ed25519'):
        self.env = env
        self.name = name
        self.path = os.path.join(env.dir, name)
        r = run([SSH_KEYGEN, '-q', '-t', ktype, '-N', '', '-C',
                 'jgtest-' + name, '-f', self.path], timeout=T(60))
        assert r.rc == 0, r
        with open(self.path + '.pub') as f:
            self.pub_line = f.read().strip()
        r = run([SSH_KEYGEN, '-l', '-E', 'sha256', '-f', self.path + '.pub'])
        assert r.rc == 0, r
        # "256 SHA256:xxxx comment (ED25519)"
        self.fingerprint = r.out_text.split()[1]
        self.ktype_label = r.out_text.split()[-1].strip('()')
        self._ppk = self._db = None

    def ppk(self):
        """The key converted for PuTTY (puttygen)."""
        if self._ppk is None:
            out = self.path + '.ppk'
            r = run(['puttygen', self.path, '-O', 'private', '-o', out],
                    env=self.env)
            assert r.rc == 0, r
            self._ppk = out
        return self._ppk

    def dropbear(self):
        """The key converted for dbclient (dropbearconvert)."""
        if self._db is None:
            out = self.path + '.db'
            r = run(['dropbearconvert', 'openssh', 'dropbear', self.path, out],
                    env=self.env)
            assert r.rc == 0, r
            self._db = out
        return self._db

    def paramiko(self):
        import paramiko
        return paramiko.Ed25519Key.from_private_key_file(self.path)


class Env:
    """A temporary directory holding keys, configs, logs."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix='jg-%s-' % name)
        os.chmod(self.dir, 0o755)
        self.authdir = os.path.join(self.dir, 'authorized')
        os.mkdir(self.authdir)
        self.statedir = os.path.join(self.dir, 'state')
        os.mkdir(self.statedir)
        self.failed = False

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def key(self, name, ktype='ed25519'):
        return Key(self, name, ktype)

    def authorize(self, user, key, options=None):
        """Appends key to DIR/authorized/USER.keys (AuthorizedKeysFile
        DIR/authorized/%u.keys)."""
        line = key.pub_line if not options else options + ' ' + key.pub_line
        with open(os.path.join(self.authdir, user + '.keys'), 'a') as f:
            f.write(line + '\n')

    def write(self, name, text):
        p = self.path(name)
        with open(p, 'w') as f:
            f.write(text)
        return p

    def cleanup(self):
        if self.failed or os.environ.get('JG_KEEP'):
            print('# kept test files in %s' % self.dir, flush=True)
            return
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# the daemon

LOG_PREFIX = re.compile(r'^debug\d: ')
SANITIZER = re.compile(r'ERROR: AddressSanitizer|ERROR: LeakSanitizer|'
                       r'runtime error:|WARNING: ThreadSanitizer|'
                       r'SUMMARY: (Address|Undefined|Leak)Sanitizer')


def body(line):
    """A log line's message body (sshd's "debugN: " prefix removed)."""
    return LOG_PREFIX.sub('', line)


class Log:
    """Incremental reader of a log file.  A mark is a line index."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self._pos = 0
        self._partial = b''

    def refresh(self):
        try:
            with open(self.path, 'rb') as f:
                f.seek(self._pos)
                data = f.read()
        except FileNotFoundError:
            return
        if not data:
            return
        self._pos += len(data)
        data = self._partial + data
        parts = data.split(b'\n')
        self._partial = parts.pop()
        # sshd -e ends lines with "\r\n"; accept either
        self.lines.extend(p.decode('utf-8', 'backslashreplace').rstrip('\r')
                          for p in parts)

    def mark(self):
        self.refresh()
        return len(self.lines)

    def since(self, mark=0):
        self.refresh()
        return self.lines[mark:]

    def find(self, regex, mark=0):
        """All re.search matches of regex against message bodies."""
        rx = re.compile(regex)
        out = []
        for ln in self.since(mark):
            m = rx.search(body(ln))
            if m:
                out.append(m)
        return out

    def has(self, regex, mark=0):
        return bool(self.find(regex, mark))

    def wait(self, regex, mark=0, timeout=T(60), count=1, proc=None):
        """Waits until at least `count` lines after mark match; returns the
        matches."""
        deadline = time.monotonic() + timeout
        while True:
            ms = self.find(regex, mark)
            if len(ms) >= count:
                return ms
            if proc is not None and proc.poll() is not None:
                raise AssertionError(
                    'daemon exited (status %s) while waiting for /%s/'
                    % (proc.returncode, regex))
            if time.monotonic() > deadline:
                raise AssertionError(
                    'log: %d of %d lines matching /%s/ after %ss'
                    % (len(ms), count, regex, timeout))
            time.sleep(0.05)

    def in_order(self, regexes, mark=0):
        """Asserts that lines matching each regex appear in this order
        (not necessarily adjacent) after mark; returns the matches."""
        lines = [body(l) for l in self.since(mark)]
        i = 0
        out = []
        for rx in regexes:
            r = re.compile(rx)
            while i < len(lines) and not r.search(lines[i]):
                i += 1
            if i == len(lines):
                raise AssertionError(
                    'log: no line /%s/ after the previous expected line '
                    '(expected in order: %s)' % (rx, regexes))
            out.append(r.search(lines[i]))
            i += 1
        return out

    def excerpt(self, mark=0, n=80):
        return tail('\n'.join(self.since(mark)), n)


class Daemon:
    """One jumpgate process with its own config, port and log."""

    def __init__(self, env, name='jumpgate', listen=('127.0.0.1',),
                 port=None, extra='', loglevel='DEBUG3', hostkey=None,
                 pidfile='none', log_option='-e', strictmodes=False):
        self.env = env
        self.name = name
        self.listen = list(listen)
        self.fixed_port = port is not None
        self.port = port or free_port(self.listen[0])
        self.hostkey = hostkey or env.key(name + '_host')
        self.loglevel = loglevel
        self.pidfile = pidfile
        self.extra = extra
        self.strictmodes = strictmodes
        self.conf = env.path(name + '.conf')
        self._write_conf()
        self.log_path = env.path(name + '.log')
        self.log = Log(self.log_path)
        self.log_option = log_option    # '-e' (stderr) or '-E' (log file)
        self.stderr_path = env.path(name + '.stderr')
        self.proc = None
        self.problems = []

    def _write_conf(self):
        lines = ['# written by jgtest.py',
                 'Port %d' % self.port]
        lines += ['ListenAddress %s' % a for a in self.listen]
        lines += ['HostKey %s' % self.hostkey.path,
                  'AuthorizedKeysFile %s/%%u.keys' % self.env.authdir,
                  'LogLevel %s' % self.loglevel,
                  'PidFile %s' % self.pidfile,
                  # tests run as root and read their temp files
                  'User root',
                  'StateDirectory %s' % self.env.statedir]
        # The keys live under /tmp, which is world-writable: sshd's
        # StrictModes (the default) refuses every file there.
        if not self.strictmodes:
            lines.append('StrictModes no')
        if self.extra:
            lines.append(self.extra)
        self.env.write(self.name + '.conf', '\n'.join(lines) + '\n')

    def start(self, timeout=T(60)):
        for attempt in range(3):
            try:
                return self._start(timeout)
            except AssertionError:
                # the free port we picked was taken meanwhile: pick another
                if self.fixed_port or self.alive() or attempt == 2 or \
                        not self.log.has(r'[Aa]ddress already in use'):
                    raise
                self._logf.close()
                os.rename(self.log_path, self.log_path + '.%d' % attempt)
                self.log = Log(self.log_path)
                self.port = free_port(self.listen[0])
                self._write_conf()

    def _start(self, timeout):
        if self.log_option == '-E':
            self._logf = open(self.stderr_path, 'ab')
            logargs = ['-E', self.log_path]
        else:
            self._logf = open(self.log_path, 'ab')
            logargs = ['-e']
        self.proc = subprocess.Popen(
            [daemon_path(), '-f', self.conf] + logargs +
            ['-o', 'LogLevel=' + self.loglevel],
            stdin=subprocess.DEVNULL, stdout=self._logf, stderr=self._logf,
            start_new_session=True)
        self.pid = self.proc.pid
        try:
            for a in self.listen:
                self.log.wait(r'^Server listening on %s port %d\.$'
                              % (re.escape(a), self.port), timeout=timeout,
                              proc=self.proc)
        except AssertionError as e:
            raise AssertionError('%s did not start: %s\nlog:\n%s'
                                 % (self.name, e, self.log.excerpt()))
        return self

    def mark(self):
        return self.log.mark()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        if not self.alive():
            raise AssertionError('daemon died (status %s); log tail:\n%s'
                                 % (self.proc.returncode,
                                    self.log.excerpt(0, 40)))

    # fds ------------------------------------------------------------------
    def fds(self):
        """The daemon's open fds as {fd: target}."""
        d = '/proc/%d/fd' % self.pid
        out = {}
        for fd in os.listdir(d):
            try:
                out[int(fd)] = os.readlink(os.path.join(d, fd))
            except OSError:
                pass
        return out

    def fd_count(self):
        return len(self.fds())

    def settled_fd_count(self, timeout=T(30)):
        """The fd count once it has stopped changing for a moment."""
        deadline = time.monotonic() + timeout
        last = self.fd_count()
        stable = 0
        while time.monotonic() < deadline and stable < 10:
            time.sleep(0.05)
            c = self.fd_count()
            stable = stable + 1 if c == last else 0
            last = c
        return last

    def wait_fds(self, baseline, timeout=T(60)):
        """Waits until the fd count is back to <= baseline."""
        deadline = time.monotonic() + timeout
        while True:
            fds = self.fds()
            if len(fds) <= baseline:
                return len(fds)
            if time.monotonic() > deadline:
                raise AssertionError(
                    'daemon fd count %d did not return to baseline %d '
                    'within %ss; open fds: %s'
                    % (len(fds), baseline, timeout,
                       ', '.join('%d->%s' % kv for kv in sorted(fds.items()))))
            time.sleep(0.1)

    # stop -----------------------------------------------------------------
    def stop(self, timeout=T(60)):
        """SIGTERM; returns a list of problems (empty when it exited
        cleanly: status 0, no sanitizer report)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append('daemon had already exited with status %s'
                            % self.proc.returncode)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                problems.append('daemon did not exit within %ss of SIGTERM '
                                '(SIGKILLed)' % timeout)
            rc = self.proc.returncode
            if rc != 0 and not problems:
                problems.append('daemon exit status after SIGTERM: %s%s'
                                % (rc, ' (signal %d)' % -rc if rc < 0 else ''))
        self._logf.close()
        lines = self.log.since(0)
        if self.log_option == '-E':
            lines = lines + Log(self.stderr_path).since(0)
        for ln in lines:
            if SANITIZER.search(ln):
                problems.append('sanitizer report in the log: ' + ln)
                break
        if problems:
            problems.append('log tail:\n' + self.log.excerpt(0, 60))
        return problems


# --------------------------------------------------------------------------
# targets

class Conn:
    """What a target saw on one accepted connection."""

    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.received = 0
        self.received_sha = None
        self.received_data = None   # kept only by handlers that keep it
        self.sent = 0
        self.sent_sha = None
        self.eof = False            # read returned 0 (FIN)
        self.error = None           # exception text (RST, EPIPE...)
        self.done = threading.Event()
        self.info = {}


def recv_all(sock, conn=None, keep=False, bufsize=262144):
    """Reads until EOF; returns (count, sha256hex, data or None).  A reset
    is recorded in conn.error and ends the read."""
    h = hashlib.sha256()
    n = 0
    parts = [] if keep else None
    while True:
        try:
            b = sock.recv(bufsize)
        except OSError as e:
            if conn is not None:
                conn.error = repr(e)
            break
        if not b:
            if conn is not None:
                conn.eof = True
            break
        n += len(b)
        h.update(b)
        if keep:
            parts.append(b)
        if conn is not None:
            conn.received = n
    return n, h.hexdigest(), (b''.join(parts) if keep else None)


def send_pattern(sock, pattern, conn=None):
    h = hashlib.sha256()
    n = 0
    for c in pattern.chunks():
        sock.sendall(c)
        h.update(c)
        n += len(c)
        if conn is not None:
            conn.sent = n
    return n, h.hexdigest()


def echo_handler(sock, conn):
    """Echoes everything; on EOF shuts down its write side and closes."""
    h = hashlib.sha256()
    while True:
        try:
            b = sock.recv(262144)
        except OSError as e:
            conn.error = repr(e)
            break
        if not b:
            conn.eof = True
            break
        h.update(b)
        conn.received += len(b)
        try:
            sock.sendall(b)
        except OSError as e:
            conn.error = repr(e)
            break
        conn.sent += len(b)
    conn.received_sha = h.hexdigest()
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def sink_handler(keep=False):
    def handler(sock, conn):
        n, hx, data = recv_all(sock, conn, keep)
        conn.received, conn.received_sha, conn.received_data = n, hx, data
    return handler


def source_handler(pattern):
    """Sends pattern, shuts down its write side, then reads until EOF."""
    def handler(sock, conn):
        try:
            conn.sent, conn.sent_sha = send_pattern(sock, pattern, conn)
        except OSError as e:
            conn.error = repr(e)
            return
        sock.shutdown(socket.SHUT_WR)
        n, hx, _ = recv_all(sock, conn)
        conn.received, conn.received_sha = n, hx
    return handler


def duplex_handler(pattern, eof_last=False):
    """Sends pattern while reading until EOF, both at once; shuts down its
    write side when the pattern is sent, or with eof_last=True only once
    the peer's EOF has arrived too (needed for ssh -W, which stops reading
    its stdin as soon as it receives EOF)."""
    def handler(sock, conn):
        got_eof = threading.Event()

        def sender():
            try:
                conn.sent, conn.sent_sha = send_pattern(sock, pattern, conn)
                if eof_last:
                    got_eof.wait()
                sock.shutdown(socket.SHUT_WR)
            except OSError as e:
                conn.info['send_error'] = repr(e)
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        n, hx, _ = recv_all(sock, conn)
        got_eof.set()
        conn.received, conn.received_sha = n, hx
        t.join()
    return handler


class Target:
    """A TCP listener served by Python threads; one handler thread per
    accepted connection, each recorded as a Conn in self.conns."""

    def __init__(self, handler, host='127.0.0.1', backlog=512, name='target',
                 port=0):
        self.handler = handler
        self.host = host
        self.name = name
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        self.lsock = socket.socket(fam, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.lsock.bind((host, port))
        except OSError:
            self.lsock.close()
            raise
        self.lsock.listen(backlog)
        self.port = self.lsock.getsockname()[1]
        self.conns = []
        self.lock = threading.Condition()
        self._stop = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self._stop:
            try:
                s, peer = self.lsock.accept()
            except OSError:
                return
            c = Conn(s, peer)
            with self.lock:
                self.conns.append(c)
                self.lock.notify_all()
            threading.Thread(target=self._serve, args=(s, c),
                             daemon=True).start()

    def _serve(self, s, c):
        try:
            self.handler(s, c)
        except Exception as e:      # recorded, checked by the test
            c.error = c.error or repr(e)
        finally:
            try:
                s.close()
            except OSError:
                pass
            c.done.set()
            with self.lock:
                self.lock.notify_all()

    @classmethod
    def same_port_pair(cls, ctx, handler, name='target'):
        """Targets on 127.0.0.1:P and [::1]:P, the same P, closed with
        ctx."""
        for _ in range(200):
            t4 = cls(handler, '127.0.0.1', name=name + '4')
            try:
                t6 = cls(handler, '::1', name=name + '6', port=t4.port)
            except OSError:
                t4.close()
                continue
            ctx.closing(t4)
            ctx.closing(t6)
            return t4, t6
        raise AssertionError('no port free on both 127.0.0.1 and ::1')

    def wait_conns(self, n, timeout=T(60)):
        with self.lock:
            ok = self.lock.wait_for(lambda: len(self.conns) >= n, timeout)
        if not ok:
            raise AssertionError('%s: %d of %d connections within %ss'
                                 % (self.name, len(self.conns), n, timeout))
        return self.conns[:n]

    def wait_done(self, n=None, timeout=T(120)):
        """Waits until n (default: all seen so far) handlers finished."""
        conns = self.wait_conns(n, timeout) if n else list(self.conns)
        deadline = time.monotonic() + timeout
        for c in conns:
            if not c.done.wait(max(0, deadline - time.monotonic())):
                raise AssertionError(
                    '%s: connection from %s not finished within %ss '
                    '(received %d, sent %d, eof %s, error %s)'
                    % (self.name, c.peer, timeout, c.received, c.sent, c.eof,
                       c.error))
        return conns

    def close(self):
        self._stop = True
        try:
            self.lsock.close()
        except OSError:
            pass
        for c in list(self.conns):
            try:
                c.sock.close()
            except OSError:
                pass


def hostport(host, port):
    return '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)


# --------------------------------------------------------------------------
# clients

def ssh_args(key, port, user=None, host='127.0.0.1', extra=()):
    """The common OpenSSH client command line (destination last; append the
    remote command after it if any)."""
    return [SSH, '-F', '/dev/null',
            '-o', 'StrictHostKeyChecking=no',
            '-o', 'UserKnownHostsFile=/dev/null',
            '-o', 'GlobalKnownHostsFile=/dev/null',
            '-o', 'BatchMode=yes',
            '-o', 'IdentitiesOnly=yes',
            '-o', 'IdentityAgent=none',
            '-o', 'ControlPath=none',
            '-o', 'ConnectTimeout=%d' % int(T(60)),
            '-i', key.path, '-p', str(port)] + list(extra) + \
        ['%s@%s' % (user or USER, host)]


def ssh_w_args(key, daemon, thost, tport, user=None, host='127.0.0.1',
               extra=()):
    return ssh_args(key, daemon.port, user, host,
                    ['-W', hostport(thost, tport)] + list(extra))


class SshForward(Proc):
    """`ssh -N -v` with -L/-D/-R options, waited on until its local
    listeners are up (ssh prints "Local forwarding listening on ...")."""

    def __init__(self, env, key, daemon, forwards, user=None, host='127.0.0.1',
                 extra=(), listeners=None, name='ssh-fwd'):
        args = ssh_args(key, daemon.port, user, host,
                        ['-N', '-v', '-o', 'ExitOnForwardFailure=yes']
                        + list(forwards) + list(extra))
        Proc.__init__(self, args, env=env, name=name)
        n = listeners if listeners is not None else \
            sum(1 for a in forwards if a in ('-L', '-D'))
        if n:
            wait_until(lambda: self._count_listening() >= n or
                       not self.running(), T(60),
                       'ssh local forward listeners')
            if self._count_listening() < n:
                raise AssertionError('ssh exited (status %s) before its '
                                     'forwards were up:\n%s'
                                     % (self.p.poll(),
                                        tail(self.stderr_text())))

    def _count_listening(self):
        # one line per listening socket; count distinct forwards only once
        return len(set(re.findall(r'Local forwarding listening on (\S+) '
                                  r'port (\d+)', self.stderr_text())))


def start_sshd(env, key):
    """A real OpenSSH sshd on 127.0.0.1 (needs root)."""
    if os.geteuid() != 0:
        raise Skip('sshd needs root')
    need(SSHD)
    os.makedirs('/run/sshd', mode=0o755, exist_ok=True)
    hk = env.key('sshd_host')
    port = free_port()
    ak = env.write('sshd_authorized_keys', key.pub_line + '\n')
    conf = env.write('sshd_config', '\n'.join([
        'Port %d' % port, 'ListenAddress 127.0.0.1', 'HostKey %s' % hk.path,
        'AuthorizedKeysFile %s' % ak, 'UsePAM no', 'PidFile none',
        'StrictModes no', 'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password', 'LogLevel DEBUG1', '']))
    p = Proc([SSHD, '-D', '-e', '-f', conf], env=env, name='sshd')
    p.wait_stderr(r'Server listening on 127\.0\.0\.1 port %d\.' % port)
    return p, port


def jump_config(env, daemon, user, key, far_port, far_key, jg_extra=()):
    """An ssh_config: host "jg" is the daemon (user, key, jg_extra
    lines), host "far" an sshd on far_port reached with ProxyJump jg."""
    lines = ['Host *', '  StrictHostKeyChecking no',
             '  UserKnownHostsFile /dev/null',
             '  GlobalKnownHostsFile /dev/null', '  BatchMode yes',
             '  IdentitiesOnly yes', '  IdentityAgent none',
             '  ControlPath none', '  ConnectTimeout %d' % int(T(60)),
             'Host jg', '  HostName 127.0.0.1', '  Port %d' % daemon.port,
             '  User %s' % user, '  IdentityFile %s' % key.path]
    lines += ['  ' + x for x in jg_extra]
    lines += ['Host far', '  HostName 127.0.0.1', '  Port %d' % far_port,
              '  User root', '  IdentityFile %s' % far_key.path,
              '  ProxyJump jg']
    return env.write('jump_config', '\n'.join(lines) + '\n')


def paramiko_connect(daemon, key, user=None, host='127.0.0.1',
                     auth=True):
    """A paramiko Transport to the daemon.  Returns (transport, local_port)
    where local_port is the client's source port (what the daemon logs)."""
    import paramiko
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(T(60))
    s.connect((host, daemon.port))
    lport = s.getsockname()[1]
    t = paramiko.Transport(s)
    t.start_client(timeout=T(60))
    if auth:
        t.auth_publickey(user or USER, key.paramiko())
        assert t.is_authenticated()
    return t, lport


def chan_recv_all(chan, timeout=T(120)):
    """Reads a paramiko channel until EOF."""
    chan.settimeout(timeout)
    parts = []
    while True:
        b = chan.recv(262144)
        if not b:
            break
        parts.append(b)
    return b''.join(parts)


def connect_local(port, host='127.0.0.1', timeout=T(60)):
    s = socket.create_connection((host, port), timeout=timeout)
    return s


def tcp_duplex(sock, pattern, timeout=T(300)):
    """Over a connected socket: send pattern (then SHUT_WR) while reading
    until EOF.  Returns (received_count, received_sha)."""
    sock.settimeout(timeout)
    res = {}

    def sender():
        try:
            send_pattern(sock, pattern)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            res['err'] = repr(e)
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    n, hx, _ = recv_all(sock)
    t.join(timeout)
    if 'err' in res:
        raise AssertionError('send failed: ' + res['err'])
    return n, hx


# --------------------------------------------------------------------------
# TAP runner

class Runner:
    """Runs subtests and prints TAP.  On failure the daemon log since the
    subtest began is printed as TAP diagnostics."""

    def __init__(self, title, env=None):
        self.title = title
        self.env = env
        self.n = 0
        self.failed = 0
        self.daemons = []
        print('# %s' % title, flush=True)

    def watch(self, daemon):
        self.daemons.append(daemon)
        return daemon

    def run(self, name, fn, *args, **kw):
        self.n += 1
        marks = [(d, d.mark()) for d in self.daemons]
        t0 = time.monotonic()
        try:
            fn(*args, **kw)
        except Skip as e:
            print('ok %d - %s # SKIP %s' % (self.n, name, e), flush=True)
            return True
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            self.failed += 1
            if self.env is not None:
                self.env.failed = True
            print('not ok %d - %s' % (self.n, name), flush=True)
            diag = traceback.format_exc()
            for d, m in marks:
                diag += '\n--- %s log since this subtest began ---\n' % d.name
                diag += d.log.excerpt(m, 120)
            for ln in diag.splitlines():
                print('#   ' + ln)
            sys.stdout.flush()
            return False
        print('ok %d - %s (%.1fs)' % (self.n, name, time.monotonic() - t0),
              flush=True)
        return True

    def stop_daemons(self):
        """Stops watched daemons as one more subtest each."""
        for d in self.daemons:
            def check(d=d):
                problems = d.stop()
                if problems:
                    raise AssertionError('\n'.join(problems))
            self.run('%s exits cleanly on SIGTERM' % d.name, check)
        self.daemons = []

    def finish(self):
        self.stop_daemons()
        print('1..%d' % self.n, flush=True)
        if self.env is not None:
            self.env.cleanup()
        sys.exit(1 if self.failed else 0)


def main(title, setup, tests):
    """Common driver: setup(env, runner) -> context (started daemons are
    registered with runner.watch); tests is a list of (name, fn(ctx))."""
    env = Env(re.sub(r'\W+', '-', title)[:30])
    r = Runner(title, env)
    ctx = None
    try:
        ctx = setup(env, r)
    except Exception:
        r.n += 1
        r.failed += 1
        env.failed = True
        print('not ok %d - setup' % r.n)
        for ln in traceback.format_exc().splitlines():
            print('#   ' + ln)
        r.finish()
    for name, fn in tests:
        r.run(name, fn, ctx)
    if ctx is not None and hasattr(ctx, 'close'):
        try:
            ctx.close()
        except Exception:
            pass
    r.finish()


class Ctx:
    """A bag for a script's fixtures; close() closes what has a close()."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self._closers = []

    def closing(self, obj):
        self._closers.append(obj)
        return obj

    def close(self):
        for o in reversed(self._closers):
            try:
                o.close()
            except Exception:
                pass
