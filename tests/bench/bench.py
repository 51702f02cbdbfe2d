#!/usr/bin/python3
"""jumpgate benchmark driver: jumpgate vs OpenSSH sshd vs Dropbear.

Starts each server on its own loopback port with the same ed25519 host and
client keys, runs jgbench (the C libssh load generator next to this file)
for every measurement, and writes results.json, results.md (the Markdown
table with jumpgate/sshd and jumpgate/dropbear ratios), chart.dat and
chart.png (gnuplot) into --out.  --smoke runs every measurement at a tiny
size and exits non-zero when any of them fails (errors, never speed).

Usually run through run.sh; see README.md in this directory.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

AES = "aes128-gcm@openssh.com"
CHACHA = "chacha20-poly1305@openssh.com"
KEX = "curve25519-sha256"
SERVERS = ["jumpgate", "sshd", "dropbear"]
NOFILE = 20000          # the same fd limit for every server and jgbench

FULL = dict(bulk_bytes=1 << 30, chan_seconds=5, conn_seconds=5,
            idle_sessions=1000, chan_sessions=100, chan_per_session=100,
            lat_count=20000, settle=3, conn_conc=32, idle_conc=16, rounds=3)
SMOKE = dict(bulk_bytes=8 << 20, chan_seconds=1, conn_seconds=1,
             idle_sessions=20, chan_sessions=4, chan_per_session=5,
             lat_count=300, settle=0.5, conn_conc=32, idle_conc=8, rounds=1)

# (key, label, unit, better, target vs sshd) in table order.
ROWS = [
    ("aes.bulk_up_MBps", "bulk client→target, aes128-gcm", "MB/s", "high",
     "≥ 1.0×"),
    ("aes.bulk_down_MBps", "bulk target→client, aes128-gcm", "MB/s", "high",
     "≥ 1.0×"),
    ("aes.bulk_up_cpu_s_per_GB", "server CPU, client→target, aes128-gcm",
     "s/GB", "low", "≤ 0.7×"),
    ("aes.bulk_down_cpu_s_per_GB", "server CPU, target→client, aes128-gcm",
     "s/GB", "low", "≤ 0.7×"),
    ("chacha.bulk_up_MBps", "bulk client→target, chacha20-poly1305", "MB/s",
     "high", "≥ 1.0×"),
    ("chacha.bulk_down_MBps", "bulk target→client, chacha20-poly1305",
     "MB/s", "high", "≥ 1.0×"),
    ("chacha.bulk_up_cpu_s_per_GB",
     "server CPU, client→target, chacha20-poly1305", "s/GB", "low", "≤ 0.7×"),
    ("chacha.bulk_down_cpu_s_per_GB",
     "server CPU, target→client, chacha20-poly1305", "s/GB", "low", "≤ 0.7×"),
    ("chanrate_c1_per_s", "channel opens (open, 64 B echo, close), 1 at a time",
     "/s", "high", "≥ 2×"),
    ("chanrate_c64_per_s", "channel opens, 64 concurrent, one session", "/s",
     "high", "≥ 2×"),
    ("chanrate_c64_server_cpu_us_per_op", "server CPU per channel open "
     "(64 concurrent)", "µs", "low", ""),
    ("connrate_per_s", "new connections (kex, auth, 1 channel), 32 concurrent",
     "/s", "high", "≥ 10×"),
    ("connrate_server_cpu_ms_per_conn", "server CPU per new connection", "ms",
     "low", ""),
    ("idle_session_pss_anon_KiB", "Pss_Anon per idle authenticated session "
     "(N sessions)", "KiB", "low", "≤ 32 KiB"),
    ("idle_channel_pss_anon_KiB", "Pss_Anon per idle open channel "
     "(M channels on S sessions)", "KiB", "low", ""),
    ("idle_channels_failed", "failed channel opens (of M)", "", "low", "0"),
    ("latency_p50_us", "64 B request/response p50", "µs", "low", ""),
    ("latency_p99_us", "64 B request/response p99", "µs", "low", "≤ 1.0×"),
]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr,
          flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(2)
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port}")


def tree_pids(root):
    """root and its live descendants."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            parent[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    tree, grew = {root}, True
    while grew:
        grew = False
        for p, pp in parent.items():
            if pp in tree and p not in tree:
                tree.add(p)
                grew = True
    return tree if root in parent else set()


