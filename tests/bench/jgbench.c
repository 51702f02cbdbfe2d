/*
 * jgbench: load generator for the jumpgate benchmark (tests/bench/).
 *
 * A libssh client that measures one thing per run against one SSH server
 * (jumpgate, OpenSSH sshd or Dropbear) and prints "RESULT <name> <value>"
 * lines; run.sh/bench.py starts the servers and builds the table.  Every
 * channel is a direct-tcpip forward to a target this process serves itself
 * on 127.0.0.1 (bench_target.c).  With --server-pid, the server's CPU time
 * and anonymous memory are read from /proc for it and all its descendants
 * (bench_proc.c) at the right moments: before any connection closes, so
 * sshd's per-connection processes are still counted.
 *
 *   jgbench bulk     --dir up|down --bytes N       MB/s and server CPU s/GB
 *   jgbench chanrate --conc C --seconds S          open+64B echo+close per s
 *   jgbench connrate --conc C --seconds S          new connections per s
 *   jgbench idle     --sessions N [--channels M]   Pss_Anon per session/channel
 *   jgbench latency  --count N [--direct]          64-byte round trip p50/p99
 *
 * Common options: --host --port --user --key --cipher --kex --server-pid.
 * Exit status 0 only when every operation succeeded.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "bench_proc.h"
#include "bench_ssh.h"
#include "bench_target.h"


/* ---- bulk ------------------------------------------------------------- */

