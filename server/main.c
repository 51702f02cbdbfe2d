/*
 * main.c: command line, configuration, listeners, workers and signals.
 *
 * The main thread owns no session: it loads the configuration, binds
 * every listening socket (so a bad address fails before anything runs),
 * starts one worker per core and then only waits for a signal.  SIGHUP
 * reads the configuration and host keys again here and hands the result
 * to the workers (worker_reload); SIGTERM and SIGINT drain: the workers
 * stop accepting and main waits up to ShutdownGraceTime for the last
 * channel before stopping them.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <libssh/libssh.h>

#include "addr.h"
#include "admin.h"
#include "admit.h"
#include "akrun.h"
#include "audit.h"
#include "config.h"
#include "ctl.h"
#include "explain.h"
#include "hostkey.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "privs.h"
#include "resolve.h"
#include "str.h"
#include "version.h"
#include "worker.h"

#define MAIN_MAX_WORKERS	256
#define MAIN_MAX_OPTS		64
/* Seconds the workers get to leave their loops once the drain ended. */
#define MAIN_STOP_WAIT		10

/*
 * The embedded default: a demo on loopback, state under the default
 * state directory.  It goes through the same parser as any file, so -T
 * shows exactly what runs.
 */
static const char main_demo_config[] =
    "# jumpgate's embedded default: a demo gateway on loopback only.\n"
    "ListenAddress 127.0.0.1\n"
    "Port 2222\n"
    "StateDirectory %s\n"
    "AuthorizedKeysFile %s/authorized_keys/%%u\n"
    "PidFile none\n"
    "User nobody\n"
    "JumpgateDemo yes\n";

struct main_opts {
	const char	*mo_config;
	const char	*mo_logfile;
	int		 mo_stderr;
	int		 mo_debug;
	int		 mo_test;
	int		 mo_dump;
	const char	*mo_opts[MAIN_MAX_OPTS];
	int		 mo_nopts;
	int		 mo_ports[CONFIG_MAX_PORTS];
	int		 mo_nports;
	char		*mo_conn;	/* -C, with -T */
	char		*mo_explain;	/* --explain SPEC HOST PORT */
	char		*mo_explain_host;
	char		*mo_explain_port;
};

static struct worker	*main_workers;
static int		 main_nworkers;
static struct main_opts	 main_mo;
static struct config	*main_cf;	/* in force; workers hold their own */
static struct event_base *main_base;
static struct event	*main_drained_ev;	/* a worker has drained */
static struct event	*main_grace_ev;		/* ShutdownGraceTime over */
static int		 main_draining;
static struct timespec	 main_drain_start;
/* The SSH listeners and the admin listener: never a target. */
static struct policy_endpoint main_self[LISTEN_MAX_ENDPOINTS + 1];
static int		 main_nself;

static void __attribute__((noreturn))
main_usage(int status)
{
	fprintf(stderr, "usage: jumpgate [-deTtV] [-C connection_spec] "
	    "[-E log_file] [-f config_file]\n"
	    "                [-o option] [-p port]\n"
	    "       jumpgate [-f config_file] --explain "
	    "user=U,addr=A,key=FILE[,laddr=L,lport=P] host port\n"
	    "       jumpgate ctl [-f config_file] [-S socket] command ...\n");
	exit(status);
}