def ensure_packages():
    need = {"/usr/sbin/sshd": "openssh-server",
            "/usr/sbin/dropbear": "dropbear-bin",
            "/usr/bin/dropbearkey": "dropbear-bin",
            "/usr/bin/gnuplot": "gnuplot-nox",
            "/usr/bin/ssh-keygen": "openssh-client"}
    missing = sorted({pkg for path, pkg in need.items()
                      if not os.path.exists(path)})
    if missing:
        log("installing " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends"]
                       + missing, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def limit_nofile():
    os.setpgrp()        # not the driver's group: stop() signals it alone
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


class Server:
    name = "?"
    clean_exit = False      # must exit 0 when stopped
    # Cipher for the rows other than bulk throughput (small messages, where
    # the cipher hardly matters): aes128-gcm wherever the server has it.
    cipher = AES
    ciphers = (("aes", AES), ("chacha", CHACHA))

    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.proc = None
        self.logf = None
        self.failed = False
        self.exit_errors = []

    def start(self):
        self.logf = open(os.path.join(self.work, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=limit_nofile)
        wait_port(self.port, self.proc)
        time.sleep(0.3)
        self.base_procs = len(tree_pids(self.proc.pid))
        log(f"{self.name} pid {self.proc.pid} on port {self.port}")

    def quiesce(self, timeout=60):
        """Waits until the per-connection processes of earlier runs exit."""
        end = time.time() + timeout
        while time.time() < end:
            if len(tree_pids(self.proc.pid)) <= self.base_procs:
                return
            time.sleep(0.1)
        log(f"{self.name}: still {len(tree_pids(self.proc.pid))} processes")

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            for pid in sorted(tree_pids(self.proc.pid)):
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            # jumpgate exits 0 on SIGTERM; anything else (a sanitizer's
            # exit code in the ASan pass, a hang) is a failure.
            if self.clean_exit and self.proc.returncode != 0:
                self.exit_errors.append(f"{self.name} exited with status "
                                        f"{self.proc.returncode} on SIGTERM")
        if self.logf:
            self.logf.close()
        self.cleanup()

    def cleanup(self):
        pass


class Jumpgate(Server):
    name = "jumpgate"
    clean_exit = True

    def __init__(self, work, binary, extra="", name="jumpgate"):
        self.name = name
        super().__init__(work)
        self.binary = binary
        self.conf = os.path.join(work, f"{name}.conf")
        with open(self.conf, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {work}/host_ed25519
AuthorizedKeysFile {work}/authorized_keys
PidFile none
User root
StrictModes no
LogLevel ERROR
MaxStartups 1000:30:1000
{extra}
""")

    def argv(self):
        return [self.binary, "-e", "-f", self.conf]


class Sshd(Server):
    name = "sshd"

    def __init__(self, work):
        super().__init__(work)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.conf = os.path.join(work, "sshd_config")
        with open(self.conf, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {work}/host_ed25519
AuthorizedKeysFile {work}/authorized_keys
PidFile none
LogLevel ERROR
MaxStartups 1000:30:1000
MaxSessions 1000
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
UseDNS no
""")

    def argv(self):
        return ["/usr/sbin/sshd", "-D", "-e", "-f", self.conf]


class Dropbear(Server):
    """Dropbear reads only ~root/.ssh/authorized_keys (no option for another
    path).  It runs in its own mount namespace with a private tmpfs over
    root's home holding just our key, so the real file is never touched;
    where namespaces are unavailable the real file gets our key appended and
    is restored byte for byte afterwards."""
    name = "dropbear"
    # Debian's Dropbear 2022.83 is built without AES-GCM
    # (server offers chacha20-poly1305, aes128-ctr, aes256-ctr).
    cipher = CHACHA
    ciphers = (("chacha", CHACHA),)

    def __init__(self, work):
        super().__init__(work)
        self.home = pwd.getpwnam("root").pw_dir
        self.restore = None
        self.ns = subprocess.run(
            ["unshare", "-m", "sh", "-c",
             f"mount -t tmpfs -o mode=0700 jgbench {self.home}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode == 0

    def argv(self):
        db = ["/usr/sbin/dropbear", "-F", "-E", "-s", "-p",
              f"127.0.0.1:{self.port}", "-r", f"{self.work}/dropbear_ed25519",
              "-P", f"{self.work}/dropbear.pid"]
        if not self.ns:
            self.install_key_in_place()
            return db
        h = self.home
        script = (f"mount -t tmpfs -o mode=0700 jgbench {h} && "
                  f"mkdir -m 0700 {h}/.ssh && "
                  f"cp {self.work}/authorized_keys {h}/.ssh/authorized_keys && "
                  f"chmod 0600 {h}/.ssh/authorized_keys && exec \"$@\"")
        return ["unshare", "-m", "sh", "-c", script, "sh"] + db

    def install_key_in_place(self):
        d = os.path.join(self.home, ".ssh")
        ak = os.path.join(d, "authorized_keys")
        made_dir = not os.path.isdir(d)
        os.makedirs(d, mode=0o700, exist_ok=True)
        old = None
        if os.path.exists(ak):
            with open(ak, "rb") as f:
                old = f.read()
        self.restore = (d, ak, made_dir, old)
        with open(f"{self.work}/authorized_keys", "rb") as f:
            ours = f.read()
        with open(ak, "ab") as f:
            if old and not old.endswith(b"\n"):
                f.write(b"\n")
            f.write(ours)
        os.chmod(ak, 0o600)
        log(f"dropbear: no mount namespace; {ak} modified until the end")

    def cleanup(self):
        if self.restore is None:
            return
        d, ak, made_dir, old = self.restore
        if old is None:
            os.unlink(ak)
            if made_dir:
                os.rmdir(d)
        else:
            with open(ak, "wb") as f:
                f.write(old)
        self.restore = None


class Bench:
    def __init__(self, args):
        self.a = args
        self.p = SMOKE if args.smoke else FULL
        self.work = tempfile.mkdtemp(prefix="jgbench.")
        self.key = os.path.join(self.work, "client_ed25519")
        self.results = {s: {} for s in SERVERS + ["baseline"]}
        self.samples = {}
        self.direct = {}
        self.errors = []
        self.timings = {}

    def keys(self):
        w = self.work
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                        "jgbench", "-f", self.key], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        f"{w}/host_ed25519"], check=True)
        subprocess.run(["dropbearkey", "-t", "ed25519", "-f",
                        f"{w}/dropbear_ed25519"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.copy(self.key + ".pub", f"{w}/authorized_keys")
        os.chmod(f"{w}/authorized_keys", 0o600)

    def jgbench(self, server, label, cmd, *extra, cipher=AES, timeout=900,
                prefix=""):
        argv = [self.a.jgbench, cmd, "--key", self.key, "--cipher", cipher,
                "--kex", KEX] + [str(x) for x in extra]
        if server is not None:
            argv += ["--port", str(server.port),
                     "--server-pid", str(server.proc.pid)]
            server.quiesce()
        t0 = time.time()
        try:
            r = subprocess.run(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               timeout=timeout, preexec_fn=limit_nofile)
            out, err, rc = r.stdout, r.stderr, r.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, rc = "timed out", -1
        name = server.name if server else "direct"
        vals = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[0] == "RESULT":
                vals[prefix + f[1]] = float(f[2])
        self.timings[f"{name}:{label}"] = round(time.time() - t0, 1)
        if rc != 0:
            tail = " | ".join(err.strip().splitlines()[-3:])
            self.errors.append(f"{name} {label}: exit {rc}: {tail}")
            log(f"FAILED {name} {label}: {tail}")
        if server is not None and server.proc.poll() is not None:
            self.errors.append(f"{name} died during {label} "
                               f"(status {server.proc.returncode})")
            raise RuntimeError(f"{name} died")
        log(f"{name} {label}: " + ", ".join(f"{k}={v:g}"
                                            for k, v in vals.items()))
        return vals

    def speed_rows(self, srv):
        """(label, jgbench command and arguments, cipher, key prefix) of
        every row that a long-running server can be measured on."""
        p, c = self.p, srv.cipher
        rows = []
        for tag, cipher in srv.ciphers:
            for d in ("up", "down"):
                rows.append((f"bulk {d} {tag}", ["bulk", "--dir", d,
                             "--bytes", p["bulk_bytes"]], cipher, tag + "."))
        for n in (1, 64):
            rows.append((f"chanrate c{n}", ["chanrate", "--conc", n,
                         "--seconds", p["chan_seconds"]], c, ""))
        rows.append(("connrate", ["connrate", "--conc", p["conn_conc"],
                     "--seconds", p["conn_seconds"]], c, ""))
        rows.append(("latency", ["latency", "--count", p["lat_count"]], c,
                     ""))
        return rows

    def measure_memory(self, srv):
        p, res, c = self.p, self.results[srv.name], srv.cipher
        # Memory on a fresh server each time: a long-lived process keeps
        # the heap earlier rows touched (glibc does not give it back), which
        # would hide the sessions' own memory.
        srv.restart()
        v = self.jgbench(srv, "idle sessions", "idle", "--sessions",
                         p["idle_sessions"], "--conc", p["idle_conc"],
                         "--settle", p["settle"], cipher=c)
        res.update({k: v[k] for k in v if k.startswith("idle_session")})
        srv.restart()
        v = self.jgbench(srv, "idle channels", "idle", "--sessions",
                         p["chan_sessions"], "--channels",
                         p["chan_per_session"], "--conc",
                         min(p["idle_conc"], p["chan_sessions"]),
                         "--settle", p["settle"], cipher=c)
        res.update({k: v[k] for k in v if k.startswith("idle_channel")})
        if "idle_channels_ok" not in v:
            res["idle_channels_failed"] = p["chan_sessions"] * \
                p["chan_per_session"]

    def sample(self, srv, row, into):
        label, argv, cipher, prefix = row
        try:
            vals = self.jgbench(srv, label, *argv, cipher=cipher,
                                prefix=prefix)
        except RuntimeError as e:       # the server died: stop measuring it
            log(f"{srv.name}: {e}")
            srv.failed = True
            return
        for k, v in vals.items():
            into.setdefault(k, []).append(v)

    def run(self):
        """Every speed row runs on each server in turn, round after round,
        so a machine that slows down for a while hurts all servers alike;
        the table shows each metric's median over the rounds.  The memory
        rows then run once per server, each on a fresh process."""
        self.keys()
        self.direct = self.jgbench(None, "latency direct", "latency",
                                   "--direct", "--count", self.p["lat_count"],
                                   "--port", 1)
        make = {"jumpgate": lambda: Jumpgate(self.work, self.a.jumpgate,
                                                  self.a.jumpgate_extra),
                "baseline": lambda: Jumpgate(self.work, self.a.baseline,
                                             name="baseline"),
                "sshd": lambda: Sshd(self.work),
                "dropbear": lambda: Dropbear(self.work)}
        servers = []
        try:
            for name in self.a.servers:
                srv = make[name]()
                servers.append(srv)
                try:
                    srv.start()
                except Exception as e:      # noqa: BLE001 - report, go on
                    self.errors.append(f"{name}: {e}")
                    log(f"{name}: {e}")
                    srv.failed = True
            samples = {srv.name: {} for srv in servers}
            rows = {srv.name: {r[0]: r for r in self.speed_rows(srv)}
                    for srv in servers}
            order = []              # every label once, in table order
            for srv in servers:
                order += [k for k in rows[srv.name] if k not in order]
            for rnd in range(self.p["rounds"]):
                log(f"round {rnd + 1} of {self.p['rounds']}")
                for label in order:
                    for srv in servers:
                        row = rows[srv.name].get(label)
                        if row is not None and not srv.failed:
                            self.sample(srv, row, samples[srv.name])
            for srv in servers:
                for k, vs in samples[srv.name].items():
                    self.results[srv.name][k] = statistics.median(vs)
            self.samples = samples
            for srv in servers:
                if not srv.failed:
                    try:
                        self.measure_memory(srv)
                    except Exception as e:  # noqa: BLE001 - report, go on
                        self.errors.append(f"{srv.name}: {e}")
                        log(f"{srv.name}: {e}")
        finally:
            for srv in servers:
                srv.stop()
                self.errors += srv.exit_errors
                path = os.path.join(self.work, f"{srv.name}.log")
                if not os.path.exists(path):
                    continue
                with open(path, "rb") as f:
                    tail = f.read()[-2000:].decode(errors="replace").strip()
                if tail:
                    log(f"{srv.name} log (tail):\n{tail}")

    # ---- reporting -------------------------------------------------------

    def machine(self):
        def out(cmd):
            try:
                return subprocess.run(cmd, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True,
                                      timeout=10).stdout.strip()
            except (OSError, subprocess.TimeoutExpired):
                return "?"
        cpu = "?"
        for line in out(["lscpu"]).splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
        return {
            "date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": f"{cpu}, {os.cpu_count()} cores", "memory": f"{mem} GiB",
            "kernel": platform.release(),
            "jumpgate": self.a.rev or "?",
            "openssh": out(["dpkg-query", "-W", "-f", "${Version}",
                            "openssh-server"]),
            "dropbear": out(["dpkg-query", "-W", "-f", "${Version}",
                             "dropbear-bin"]),
            "libssh": out(["dpkg-query", "-W", "-f", "${Version}",
                           "libssh-4"]),
            "mode": "smoke" if self.a.smoke else "full",
        }

    @staticmethod
    def fmt(v):
        if v is None:
            return "—"
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3g}"

    @staticmethod
    def ratio(a, b):
        if a is None or b is None or b == 0:
            return None
        return a / b

    def table(self, m):
        p = self.p
        r = self.results
        lines = [
            "| metric | unit | jumpgate | sshd | dropbear | jumpgate/sshd "
            "| jumpgate/dropbear | target |",
            "|---|---|---:|---:|---:|---:|---:|---|"]
        for key, label, unit, better, target in ROWS:
            label = (label.replace("(N sessions)",
                                   f"({p['idle_sessions']:,} sessions)")
                     .replace("(M channels on S sessions)",
                              f"({p['chan_sessions'] * p['chan_per_session']:,}"
                              f" channels on {p['chan_sessions']} sessions)")
                     .replace("(of M)", f"(of {p['chan_sessions'] * p['chan_per_session']:,})"))
            v = [r[s].get(key) for s in SERVERS]
            rs = self.ratio(v[0], v[1])
            rd = self.ratio(v[0], v[2])
            cells = [self.fmt(x) for x in v]
            lines.append(f"| {label} | {unit} | " + " | ".join(cells) +
                         f" | {'—' if rs is None else f'{rs:.2f}×'}"
                         f" | {'—' if rd is None else f'{rd:.2f}×'}"
                         f" | {target} |")
        d = self.direct
        lines.append("")
        lines.append(f"Direct TCP to the echo target (no SSH): p50 "
                     f"{self.fmt(d.get('latency_p50_us'))} µs, p99 "
                     f"{self.fmt(d.get('latency_p99_us'))} µs.")
        lines.append("")
        lines.append(
            f"Machine: {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}; "
            f"jumpgate {m['jumpgate']}, OpenSSH {m['openssh']}, Dropbear "
            f"{m['dropbear']}, libssh {m['libssh']} (client and jumpgate); "
            f"{m['date']}; {m['mode']} run.")
        lines.append("")
        lines.append(
            "Debian's Dropbear is built without AES-GCM: its aes128-gcm rows "
            "are empty and its other rows use chacha20-poly1305 "
            "(jumpgate and sshd use aes128-gcm there). Key exchange "
            "curve25519-sha256 and ed25519 keys everywhere.")
        return "\n".join(lines)

    def baseline_table(self):
        """jumpgate against another jumpgate binary measured in the same
        rounds (--baseline): what a change costs."""
        r = self.results
        lines = [f"jumpgate ({self.a.jumpgate}"
                 f"{', ' + self.a.jumpgate_extra.strip() if self.a.jumpgate_extra else ''})"
                 f" against the baseline ({self.a.baseline}):", "",
                 "| metric | unit | jumpgate | baseline | jumpgate/baseline "
                 "| jumpgate/sshd | baseline/sshd |",
                 "|---|---|---:|---:|---:|---:|---:|"]
        for key, label, unit, better, target in ROWS:
            a, b = r["jumpgate"].get(key), r["baseline"].get(key)
            sv = r["sshd"].get(key)
            cells = [self.ratio(a, b), self.ratio(a, sv), self.ratio(b, sv)]
            lines.append(f"| {label} | {unit} | {self.fmt(a)} | "
                         f"{self.fmt(b)} | " + " | ".join(
                             "—" if x is None else f"{x:.2f}×"
                             for x in cells) + " |")
        return "\n".join(lines)

    def chart(self, out):
        """Advantage over sshd (higher is better), log scale."""
        dat = os.path.join(out, "chart.dat")
        rows, plotted = [], set()
        for key, label, unit, better, target in ROWS:
            if key == "idle_channels_failed":
                continue
            r = self.results
            vals = []
            for s in ("jumpgate", "dropbear"):
                a, b = r.get(s, {}).get(key), r.get("sshd", {}).get(key)
                if a is None or b is None or a <= 0 or b <= 0:
                    vals.append("NaN")
                else:
                    vals.append(f"{(a / b if better == 'high' else b / a):.4f}")
                    plotted.add(s)
            short = (key.replace("aes.", "aes ").replace("chacha.", "chacha ")
                     .replace("_per_s", "/s").replace("_", " "))
            rows.append(f"\"{short}\" {vals[0]} {vals[1]}")
        with open(dat, "w") as f:
            f.write("# metric jumpgate_vs_sshd dropbear_vs_sshd "
                    "(higher is better)\n" + "\n".join(rows) + "\n")
        png = os.path.join(out, "chart.png")
        # gnuplot refuses a series without a single point: a run without
        # Dropbear (or without sshd, so no ratios at all) plots what it has.
        series = [f'"{dat}" using {col}:xtic(1) title "{s}" lc rgb "{rgb}"'
                  for col, s, rgb in ((2, "jumpgate", "#1f77b4"),
                                      (3, "dropbear", "#ff7f0e"))
                  if s in plotted]
        if not series:
            return None
        plot = ", \\\n     ".join(series)
        gp = f"""set terminal pngcairo size 1400,700 font ",10"
set output "{png}"
set title "jumpgate and Dropbear relative to OpenSSH sshd (= 1; higher is better; log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y 2
set yrange [0.03:256]
set grid ytics
set xtics rotate by -35 left
set bmargin 11
set ylabel "advantage over sshd (×)"
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "black"
plot {plot}
"""
        r = subprocess.run(["gnuplot"], input=gp, text=True,
                           stderr=subprocess.PIPE)
        if r.returncode != 0 or not os.path.exists(png):
            self.errors.append("gnuplot failed: " + r.stderr.strip()[-300:])
        return png

    def report(self):
        out = self.a.out
        os.makedirs(out, exist_ok=True)
        m = self.machine()
        tab = self.table(m)
        if self.a.baseline:
            tab += "\n\n" + self.baseline_table()
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(tab + "\n")
        png = None
        if "sshd" in self.a.servers and len(self.a.servers) > 1:
            png = self.chart(out)
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump({"machine": m, "params": self.p,
                       "results": self.results, "samples": self.samples,
                       "direct": self.direct,
                       "errors": self.errors, "seconds": self.timings},
                      f, indent=1, sort_keys=True)
        print(tab)
        print(f"\nresults: {out}/results.md, results.json; chart: {png}")
        if self.a.readme:
            self.update_readme(tab)

    def update_readme(self, tab):
        """Puts the table and chart between the results markers of this
        folder's README and of the project's README."""
        here = os.path.dirname(os.path.abspath(__file__))
        for path, chart in ((os.path.join(here, "README.md"),
                             "results/chart.png"),
                            (os.path.join(here, "..", "..", "README.md"),
                             "tests/bench/results/chart.png")):
            with open(path) as f:
                text = f.read()
            b, e = "<!-- results:begin -->", "<!-- results:end -->"
            if b in text and e in text:
                head, rest = text.split(b, 1)
                tail = rest.split(e, 1)[1]
                with open(path, "w") as f:
                    f.write(f"{head}{b}\n{tab}\n\n![chart]({chart})\n"
                            f"{e}{tail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--jumpgate", required=True)
    ap.add_argument("--jgbench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rev", default="")
    ap.add_argument("--readme", action="store_true",
                    help="put the table into README.md (full runs)")
    ap.add_argument("--servers", default=",".join(SERVERS))
    ap.add_argument("--baseline", default="",
                    help="another jumpgate binary, measured in the same "
                    "rounds; results.md then compares the two")
    ap.add_argument("--jumpgate-extra", default="",
                    help="lines added to jumpgate's config, e.g. "
                    "'AuditLog /tmp/audit.json' to measure what it costs")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    a = ap.parse_args()
    a.servers = [s for s in a.servers.split(",") if s]
    if a.baseline:
        a.servers.append("baseline")
    if os.geteuid() != 0:
        print("bench: needs root (sshd and Dropbear log the benchmark user "
              "in as root); skipped", file=sys.stderr)
        return 77
    for p in (a.jumpgate, a.jgbench):
        if not os.access(p, os.X_OK):
            print(f"bench: {p} is not executable", file=sys.stderr)
            return 1
    ensure_packages()
    b = Bench(a)
    log(f"work dir {b.work} ({'smoke' if a.smoke else 'full'} run)")
    try:
        b.run()
        b.report()
    finally:
        if not a.keep:
            shutil.rmtree(b.work, ignore_errors=True)
    if b.errors:
        print("\nFAILURES:\n  " + "\n  ".join(b.errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