static int
cmd_bulk(void)
{
	struct proc_sample p0, p1;
	static struct target t;	/* its threads outlive us: bench_target.h */
	int up = strcmp(opt.dir, "up") == 0;
	ssh_session s;
	ssh_channel ch;
	ssh_key key = load_key();
	uint64_t done = 0;
	double t0, t1;
	char *buf;
	const size_t bufsz = 65536;
	char name[64];

	if (target_start(&t, up ? TARGET_SINK : TARGET_SOURCE, opt.bytes) != 0)
		die("target");
	if ((s = connect_session(key, -1)) == NULL)
		return 1;
	if ((ch = open_blocking(s, t.port)) == NULL)
		return 1;
	if ((buf = calloc(1, bufsz)) == NULL)
		abort();
	for (size_t i = 0; i < bufsz; i++)
		buf[i] = (char)(i * 131 + 7);
	sample(&p0, 0);
	t0 = now();
	if (up) {
		while (done < opt.bytes) {
			uint64_t left = opt.bytes - done;
			uint32_t n = left < bufsz ? (uint32_t)left :
			    (uint32_t)bufsz;
			int w = ssh_channel_write(ch, buf, n);

			if (w <= 0) {
				fprintf(stderr, "jgbench: write: %s\n",
				    ssh_get_error(s));
				return 1;
			}
			done += (uint64_t)w;
		}
		/* The sink closes after our EOF, once it has read everything. */
		if (chan_finish(ch) != 0) {
			fprintf(stderr, "jgbench: bulk up: bad close\n");
			return 1;
		}
		if (atomic_load(&t.sink_done) != 1 ||
		    atomic_load(&t.sink_last) != opt.bytes) {
			fprintf(stderr, "jgbench: sink read %llu of %llu "
			    "bytes\n", (unsigned long long)
			    atomic_load(&t.sink_last),
			    (unsigned long long)opt.bytes);
			return 1;
		}
	} else {
		for (;;) {
			int r = ssh_channel_read(ch, buf, (uint32_t)bufsz, 0);

			if (r < 0) {
				fprintf(stderr, "jgbench: read: %s\n",
				    ssh_get_error(s));
				return 1;
			}
			done += (uint64_t)r;
			if (r == 0 && ssh_channel_is_eof(ch))
				break;
		}
		if (done != opt.bytes) {
			fprintf(stderr, "jgbench: received %llu of %llu bytes\n",
			    (unsigned long long)done,
			    (unsigned long long)opt.bytes);
			return 1;
		}
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	t1 = now();
	sample(&p1, 0);
	snprintf(name, sizeof(name), "bulk_%s_MBps", opt.dir);
	result(name, (double)opt.bytes / 1e6 / (t1 - t0));
	if (opt.server_pid > 0) {
		snprintf(name, sizeof(name), "bulk_%s_cpu_s_per_GB", opt.dir);
		result(name, (p1.cpu_s - p0.cpu_s) / ((double)opt.bytes / 1e9));
	}
	ssh_disconnect(s);
	ssh_free(s);
	ssh_key_free(key);
	free(buf);
	return 0;
}

/* ---- chanrate: many channels on one non-blocking session -------------- */

enum slot_state { S_IDLE, S_OPENING, S_READING, S_WAITEOF };

struct slot {
	enum slot_state	st;
	ssh_channel	ch;
	int		got;
	double		t_start, t_open, t_echo;
	char		buf[MSG_LEN];
};

/* Time spent in each phase by the completed channels (microseconds). */
static double ph_open, ph_echo, ph_close;

/*
 * Advances one channel through open -> write 64 bytes -> read the echo ->
 * EOF -> wait for the target's EOF -> close.  Returns 1 when it made
 * progress, 0 when it waits, -1 on a failed channel, 2 on a completed one.
 */
static int
slot_step(ssh_session s, struct slot *sl, int port)
{
	char drain[256];
	int rc;

	switch (sl->st) {
	case S_IDLE:
		if ((sl->ch = ssh_channel_new(s)) == NULL)
			return -1;
		sl->st = S_OPENING;
		sl->got = 0;
		sl->t_start = now();
		/* FALLTHROUGH */
	case S_OPENING:
		rc = ssh_channel_open_forward(sl->ch, "127.0.0.1", port,
		    "127.0.0.1", 50000);
		if (rc == SSH_AGAIN)
			return 0;
		if (rc != SSH_OK)
			goto fail;
		sl->t_open = now();
		if (ssh_channel_write(sl->ch, msg64, MSG_LEN) != MSG_LEN)
			goto fail;
		sl->st = S_READING;
		return 1;
	case S_READING:
		rc = ssh_channel_read_nonblocking(sl->ch, sl->buf + sl->got,
		    (uint32_t)(MSG_LEN - sl->got), 0);
		if (rc < 0)
			goto fail;	/* SSH_ERROR, or SSH_EOF before the echo */
		if (rc == 0) {
			if (ssh_channel_is_eof(sl->ch))
				goto fail;
			return 0;
		}
		sl->got += rc;
		if (sl->got < MSG_LEN)
			return 1;
		if (memcmp(sl->buf, msg64, MSG_LEN) != 0)
			goto fail;
		sl->t_echo = now();
		/* SSH_AGAIN: queued, libssh sends it when the socket allows. */
		if (ssh_channel_send_eof(sl->ch) == SSH_ERROR)
			goto fail;
		sl->st = S_WAITEOF;
		return 1;
	case S_WAITEOF:
		/* SSH_EOF: the target's EOF arrived, nothing is buffered. */
		rc = ssh_channel_read_nonblocking(sl->ch, drain, sizeof(drain),
		    0);
		if (rc != 0 && rc != SSH_EOF)
			goto fail;	/* error, or bytes after the echo */
		if (rc == 0 && !ssh_channel_is_eof(sl->ch))
			return 0;
		if (ssh_channel_close(sl->ch) == SSH_ERROR)
			goto fail;
		ssh_channel_free(sl->ch);
		sl->ch = NULL;
		sl->st = S_IDLE;
		ph_open += (sl->t_open - sl->t_start) * 1e6;
		ph_echo += (sl->t_echo - sl->t_open) * 1e6;
		ph_close += (now() - sl->t_echo) * 1e6;
		return 2;
	}
	return 0;
fail:
	fprintf(stderr, "jgbench: channel failed in state %d: %s\n", sl->st,
	    ssh_get_error(s));
	if (sl->ch != NULL)
		ssh_channel_free(sl->ch);
	sl->ch = NULL;
	sl->st = S_IDLE;
	return -1;
}

static int
cmd_chanrate(void)
{
	static struct target t;	/* its threads outlive us: bench_target.h */
	struct slot *slots;
	ssh_key key = load_key();
	ssh_session s;
	ssh_event ev;
	long ops = 0, fails = 0, warm_ops = 0;
	struct proc_sample p0, p1;
	double t0, tw, tend, tstop = 0, c0 = 0;
	int i, warm = 0, stopping = 0, active;
	char name[64];

	if (target_start(&t, TARGET_ECHO, 0) != 0)
		die("target");
	if ((s = connect_session(key, -1)) == NULL)
		return 1;
	ssh_set_blocking(s, 0);
	if ((ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(ev, s) != SSH_OK)
		die("ssh_event");
	if ((slots = calloc((size_t)opt.conc, sizeof(*slots))) == NULL)
		abort();
	t0 = now();
	tw = t0 + opt.seconds * 0.1;		/* warm-up, not counted */
	tend = tw + opt.seconds;
	for (;;) {
		int progress = 0;
		double tn;

		active = 0;
		for (i = 0; i < opt.conc; i++) {
			int r;

			if (stopping && slots[i].st == S_IDLE)
				continue;
			active++;
			r = slot_step(s, &slots[i], t.port);
			if (r != 0)
				progress = 1;
			if (r == 2)
				ops++;
			else if (r == -1)
				fails++;
		}
		if (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) {
			fprintf(stderr, "jgbench: session lost: %s\n",
			    ssh_get_error(s));
			return 1;
		}
		tn = now();
		if (!warm && tn >= tw) {
			warm = 1;
			warm_ops = ops;
			ph_open = ph_echo = ph_close = 0;
			sample(&p0, 0);
			c0 = client_cpu();
			tw = now();
			tend = tw + opt.seconds;
		}
		if (!stopping && tn >= tend) {
			stopping = 1;
			tstop = tn;
			sample(&p1, 0);
			snprintf(name, sizeof(name), "chanrate_c%d_per_s",
			    opt.conc);
			result(name, (double)(ops - warm_ops) / (tn - tw));
			snprintf(name, sizeof(name),
			    "chanrate_c%d_client_cpu_pct", opt.conc);
			result(name, (client_cpu() - c0) * 100 / (tn - tw));
			if (ops > warm_ops) {
				double k = (double)(ops - warm_ops);

				snprintf(name, sizeof(name),
				    "chanrate_c%d_open_us", opt.conc);
				result(name, ph_open / k);
				snprintf(name, sizeof(name),
				    "chanrate_c%d_echo_us", opt.conc);
				result(name, ph_echo / k);
				snprintf(name, sizeof(name),
				    "chanrate_c%d_close_us", opt.conc);
				result(name, ph_close / k);
			}
			if (opt.server_pid > 0 && ops > warm_ops) {
				snprintf(name, sizeof(name),
				    "chanrate_c%d_server_cpu_us_per_op",
				    opt.conc);
				result(name, (p1.cpu_s - p0.cpu_s) * 1e6 /
				    (double)(ops - warm_ops));
			}
		}
		if (stopping && active == 0)
			break;
		if (stopping && tn - tstop > 30) {
			fprintf(stderr, "jgbench: channels stuck at the end\n");
			fails++;
			break;
		}
		if (!progress)
			ssh_event_dopoll(ev, 100);
	}
	snprintf(name, sizeof(name), "chanrate_c%d_failures", opt.conc);
	result(name, (double)fails);
	ssh_event_remove_session(ev, s);
	ssh_event_free(ev);
	ssh_set_blocking(s, 1);
	ssh_disconnect(s);
	ssh_free(s);
	ssh_key_free(key);
	free(slots);
	return fails == 0 ? 0 : 1;
}

/* ---- connrate: new connections, one channel each ---------------------- */

struct conn_worker {
	pthread_t	th;
	int		idx;
	int		port;
	double		tstart, tend;
	long		ok, fail;
};

static atomic_int go;

static void *
conn_main(void *arg)
{
	struct conn_worker *w = arg;
	ssh_key key = load_key();
	char buf[MSG_LEN];

	while (!atomic_load(&go))
		usleep(1000);
	while (now() < w->tend) {
		ssh_session s = connect_session(key, w->idx);
		ssh_channel ch;
		int ok = 0;

		if (s != NULL && (ch = open_blocking(s, w->port)) != NULL) {
			ok = ssh_channel_write(ch, msg64, MSG_LEN) == MSG_LEN &&
			    chan_read_full(ch, buf, MSG_LEN) == 0 &&
			    memcmp(buf, msg64, MSG_LEN) == 0;
			if (chan_finish(ch) != 0)
				ok = 0;
		}
		if (s != NULL) {
			ssh_disconnect(s);
			ssh_free(s);
		}
		if (now() <= w->tend) {
			if (ok)
				w->ok++;
			else
				w->fail++;
		}
	}
	ssh_key_free(key);
	return NULL;
}

static int
cmd_connrate(void)
{
	struct conn_worker *w;
	struct proc_sample p0, p1;
	static struct target t;	/* its threads outlive us: bench_target.h */
	long ok = 0, fail = 0;
	double t0, t1, c0;
	int i;

	if (target_start(&t, TARGET_ECHO, 0) != 0)
		die("target");
	if ((w = calloc((size_t)opt.conc, sizeof(*w))) == NULL)
		abort();
	t0 = now() + 0.2;
	for (i = 0; i < opt.conc; i++) {
		w[i].idx = i;
		w[i].port = t.port;
		w[i].tstart = t0;
		w[i].tend = t0 + opt.seconds;
		pthread_create(&w[i].th, NULL, conn_main, &w[i]);
	}
	while (now() < t0)
		usleep(1000);
	sample(&p0, 0);
	c0 = client_cpu();
	atomic_store(&go, 1);
	for (i = 0; i < opt.conc; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].ok;
		fail += w[i].fail;
	}
	t1 = t0 + opt.seconds;
	result("connrate_client_cpu_pct", (client_cpu() - c0) * 100 /
	    (now() - t0));
	usleep(500000);		/* let sshd/Dropbear reap their children */
	sample(&p1, 0);
	result("connrate_per_s", (double)ok / (t1 - t0));
	result("connrate_failures", (double)fail);
	if (opt.server_pid > 0 && ok > 0)
		result("connrate_server_cpu_ms_per_conn",
		    (p1.cpu_s - p0.cpu_s) * 1000.0 / (double)(ok + fail));
	free(w);
	return fail == 0 && ok > 0 ? 0 : 1;
}

/* ---- idle: memory per idle session and per idle channel --------------- */

struct idle_worker {
	pthread_t	th;
	int		idx, port, first, n;
	ssh_session	*sess;
	ssh_key		key;
	long		chan_ok, chan_fail, sess_fail;
	ssh_channel	*chans;		/* n * opt.channels */
};

static void *
idle_connect(void *arg)
{
	struct idle_worker *w = arg;
	int i;

	for (i = 0; i < w->n; i++) {
		w->sess[i] = connect_session(w->key, w->idx);
		if (w->sess[i] == NULL)
			w->sess_fail++;
	}
	return NULL;
}

/* Opens opt.channels channels on each of the worker's sessions, all of a
 * session's opens in flight at once. */
static void *
idle_channels(void *arg)
{
	struct idle_worker *w = arg;
	int i, j, m = opt.channels;

	for (i = 0; i < w->n; i++) {
		ssh_session s = w->sess[i];
		ssh_channel *c = w->chans + (size_t)i * (size_t)m;
		ssh_event ev;
		int pending;
		double deadline = now() + 120;

		if (s == NULL) {
			w->chan_fail += m;
			continue;
		}
		ssh_set_blocking(s, 0);
		ev = ssh_event_new();
		ssh_event_add_session(ev, s);
		for (j = 0; j < m; j++)
			c[j] = ssh_channel_new(s);
		do {
			pending = 0;
			for (j = 0; j < m; j++) {
				int rc;

				if (c[j] == NULL ||
				    ssh_channel_is_open(c[j]))
					continue;
				rc = ssh_channel_open_forward(c[j], "127.0.0.1",
				    w->port, "127.0.0.1", 50000);
				if (rc == SSH_AGAIN) {
					pending++;
				} else if (rc != SSH_OK) {
					fprintf(stderr, "jgbench: channel "
					    "open: %s\n", ssh_get_error(s));
					ssh_channel_free(c[j]);
					c[j] = NULL;
					w->chan_fail++;
				}
			}
			if (pending)
				ssh_event_dopoll(ev, 100);
		} while (pending && now() < deadline);
		for (j = 0; j < m; j++)
			if (c[j] != NULL && ssh_channel_is_open(c[j]))
				w->chan_ok++;
			else if (c[j] != NULL)
				w->chan_fail++;
		ssh_event_remove_session(ev, s);
		ssh_event_free(ev);
		ssh_set_blocking(s, 1);
	}
	return NULL;
}

static void *
idle_close(void *arg)
{
	struct idle_worker *w = arg;
	int i;

	for (i = 0; i < w->n; i++) {
		if (w->sess[i] == NULL)
			continue;
		ssh_disconnect(w->sess[i]);
		ssh_free(w->sess[i]);
	}
	return NULL;
}

static void
run_workers(struct idle_worker *w, int n, void *(*fn)(void *))
{
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&w[i].th, NULL, fn, &w[i]);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
}