static void
main_parse_args(int argc, char **argv, struct main_opts *mo)
{
	static const struct option longopts[] = {
		{ "explain", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	long port;
	int ch;

	while ((ch = getopt_long(argc, argv, "C:dE:ef:ho:p:TtV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			mo->mo_conn = optarg;
			break;
		case 'X':
			mo->mo_explain = optarg;
			break;
		case 'd':
			mo->mo_debug++;
			break;
		case 'E':
			mo->mo_logfile = optarg;
			break;
		case 'e':
			mo->mo_stderr = 1;
			break;
		case 'f':
			mo->mo_config = optarg;
			break;
		case 'o':
			if (mo->mo_nopts == MAIN_MAX_OPTS)
				log_fatal("too many -o options");
			mo->mo_opts[mo->mo_nopts++] = optarg;
			break;
		case 'p':
			if (str_to_long(optarg, 1, 65535, &port) == -1)
				log_fatal("Bad port number.");
			if (mo->mo_nports == CONFIG_MAX_PORTS)
				log_fatal("too many ports.");
			mo->mo_ports[mo->mo_nports++] = (int)port;
			break;
		case 'T':
			mo->mo_dump = 1;
			break;
		case 't':
			mo->mo_test = 1;
			break;
		case 'V':
			fprintf(stderr, "jumpgate %s, %s\n", JUMPGATE_VERSION,
			    ssh_version(0));
			exit(0);
		default:
			main_usage(1);
		}
	}
	if (mo->mo_explain != NULL && argc - optind == 2) {
		mo->mo_explain_host = argv[optind];
		mo->mo_explain_port = argv[optind + 1];
	} else if (optind != argc)
		main_usage(mo->mo_explain != NULL ? EXPLAIN_ERROR : 1);
	if (mo->mo_explain != NULL && mo->mo_explain_host == NULL)
		main_usage(EXPLAIN_ERROR);
	if (mo->mo_conn != NULL && !mo->mo_dump)
		main_usage(1);
}

/* Start-up and SIGHUP alike: -1 with err set, cf to be freed. */
static int
main_load_config(struct config *cf, struct main_opts *mo, char *err,
    size_t errlen)
{
	char state[2048];
	char *text;
	size_t len;
	int i, rc;

	/* -o first: for sshd's keywords the first value obtained wins. */
	for (i = 0; i < mo->mo_nopts; i++)
		if (config_apply_option(cf, mo->mo_opts[i], err,
		    errlen) == -1)
			return -1;
	if (mo->mo_config != NULL) {
		rc = config_load_file(cf, mo->mo_config, err, errlen);
	} else {
		hostkey_default_state_dir(state, sizeof(state));
		len = sizeof(main_demo_config) + 2 * strlen(state);
		text = xmalloc(len);
		snprintf(text, len, main_demo_config, state, state);
		rc = config_load_string(cf, text, "embedded-default", err,
		    errlen);
		free(text);
	}
	if (rc == -1)
		return -1;
	if (cf->c_state_dir == NULL) {
		/* systemd's StateDirectory= arrives as $STATE_DIRECTORY. */
		hostkey_default_state_dir(state, sizeof(state));
		cf->c_state_dir = xstrdup(state);
	}
	if (mo->mo_nports > 0) {
		/* -p replaces the configured ports, as with sshd. */
		memcpy(cf->c_ports, mo->mo_ports, sizeof(mo->mo_ports));
		cf->c_nports = mo->mo_nports;
	}
	config_finalize(cf);
	return akcmd_check(&cf->c_akcmd, err, errlen);
}

/* -T -C user=...,addr=...: sshd -T -C, the config for one connection. */
static int
main_dump_conn(const struct config *cf, char *spec)
{
	struct config_conninfo ci;
	const char *keyfile = NULL;
	char err[CONFIG_ERR_MAX];

	if (config_parse_conninfo(spec, &ci, &keyfile, err, sizeof(err)) ==
	    -1 || keyfile != NULL) {
		fprintf(stderr, "-C: %s\n", keyfile != NULL ?
		    "key= belongs to --explain" : err);
		return 255;
	}
	config_dump_conn(cf, &ci, STDOUT_FILENO);
	return 0;
}

static int
main_str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/*
 * What a reload cannot change without cutting sessions or running
 * start-up again (bound sockets, threads, files written before the
 * workers ran, the log sink): said once per keyword, old value kept.
 */
static void
main_note_restart_only(const struct config *old, const struct config *cf)
{
	const char *what[11];
	int i, n = 0;

	if (old->c_nports != cf->c_nports || memcmp(old->c_ports, cf->c_ports,
	    sizeof(old->c_ports)) != 0)
		what[n++] = "Port";
	if (old->c_nlisten != cf->c_nlisten || memcmp(old->c_listen,
	    cf->c_listen, sizeof(old->c_listen)) != 0)
		what[n++] = "ListenAddress";
	if (old->c_workers != cf->c_workers)
		what[n++] = "Workers";
	if (old->c_address_family != cf->c_address_family)
		what[n++] = "AddressFamily (for the listening sockets)";
	if (main_str_differs(old->c_state_dir, cf->c_state_dir) ||
	    main_str_differs(old->c_pidfile, cf->c_pidfile))
		what[n++] = "StateDirectory or PidFile";
	if (main_str_differs(old->c_user, cf->c_user))
		what[n++] = "User";
	if (old->c_log_level != cf->c_log_level ||
	    old->c_syslog_facility != cf->c_syslog_facility)
		what[n++] = "LogLevel or SyslogFacility";
	if (main_str_differs(old->c_resolv_conf, cf->c_resolv_conf))
		what[n++] = "ResolvConf";
	if (memcmp(&old->c_admin_listen, &cf->c_admin_listen,
	    sizeof(old->c_admin_listen)) != 0)
		what[n++] = "AdminListen";
	if (main_str_differs(old->c_admin_socket, cf->c_admin_socket))
		what[n++] = "AdminSocket";
	for (i = 0; i < n; i++)
		log_info("%s: %s changed: takes effect at restart", __func__,
		    what[i]);
}

/*
 * AuditLog, at start-up (as root, before the switch to User) and at each
 * SIGHUP.  A file made at start-up is given to User, so that a reload
 * can open it again; after a rotation the new file must be creatable by
 * User, or made by logrotate's "create".
 */
static int
main_audit_open(const struct config *cf)
{
	uid_t uid;
	gid_t gid;

	if (audit_open(cf->c_audit_log) == -1) {
		log_error("%s: AuditLog %s: %s", __func__, cf->c_audit_log,
		    strerror(errno));
		return -1;
	}
	if (cf->c_audit_log[0] == '/' && getuid() == 0 &&
	    privs_target(cf, &uid, &gid) &&
	    chown(cf->c_audit_log, uid, gid) == -1)
		log_error("%s: chown %s: %s", __func__, cf->c_audit_log,
		    strerror(errno));
	return 0;
}

/*
 * SIGHUP.  Everything that can fail is done before any worker sees the
 * new configuration, so a reload happens completely or not at all.
 */
static void
main_reload(void)
{
	char err[CONFIG_ERR_MAX];
	char *keys[HOSTKEY_MAX];
	ssh_bind binds[MAIN_MAX_WORKERS];
	struct config *cf;
	int i, nbinds = 0, nkeys = 0;

	log_info("%s: reloading %s", __func__, main_mo.mo_config != NULL ?
	    main_mo.mo_config : "the embedded default");
	notify_reloading();
	cf = config_new();
	if (main_load_config(cf, &main_mo, err, sizeof(err)) == -1) {
		log_error("%s: %s", __func__, err);
		goto refuse;
	}
	if (akrun_resolve(cf) == -1 || privs_check_akcmd(cf, 1) == -1)
		goto refuse;
	if ((nkeys = hostkey_prepare(cf, 0, keys, HOSTKEY_MAX)) == -1) {
		nkeys = 0;
		log_error("%s: no usable host key", __func__);
		goto refuse;
	}
	for (nbinds = 0; nbinds < main_nworkers; nbinds++)
		if ((binds[nbinds] = worker_bind_new(cf, keys, nkeys)) ==
		    NULL)
			goto refuse;
	main_note_restart_only(main_cf, cf);
	/* Also how logrotate's postrotate gets a new file. */
	if (main_audit_open(cf) == -1)
		goto refuse;
	admit_reconfigure(cf);
	for (i = 0; i < main_nworkers; i++)
		worker_reload(&main_workers[i], cf, binds[i]);
	config_unref(main_cf);
	main_cf = cf;
	cf = NULL;
	log_info("%s: configuration reloaded: %d host keys", __func__, nkeys);
	metrics_reload(1);
	goto out;
refuse:
	metrics_reload(0);
	log_error("%s: reload refused: the configuration in force is "
	    "unchanged", __func__);
	while (nbinds > 0)
		ssh_bind_free(binds[--nbinds]);
out:
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	config_unref(cf);
	notify_send("READY=1");
}

static double
main_drain_elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - main_drain_start.tv_sec) +
	    (double)(now.tv_nsec - main_drain_start.tv_nsec) / 1e9;
}

static void
main_drain(void)
{
	struct timeval tv = { main_cf->c_shutdown_grace, 0 };
	int i;

	main_draining = 1;
	admin_set_ready(0);
	clock_gettime(CLOCK_MONOTONIC, &main_drain_start);
	notify_send("STOPPING=1");
	if (main_cf->c_shutdown_grace == 0) {
		log_info("%s: ShutdownGraceTime 0: closing every session now",
		    __func__);
		event_base_loopbreak(main_base);
		return;
	}
	log_info("%s: not accepting; waiting up to %d s for open channels "
	    "(a second signal ends the wait)", __func__,
	    main_cf->c_shutdown_grace);
	evtimer_add(main_grace_ev, &tv);
	for (i = 0; i < main_nworkers; i++)
		worker_drain(&main_workers[i]);
}

static void
main_on_drained(evutil_socket_t fd, short what, void *arg)
{
	int i;

	for (i = 0; i < main_nworkers; i++)
		if (!worker_is_drained(&main_workers[i]))
			return;
	log_info("%s: every session closed after %.1f s", __func__,
	    main_drain_elapsed());
	event_base_loopbreak(main_base);
}

static void
main_on_grace(evutil_socket_t fd, short what, void *arg)
{
	log_info("%s: ShutdownGraceTime %d s over: closing what is left",
	    __func__, main_cf->c_shutdown_grace);
	event_base_loopbreak(main_base);
}

static void
main_on_signal(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGHUP) {
		if (main_draining)
			log_info("%s: SIGHUP while stopping: ignored",
			    __func__);
		else
			main_reload();
		return;
	}
	log_info("Received signal %d; terminating.", (int)sig);
	if (!main_draining) {
		main_drain();
		return;
	}
	log_info("%s: second signal: closing what is left now", __func__);
	event_base_loopbreak(main_base);
}