static int
cmd_idle(void)
{
	struct proc_sample p0, p1, p2;
	struct idle_worker *w;
	static struct target t;	/* its threads outlive us: bench_target.h */
	ssh_session *sess;
	ssh_channel *chans = NULL;
	long sfail = 0, cok = 0, cfail = 0;
	int i, nw = opt.conc, next = 0;
	double t0;

	if (opt.server_pid <= 0)
		die("idle needs --server-pid");
	if (target_start(&t, TARGET_HOLD, 0) != 0)
		die("target");
	if (nw > opt.sessions)
		nw = opt.sessions;
	sess = calloc((size_t)opt.sessions, sizeof(*sess));
	w = calloc((size_t)nw, sizeof(*w));
	if (opt.channels > 0)
		chans = calloc((size_t)opt.sessions * (size_t)opt.channels,
		    sizeof(*chans));
	if (sess == NULL || w == NULL || (opt.channels > 0 && chans == NULL))
		abort();
	for (i = 0; i < nw; i++) {
		w[i].idx = i;
		w[i].port = t.port;
		w[i].first = next;
		w[i].n = opt.sessions / nw + (i < opt.sessions % nw);
		w[i].sess = sess + next;
		if (chans != NULL)
			w[i].chans = chans + (size_t)next *
			    (size_t)opt.channels;
		w[i].key = load_key();
		next += w[i].n;
	}
	sample(&p0, 1);
	t0 = now();
	run_workers(w, nw, idle_connect);
	for (i = 0; i < nw; i++)
		sfail += w[i].sess_fail;
	result("idle_connect_s", now() - t0);
	usleep((useconds_t)(opt.settle * 1e6));
	sample(&p1, 1);
	result("idle_sessions_ok", (double)(opt.sessions - sfail));
	result("idle_sessions_failed", (double)sfail);
	result("idle_server_procs", (double)p1.nprocs);
	result("idle_session_pss_anon_KiB",
	    (double)(p1.pss_anon_kb - p0.pss_anon_kb) / opt.sessions);
	if (opt.channels > 0) {
		t0 = now();
		run_workers(w, nw, idle_channels);
		result("idle_channels_open_s", now() - t0);
		for (i = 0; i < nw; i++) {
			cok += w[i].chan_ok;
			cfail += w[i].chan_fail;
		}
		usleep((useconds_t)(opt.settle * 1e6));
		sample(&p2, 1);
		result("idle_channels_ok", (double)cok);
		result("idle_channels_failed", (double)cfail);
		result("idle_target_conns", (double)atomic_load(&t.open));
		/* Per channel, over the sessions' own memory. */
		result("idle_channel_pss_anon_KiB",
		    (double)(p2.pss_anon_kb - p1.pss_anon_kb) /
		    ((double)opt.sessions * opt.channels));
	}
	run_workers(w, nw, idle_close);
	for (i = 0; i < nw; i++)
		ssh_key_free(w[i].key);
	free(sess);
	free(w);
	free(chans);	/* the channels went with their sessions */
	return sfail == 0 && cfail == 0 ? 0 : 1;
}

/* ---- latency ---------------------------------------------------------- */

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
sock_rt(int fd, char *buf)
{
	int got = 0;

	if (write(fd, msg64, MSG_LEN) != MSG_LEN)
		return -1;
	while (got < MSG_LEN) {
		ssize_t r = read(fd, buf + got, (size_t)(MSG_LEN - got));

		if (r <= 0)
			return -1;
		got += (int)r;
	}
	return 0;
}

static int
cmd_latency(void)
{
	static struct target t;	/* its threads outlive us: bench_target.h */
	ssh_session s = NULL;
	ssh_channel ch = NULL;
	ssh_key key = NULL;
	double *lat;
	char buf[MSG_LEN];
	int i, fd = -1, warm = opt.count / 10 + 50, one = 1;

	if (target_start(&t, TARGET_ECHO, 0) != 0)
		die("target");
	if (opt.direct) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)t.port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			die("connect to the echo target");
	} else {
		key = load_key();
		if ((s = connect_session(key, -1)) == NULL)
			return 1;
		if ((ch = open_blocking(s, t.port)) == NULL)
			return 1;
	}
	if ((lat = calloc((size_t)opt.count, sizeof(*lat))) == NULL)
		abort();
	for (i = -warm; i < opt.count; i++) {
		double a = now();
		int rc;

		if (opt.direct)
			rc = sock_rt(fd, buf);
		else
			rc = ssh_channel_write(ch, msg64, MSG_LEN) != MSG_LEN ||
			    chan_read_full(ch, buf, MSG_LEN) != 0;
		if (rc != 0 || memcmp(buf, msg64, MSG_LEN) != 0) {
			fprintf(stderr, "jgbench: echo failed\n");
			return 1;
		}
		if (i >= 0)
			lat[i] = (now() - a) * 1e6;
	}
	qsort(lat, (size_t)opt.count, sizeof(*lat), cmpd);
	result("latency_p50_us", lat[opt.count / 2]);
	result("latency_p99_us", lat[(size_t)((double)opt.count * 0.99)]);
	if (opt.direct) {
		close(fd);
	} else {
		if (chan_finish(ch) != 0)
			return 1;
		ssh_disconnect(s);
		ssh_free(s);
		ssh_key_free(key);
	}
	free(lat);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: jgbench bulk|chanrate|connrate|idle|latency --port P "
	    "--key FILE\n"
	    "  [--host H] [--user U] [--cipher C] [--kex K] [--server-pid PID]\n"
	    "  [--dir up|down] [--bytes N] [--conc C] [--seconds S]\n"
	    "  [--sessions N] [--channels M] [--count N] [--direct]\n"
	    "  [--settle S] [--srcaddrs N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "kex", required_argument, NULL, 'x' },
		{ "server-pid", required_argument, NULL, 'P' },
		{ "dir", required_argument, NULL, 'd' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "conc", required_argument, NULL, 'C' },
		{ "seconds", required_argument, NULL, 's' },
		{ "sessions", required_argument, NULL, 'S' },
		{ "channels", required_argument, NULL, 'M' },
		{ "count", required_argument, NULL, 'n' },
		{ "direct", no_argument, NULL, 'D' },
		{ "settle", required_argument, NULL, 'w' },
		{ "srcaddrs", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct rlimit rl;
	const char *cmd;
	int c, rc;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'u': opt.user = optarg; break;
		case 'k': opt.key = optarg; break;
		case 'c': opt.cipher = optarg; break;
		case 'x': opt.kex = optarg; break;
		case 'P': opt.server_pid = (pid_t)atoi(optarg); break;
		case 'd': opt.dir = optarg; break;
		case 'b': opt.bytes = strtoull(optarg, NULL, 0); break;
		case 'C': opt.conc = atoi(optarg); break;
		case 's': opt.seconds = atof(optarg); break;
		case 'S': opt.sessions = atoi(optarg); break;
		case 'M': opt.channels = atoi(optarg); break;
		case 'n': opt.count = atoi(optarg); break;
		case 'D': opt.direct = 1; break;
		case 'w': opt.settle = atof(optarg); break;
		case 'a': opt.srcaddrs = atoi(optarg); break;
		default: usage();
		}
	}
	if (opt.port <= 0 || opt.conc <= 0 || opt.sessions <= 0 ||
	    opt.count <= 0 || opt.seconds <= 0)
		usage();
	/* 10,000 held target sockets plus the sessions: ask for the maximum. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (ssh_init() != SSH_OK)
		die("ssh_init");
	if (strcmp(cmd, "bulk") == 0)
		rc = cmd_bulk();
	else if (strcmp(cmd, "chanrate") == 0)
		rc = cmd_chanrate();
	else if (strcmp(cmd, "connrate") == 0)
		rc = cmd_connrate();
	else if (strcmp(cmd, "idle") == 0)
		rc = cmd_idle();
	else if (strcmp(cmd, "latency") == 0)
		rc = cmd_latency();
	else
		usage();
	ssh_finalize();
	return rc;
}