static void
main_raise_nofile(void)
{
	struct rlimit rl;

	/* Two descriptors per channel plus one per session add up fast. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * The pid file, written as root before the switch to User.  So that User
 * can remove it at exit, a missing directory (the default's /run/jumpgate)
 * is made User's, and the file is too.
 */
static int
main_write_pidfile(const struct config *cf)
{
	const char *path = cf->c_pidfile;
	FILE *f;
	uid_t uid;
	gid_t gid;
	int drop;

	if (strcmp(path, "none") == 0)
		return 0;
	drop = privs_parent_dir(cf, path, &uid, &gid);
	if ((f = fopen(path, "w")) == NULL) {
		log_error("Couldn't create pid file \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (drop && fchown(fileno(f), uid, gid) == -1)
		log_error("%s: chown %s: %s", __func__, path, strerror(errno));
	fclose(f);
	return 0;
}

/*
 * Builds the resolver the workers will build, once, and drops it: a bad
 * ResolvConf then fails -t and start-up before anything listens.
 */
static void
main_check_resolver(const struct config *cf)
{
	struct event_base *base;
	struct evdns_base *dns;
	char err[CONFIG_ERR_MAX];

	if ((base = event_base_new()) == NULL)
		log_fatal("event_base_new failed");
	if ((dns = resolve_dns_new(base, cf, err, sizeof(err))) == NULL)
		log_fatal("%s", err);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

/*
 * Waits for every worker to leave its loop.  A worker that does not within
 * MAIN_STOP_WAIT is stuck in a call that never returns: freeing what it
 * uses would crash it, and waiting would make SIGTERM useless, so the
 * process ends here with a status that says so.
 */
static void
main_join_workers(void)
{
	struct timespec deadline;
	int i, rc;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += MAIN_STOP_WAIT;
	for (i = 0; i < main_nworkers; i++) {
		rc = worker_join(&main_workers[i], &deadline);
		if (rc != 0) {
			log_error("%s: worker %d did not stop within %d s: "
			    "exiting without cleanup", __func__, i,
			    MAIN_STOP_WAIT);
			_exit(LOG_EXIT_RUNTIME);
		}
	}
}

int
main(int argc, char **argv)
{
	struct main_opts *mo = &main_mo;
	struct config *cf;
	struct event *sigev[3];
	char *hostkeys[HOSTKEY_MAX], *pidfile;
	char err[CONFIG_ERR_MAX];
	char first_host[ADDR_STRLEN] = "";
	int i, nhostkeys, level, first_port = 0, nworkers, nsess = 0,
	    nchans = 0, sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	enum log_sink sink;

	log_init("jumpgate", LOG_LVL_INFO, LOG_SINK_STDERR, NULL, 0);
	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
	main_parse_args(argc, argv, mo);
	/* -d applies while the file is read, so its debug notes show. */
	if (mo->mo_debug > 0)
		log_set_level(LOG_LVL_DEBUG1 + (mo->mo_debug > 3 ? 2 :
		    mo->mo_debug - 1));
	if (mo->mo_config == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		mo->mo_config = CONFIG_DEFAULT_PATH;
	main_cf = cf = config_new();
	if (main_load_config(cf, mo, err, sizeof(err)) == -1)
		log_fatal("%s", err);

	level = mo->mo_debug > 0 ? log_get_level() : cf->c_log_level;
	if (mo->mo_dump || mo->mo_explain != NULL) {
		i = 0;
		if (mo->mo_explain != NULL)
			i = explain_run(cf, mo->mo_explain,
			    mo->mo_explain_host, mo->mo_explain_port);
		else if (mo->mo_conn != NULL)
			i = main_dump_conn(cf, mo->mo_conn);
		else
			config_dump(cf, STDOUT_FILENO);
		config_unref(cf);
		return i;
	}
	nhostkeys = hostkey_prepare(cf, mo->mo_test, hostkeys, HOSTKEY_MAX);
	if (nhostkeys == -1)
		log_fatal("no usable host key -- exiting.");
	if (privs_check(cf) == -1)
		log_fatal("cannot run as User %s -- exiting.", cf->c_user);
	if (akrun_resolve(cf) == -1 || privs_check_akcmd(cf, 0) == -1)
		log_fatal("cannot run AuthorizedKeysCommand -- exiting.");
	main_check_resolver(cf);
	if (mo->mo_test) {
		for (i = 0; i < nhostkeys; i++)
			free(hostkeys[i]);
		config_unref(cf);
		return 0;
	}

	/* The demo talks to a person at a terminal: log there too. */
	if (mo->mo_logfile != NULL)
		sink = LOG_SINK_FILE;
	else if (mo->mo_stderr || mo->mo_debug || cf->c_demo)
		sink = LOG_SINK_STDERR;
	else
		sink = LOG_SINK_SYSLOG;
	if (log_init("jumpgate", level, sink, mo->mo_logfile,
	    cf->c_syslog_facility) == -1)
		log_fatal("cannot open log file %s: %s", mo->mo_logfile,
		    strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	main_raise_nofile();
	if (evthread_use_pthreads() == -1)
		log_fatal("libevent has no pthreads support");
	if (ssh_init() != SSH_OK)
		log_fatal("libssh initialisation failed");
	notify_init();
	metrics_init();
	if (main_audit_open(cf) == -1)
		log_fatal("cannot open the audit log -- exiting.");
	if ((main_base = event_base_new()) == NULL ||
	    (main_drained_ev = event_new(main_base, -1, 0, main_on_drained,
	    NULL)) == NULL ||
	    (main_grace_ev = evtimer_new(main_base, main_on_grace,
	    NULL)) == NULL)
		log_fatal("event_base_new failed");

	nworkers = cf->c_workers > 0 ? cf->c_workers :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers < 1)
		nworkers = 1;
	if (nworkers > MAIN_MAX_WORKERS)
		nworkers = MAIN_MAX_WORKERS;
	main_workers = xcalloc((size_t)nworkers, sizeof(*main_workers));
	main_nworkers = nworkers;
	if (listen_bind_all(cf, main_workers, main_nworkers, first_host,
	    sizeof(first_host), &first_port) == 0)
		log_fatal("Cannot bind any address.");
	main_nself = listen_endpoints(cf, main_self, LISTEN_MAX_ENDPOINTS);
	if (admin_bind(cf) == -1)
		log_fatal("cannot set up the admin listener -- exiting.");
	main_nself += admin_endpoint(&main_self[main_nself]);
	for (i = 0; i < nworkers; i++) {
		main_workers[i].w_self = main_self;
		main_workers[i].w_nself = main_nself;
	}
	for (i = 0; i < nworkers; i++) {
		if (worker_init(&main_workers[i], i, cf, hostkeys,
		    nhostkeys, main_drained_ev) == -1)
			log_fatal("cannot start worker %d", i);
	}
	/* MaxStartups and the cross-session caps: one budget, all workers. */
	admit_init(cf);
	if (cf->c_demo && hostkey_demo_setup(cf, hostkeys, nhostkeys,
	    first_host, first_port) == -1)
		log_fatal("cannot write the demo's files in %s",
		    cf->c_state_dir);
	for (i = 0; i < nhostkeys; i++)
		free(hostkeys[i]);
	/* Written now, removed at exit: a reload does not move it. */
	pidfile = xstrdup(cf->c_pidfile);
	if (main_write_pidfile(cf) == -1)
		log_fatal("cannot write pid file");
	/* Paths are absolute by now; hold no directory busy. */
	if (chdir("/") == -1)
		log_fatal("chdir /: %s", strerror(errno));
	/* Bound, keys loaded, pid file written: root is no longer needed. */
	privs_drop(cf);

	for (i = 0; i < 3; i++) {
		sigev[i] = evsignal_new(main_base, sigs[i], main_on_signal,
		    NULL);
		evsignal_add(sigev[i], NULL);
	}
	admin_start(main_workers, nworkers);
	for (i = 0; i < nworkers; i++)
		if (worker_start(&main_workers[i]) == -1)
			log_fatal("cannot start worker %d", i);
	admin_set_ready(1);
	log_debug("%s: %d workers, %d host keys", __func__, nworkers,
	    nhostkeys);
	log_set_fatal_status(LOG_EXIT_RUNTIME);
	notify_send("READY=1");

	event_base_dispatch(main_base);

	/* No admin job may be posted to a worker that is being freed. */
	admin_stop();
	for (i = 0; i < nworkers; i++)
		worker_stop(&main_workers[i]);
	main_join_workers();
	admin_free();
	for (i = 0; i < nworkers; i++) {
		nsess += main_workers[i].w_left_sessions;
		nchans += main_workers[i].w_left_channels;
	}
	if (main_draining)
		log_info("%s: stopped after %.1f s: %d sessions with %d "
		    "channels closed", __func__, main_drain_elapsed(), nsess,
		    nchans);
	for (i = 0; i < 3; i++)
		event_free(sigev[i]);
	event_free(main_grace_ev);
	event_free(main_drained_ev);
	event_base_free(main_base);
	if (strcmp(pidfile, "none") != 0 && unlink(pidfile) == -1)
		log_verbose("cannot remove pid file %s: %s", pidfile,
		    strerror(errno));
	free(pidfile);
	free(main_workers);
	audit_close();
	admit_free();
	akrun_cache_free();
	config_unref(main_cf);
	notify_free();
	ssh_finalize();
	libevent_global_shutdown();
	return 0;
}
