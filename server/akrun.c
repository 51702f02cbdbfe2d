/*
 * akrun.c: AuthorizedKeysCommand, run for a session without blocking its
 * worker, and a cache of what it printed.
 *
 * The worker forks; the child resets its signals, takes a process group
 * of its own, gets /dev/null as stdin and stderr and a pipe as stdout,
 * closes every other descriptor, becomes AuthorizedKeysCommandUser and
 * execs with sshd's minimal environment.  Between fork and exec only
 * async-signal-safe calls are made (the other threads' locks are
 * copied held), so everything is prepared before the fork and the
 * identity switch is the raw syscalls, which change the child alone.
 *
 * The parent reads the pipe from a libevent read event, up to
 * AKRUN_OUTPUT_MAX, and watches the child through a pidfd: readable
 * once it exited, then waitpid(WNOHANG) reaps exactly that child, so no
 * SIGCHLD handler is needed and other children are never touched.  A
 * timer bounds the whole run.  On a timeout, an oversized output, or the
 * session going away, the whole process group is killed, the session
 * gets its answer (or none) at once, and the job lives on, orphaned,
 * until the pidfd says the child is gone.  When the child exits, its
 * group is killed too: a lookup must not leave anything running.
 *
 * The cache is global (a second login may land on another worker),
 * keyed by the expanded argv and the run-as user, holds only outputs of
 * runs that exited 0, and is bounded by entries and bytes.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "account.h"
#include "akrun.h"
#include "authkeys.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "str.h"
#include "worker.h"

/* Past this the command is killed and the key refused. */
#define AKRUN_OUTPUT_MAX	(1024 * 1024)
#define AKRUN_READ_CHUNK	65536
#define AKRUN_CACHE_ENTRIES	1024
#define AKRUN_CACHE_BYTES	(16 * 1024 * 1024)
/* sshd's _PATH_STDPATH. */
#define AKRUN_PATH		"/usr/bin:/bin:/usr/sbin:/sbin"
#define AKRUN_TAG		"AuthorizedKeysCommand"

struct akrun_job {
	TAILQ_ENTRY(akrun_job)	 aj_entry;	/* worker's w_akrun */
	struct worker		*aj_worker;
	struct session		*aj_session;	/* NULL: orphaned */
	unsigned long		 aj_sid;	/* for the log */
	akrun_done_fn		 aj_done;
	char			*aj_cmd;	/* printable, for the log */
	char			*aj_key;	/* the cache's */
	size_t			 aj_keylen;
	int			 aj_ttl;	/* cache seconds, 0 = off */
	int			 aj_timeout;	/* seconds */
	pid_t			 aj_pid;
	int			 aj_pidfd;
	int			 aj_out;	/* -1 once closed */
	struct event		*aj_rev;
	struct event		*aj_pidev;
	struct event		*aj_timer;
	char			*aj_buf;
	size_t			 aj_len;
	size_t			 aj_size;
	int			 aj_exited;	/* reaped */
	int			 aj_status;
};

/* What the child switches to, computed before the fork. */
struct akrun_ids {
	int		 ai_switch;
	uid_t		 ai_uid;
	gid_t		 ai_gid;
	const gid_t	*ai_groups;
	int		 ai_ngroups;
};

struct akrun_entry {
	TAILQ_ENTRY(akrun_entry) ae_entry;	/* most recently used first */
	char		*ae_key;
	size_t		 ae_keylen;
	char		*ae_out;
	size_t		 ae_len;
	time_t		 ae_expires;	/* CLOCK_MONOTONIC seconds */
};

static TAILQ_HEAD(akrun_entry_head, akrun_entry) akrun_cache =
    TAILQ_HEAD_INITIALIZER(akrun_cache);
static pthread_mutex_t akrun_mtx = PTHREAD_MUTEX_INITIALIZER;
static int akrun_nentries;
static size_t akrun_bytes;

static void	akrun_on_read(evutil_socket_t, short, void *);
static void	akrun_on_exit(evutil_socket_t, short, void *);
static void	akrun_on_timeout(evutil_socket_t, short, void *);

static time_t
akrun_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int
akrun_resolve(struct config *cf)
{
	struct config_akcmd *ak = &cf->c_akcmd;
	struct akcmd_runas *ar = &ak->ak_runas;
	struct passwd pw, *res = NULL;
	char buf[16384];
	int fd, n, rc;

	if (ak->ak_argv == NULL)
		return 0;
	if ((rc = getpwnam_r(ak->ak_user, &pw, buf, sizeof(buf), &res)) != 0 ||
	    res == NULL) {
		log_error("AuthorizedKeysCommandUser %s: no such account (%s)",
		    ak->ak_user, rc ? strerror(rc) : "not found");
		return -1;
	}
	ar->ar_uid = pw.pw_uid;
	ar->ar_gid = pw.pw_gid;
	ar->ar_home = xstrdup(pw.pw_dir);
	free(ar->ar_groups);
	if ((ar->ar_groups = account_gids(pw.pw_name, pw.pw_gid, &n)) ==
	    NULL) {
		log_error("AuthorizedKeysCommandUser %s: more than 65536 "
		    "groups", ak->ak_user);
		return -1;
	}
	ar->ar_ngroups = n;
	ar->ar_set = 1;
	/* Linux 5.3: without it a child could only be reaped by blocking. */
	if ((fd = (int)syscall(SYS_pidfd_open, getpid(), 0)) == -1) {
		log_error("AuthorizedKeysCommand needs pidfd_open (Linux 5.3 "
		    "or later): %s", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* A descriptor above 2, so that the child's dup2s cannot clobber it. */
static int
akrun_high_fd(int fd)
{
	int nfd;

	if (fd == -1 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

/* The child: async-signal-safe calls only, then exec. */
static void __attribute__((noreturn))
akrun_child(int out, int devnull, char *const *av, char *const *envp,
    const struct akrun_ids *ids)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	/* SIGPIPE is ignored in the daemon, and exec keeps ignored ones. */
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(devnull, STDERR_FILENO) == -1 ||
	    syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
		_exit(127);
	if (ids->ai_switch &&
	    (syscall(SYS_setgroups, (size_t)ids->ai_ngroups,
	    ids->ai_groups) == -1 ||
	    syscall(SYS_setresgid, ids->ai_gid, ids->ai_gid,
	    ids->ai_gid) == -1 ||
	    syscall(SYS_setresuid, ids->ai_uid, ids->ai_uid,
	    ids->ai_uid) == -1))
		_exit(127);
	execve(av[0], av, envp);
	_exit(127);
}

/* sshd's subprocess() checks on the program, StrictModes deciding. */
static int
akrun_check_path(const char *path, const struct config *cf)
{
	struct authkeys_acct acct;
	char why[PATH_MAX + 64];
	struct stat st;
	int fd, rc;

	if (stat(path, &st) == -1) {
		log_error("Could not stat %s \"%s\": %s", AKRUN_TAG, path,
		    strerror(errno));
		return -1;
	}
	if (!cf->c_strict_modes)
		return 0;
	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		log_error("Could not stat %s \"%s\": %s", AKRUN_TAG, path,
		    strerror(errno));
		return -1;
	}
	/* Owned by root, nothing above it writable by others. */
	memset(&acct, 0, sizeof(acct));
	acct.aa_account = 1;
	acct.aa_strict = 1;
	rc = safepath_check(fd, path, &acct, why, sizeof(why));
	close(fd);
	if (rc != 0) {
		log_error("Unsafe %s \"%s\": %s", AKRUN_TAG, path, why);
		return -1;
	}
	return 0;
}

/* The argv of this run, with the key's and the user's tokens. */
static char **
akrun_argv(struct session *s, const struct config_akcmd *ak,
    const ssh_key key)
{
	struct akcmd_tokens t;
	unsigned char *hash = NULL;
	char uid[32], *fp = NULL, *b64 = NULL, **av = NULL, missing = '?';
	size_t hlen = 0;

	memset(&t, 0, sizeof(t));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 || (fp = ssh_get_fingerprint_hash(
	    SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) == NULL ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		log_error("%s: session %lu: cannot encode the key", __func__,
		    s->s_id);
		goto done;
	}
	t.at_user = s->s_authuser;
	t.at_home = s->s_acct.aa_account ? s->s_home : NULL;
	if (s->s_acct.aa_account) {
		snprintf(uid, sizeof(uid), "%llu",
		    (unsigned long long)s->s_acct.aa_uid);
		t.at_uid = uid;
	}
	t.at_fp = fp;
	t.at_type = ssh_key_type_to_char(ssh_key_type(key));
	t.at_key = b64;
	if ((av = akcmd_expand(ak, &t, &missing)) == NULL)
		log_info("%s: not run for user %.100s: %%%c needs a system "
		    "account", AKRUN_TAG, s->s_authuser, missing);
done:
	ssh_clean_pubkey_hash(&hash);
	ssh_string_free_char(fp);
	free(b64);
	return av;
}

static char *
akrun_cache_key(const struct config_akcmd *ak, char *const *av, size_t *lenp)
{
	size_t len = strlen(ak->ak_user) + 1, n;
	char *key;
	int i;

	for (i = 0; av[i] != NULL; i++)
		len += strlen(av[i]) + 1;
	key = xmalloc(len);
	n = strlen(ak->ak_user) + 1;
	memcpy(key, ak->ak_user, n);
	for (i = 0; av[i] != NULL; i++) {
		memcpy(key + n, av[i], strlen(av[i]) + 1);
		n += strlen(av[i]) + 1;
	}
	*lenp = len;
	return key;
}

static void
akrun_entry_free(struct akrun_entry *ae)
{
	TAILQ_REMOVE(&akrun_cache, ae, ae_entry);
	akrun_nentries--;
	akrun_bytes -= ae->ae_len + ae->ae_keylen;
	free(ae->ae_key);
	free(ae->ae_out);
	free(ae);
}

/* With akrun_mtx held: the live entry for key, expired ones dropped. */
static struct akrun_entry *
akrun_cache_find(const char *key, size_t keylen)
{
	struct akrun_entry *ae, *next;
	time_t now = akrun_now();

	for (ae = TAILQ_FIRST(&akrun_cache); ae != NULL; ae = next) {
		next = TAILQ_NEXT(ae, ae_entry);
		if (ae->ae_expires <= now)
			akrun_entry_free(ae);
		else if (ae->ae_keylen == keylen &&
		    memcmp(ae->ae_key, key, keylen) == 0)
			return ae;
	}
	return NULL;
}

static int
akrun_cache_get(const char *key, size_t keylen, char **out, size_t *len)
{
	struct akrun_entry *ae;

	pthread_mutex_lock(&akrun_mtx);
	if ((ae = akrun_cache_find(key, keylen)) != NULL) {
		TAILQ_REMOVE(&akrun_cache, ae, ae_entry);
		TAILQ_INSERT_HEAD(&akrun_cache, ae, ae_entry);
		*out = xmalloc(ae->ae_len + 1);
		memcpy(*out, ae->ae_out, ae->ae_len + 1);
		*len = ae->ae_len;
	}
	pthread_mutex_unlock(&akrun_mtx);
	return ae != NULL;
}

static void
akrun_cache_put(const struct akrun_job *aj)
{
	struct akrun_entry *ae;

	pthread_mutex_lock(&akrun_mtx);
	if ((ae = akrun_cache_find(aj->aj_key, aj->aj_keylen)) != NULL)
		akrun_entry_free(ae);
	/* Least recently used first out, within both bounds. */
	while (!TAILQ_EMPTY(&akrun_cache) &&
	    (akrun_nentries >= AKRUN_CACHE_ENTRIES || akrun_bytes +
	    aj->aj_len + aj->aj_keylen > AKRUN_CACHE_BYTES))
		akrun_entry_free(TAILQ_LAST(&akrun_cache, akrun_entry_head));
	ae = xcalloc(1, sizeof(*ae));
	ae->ae_key = xmalloc(aj->aj_keylen);
	memcpy(ae->ae_key, aj->aj_key, aj->aj_keylen);
	ae->ae_keylen = aj->aj_keylen;
	ae->ae_out = xmalloc(aj->aj_len + 1);
	if (aj->aj_len > 0)
		memcpy(ae->ae_out, aj->aj_buf, aj->aj_len);
	ae->ae_len = aj->aj_len;
	ae->ae_expires = akrun_now() + aj->aj_ttl;
	TAILQ_INSERT_HEAD(&akrun_cache, ae, ae_entry);
	akrun_nentries++;
	akrun_bytes += ae->ae_len + ae->ae_keylen;
	pthread_mutex_unlock(&akrun_mtx);
}

void
akrun_cache_free(void)
{
	pthread_mutex_lock(&akrun_mtx);
	while (!TAILQ_EMPTY(&akrun_cache))
		akrun_entry_free(TAILQ_FIRST(&akrun_cache));
	pthread_mutex_unlock(&akrun_mtx);
}

/* The whole group: the command and anything it started. */
static void
akrun_kill(struct akrun_job *aj)
{
	if (aj->aj_exited)
		return;
	kill(-aj->aj_pid, SIGKILL);
	kill(aj->aj_pid, SIGKILL);
}

static void
akrun_close_out(struct akrun_job *aj)
{
	if (aj->aj_rev != NULL)
		event_free(aj->aj_rev);
	aj->aj_rev = NULL;
	if (aj->aj_timer != NULL)
		event_free(aj->aj_timer);
	aj->aj_timer = NULL;
	if (aj->aj_out != -1)
		close(aj->aj_out);
	aj->aj_out = -1;
	free(aj->aj_buf);
	aj->aj_buf = NULL;
}

static void
akrun_job_free(struct akrun_job *aj)
{
	akrun_close_out(aj);
	if (aj->aj_pidev != NULL)
		event_free(aj->aj_pidev);
	if (aj->aj_pidfd != -1)
		close(aj->aj_pidfd);
	TAILQ_REMOVE(&aj->aj_worker->w_akrun, aj, aj_entry);
	free(aj->aj_cmd);
	free(aj->aj_key);
	free(aj);
}

/* Hands the session its answer; the job may live on, orphaned. */
static void
akrun_deliver(struct akrun_job *aj, int ok)
{
	struct session *s = aj->aj_session;

	if (s == NULL)
		return;
	aj->aj_session = NULL;
	s->s_akrun = NULL;
	aj->aj_done(s, !ok ? NULL : aj->aj_buf != NULL ? aj->aj_buf : "",
	    ok ? aj->aj_len : 0);
}

/* Killed before its end: the key is refused now, the reaping follows. */
static void
akrun_abort(struct akrun_job *aj)
{
	akrun_kill(aj);
	akrun_deliver(aj, 0);
	akrun_close_out(aj);
	if (aj->aj_exited)
		akrun_job_free(aj);
}

/* Both the output's end and the exit seen: sshd's exited_cleanly(). */
static void
akrun_finish(struct akrun_job *aj)
{
	int st = aj->aj_status, ok = 0;

	if (aj->aj_out != -1 || !aj->aj_exited)
		return;
	if (WIFSIGNALED(st))
		log_error("%s %s exited on signal %d", AKRUN_TAG, aj->aj_cmd,
		    WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		log_error("%s %s failed, status %d", AKRUN_TAG, aj->aj_cmd,
		    WEXITSTATUS(st));
	else
		ok = 1;
	log_debug("%s: session %lu: %s pid %ld done, %zu bytes", __func__,
	    aj->aj_sid, AKRUN_TAG, (long)aj->aj_pid, aj->aj_len);
	if (ok && aj->aj_ttl > 0)
		akrun_cache_put(aj);
	akrun_deliver(aj, ok);
	akrun_job_free(aj);
}

static void
akrun_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct akrun_job *aj = arg;
	ssize_t n;

	for (;;) {
		/* One byte past the cap tells an output that is too long. */
		if (aj->aj_len == aj->aj_size) {
			aj->aj_size = aj->aj_size == 0 ? AKRUN_READ_CHUNK :
			    aj->aj_size * 2;
			if (aj->aj_size > AKRUN_OUTPUT_MAX + 1)
				aj->aj_size = AKRUN_OUTPUT_MAX + 1;
			aj->aj_buf = xreallocarray(aj->aj_buf, 1,
			    aj->aj_size);
		}
		n = read(aj->aj_out, aj->aj_buf + aj->aj_len,
		    aj->aj_size - aj->aj_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		aj->aj_len += (size_t)n;
		if (aj->aj_len > AKRUN_OUTPUT_MAX) {
			log_error("%s %s: output longer than %d bytes: killed",
			    AKRUN_TAG, aj->aj_cmd, AKRUN_OUTPUT_MAX);
			akrun_abort(aj);
			return;
		}
	}
	if (n == -1)
		log_error("%s %s: read: %s", AKRUN_TAG, aj->aj_cmd,
		    strerror(errno));
	/* The end of the output; keep the bytes, drop the rest. */
	event_free(aj->aj_rev);
	aj->aj_rev = NULL;
	close(aj->aj_out);
	aj->aj_out = -1;
	if (n == -1) {
		akrun_abort(aj);
		return;
	}
	akrun_finish(aj);
}

static void
akrun_on_exit(evutil_socket_t fd, short what, void *arg)
{
	struct akrun_job *aj = arg;
	pid_t pid;
	int st;

	/* What it left behind goes with it; the pipe then reaches EOF. */
	kill(-aj->aj_pid, SIGKILL);
	while ((pid = waitpid(aj->aj_pid, &st, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (pid == 0) {
		event_add(aj->aj_pidev, NULL);
		return;
	}
	aj->aj_exited = 1;
	aj->aj_status = pid == -1 ? W_EXITCODE(127, 0) : st;
	if (aj->aj_session == NULL && aj->aj_out == -1) {
		akrun_job_free(aj);
		return;
	}
	akrun_finish(aj);
}

static void
akrun_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct akrun_job *aj = arg;

	log_error("%s %s timed out after %d seconds: killed", AKRUN_TAG,
	    aj->aj_cmd, aj->aj_timeout);
	akrun_abort(aj);
}

/* sshd's environment for the command: the run-as account's, no more. */
static char **
akrun_env(const struct config_akcmd *ak)
{
	char **env = xcalloc(5, sizeof(*env));
	size_t len = strlen(ak->ak_user) + strlen(ak->ak_runas.ar_home) + 32;
	int i;

	env[0] = xstrdup("PATH=" AKRUN_PATH);
	for (i = 1; i < 4; i++)
		env[i] = xmalloc(len);
	snprintf(env[1], len, "USER=%s", ak->ak_user);
	snprintf(env[2], len, "LOGNAME=%s", ak->ak_user);
	snprintf(env[3], len, "HOME=%s", ak->ak_runas.ar_home);
	return env;
}

/* fork and exec; -1 when nothing runs (logged). */
static int
akrun_spawn(struct akrun_job *aj, char *const *av,
    const struct config_akcmd *ak)
{
	const struct akcmd_runas *ar = &ak->ak_runas;
	struct akrun_ids ids;
	char **env = akrun_env(ak);
	int p[2] = { -1, -1 }, devnull, ret = -1;

	memset(&ids, 0, sizeof(ids));
	ids.ai_switch = ar->ar_uid != geteuid() || ar->ar_gid != getegid();
	ids.ai_uid = ar->ar_uid;
	ids.ai_gid = ar->ar_gid;
	ids.ai_groups = ar->ar_groups;
	ids.ai_ngroups = ar->ar_ngroups;
	devnull = akrun_high_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (devnull == -1 || pipe2(p, O_CLOEXEC) == -1 ||
	    (p[0] = akrun_high_fd(p[0])) == -1 ||
	    (p[1] = akrun_high_fd(p[1])) == -1) {
		log_error("%s: pipe: %s", AKRUN_TAG, strerror(errno));
		goto done;
	}
	if ((aj->aj_pid = fork()) == -1) {
		log_error("%s: fork: %s", AKRUN_TAG, strerror(errno));
		goto done;
	}
	if (aj->aj_pid == 0)
		akrun_child(p[1], devnull, av, env, &ids);
	/* Also here: a kill before the child ran setpgid must reach it. */
	setpgid(aj->aj_pid, aj->aj_pid);
	if ((aj->aj_pidfd = (int)syscall(SYS_pidfd_open, aj->aj_pid,
	    0)) == -1) {
		/* Out of descriptors: SIGKILLed, it is gone at once. */
		log_error("%s: pidfd_open: %s", AKRUN_TAG, strerror(errno));
		kill(-aj->aj_pid, SIGKILL);
		kill(aj->aj_pid, SIGKILL);
		waitpid(aj->aj_pid, NULL, 0);
		goto done;
	}
	aj->aj_out = p[0];
	p[0] = -1;
	fcntl(aj->aj_out, F_SETFL, fcntl(aj->aj_out, F_GETFL) | O_NONBLOCK);
	log_debug3("subprocess: %s pid %ld", AKRUN_TAG, (long)aj->aj_pid);
	ret = 0;
done:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (devnull != -1)
		close(devnull);
	akcmd_argv_free(env);
	return ret;
}

int
akrun_start(struct session *s, const ssh_key key, akrun_done_fn done,
    char **out, size_t *len)
{
	const struct config *cf = s->s_worker->w_config;
	const struct config_akcmd *ak = &cf->c_akcmd;
	struct timeval tv = { ak->ak_timeout, 0 };
	struct akrun_job *aj;
	char **av;
	int ret = -1;

	if ((av = akrun_argv(s, ak, key)) == NULL)
		return -1;
	aj = xcalloc(1, sizeof(*aj));
	aj->aj_worker = s->s_worker;
	aj->aj_sid = s->s_id;
	aj->aj_done = done;
	aj->aj_pidfd = aj->aj_out = -1;
	aj->aj_pid = -1;
	aj->aj_ttl = ak->ak_cache;
	aj->aj_timeout = ak->ak_timeout;
	aj->aj_cmd = akcmd_argv_join(av);
	aj->aj_key = akrun_cache_key(ak, av, &aj->aj_keylen);
	TAILQ_INSERT_TAIL(&s->s_worker->w_akrun, aj, aj_entry);
	if (aj->aj_ttl > 0 && akrun_cache_get(aj->aj_key, aj->aj_keylen, out,
	    len)) {
		log_debug("%s: session %lu: %s %s answered from the cache",
		    __func__, s->s_id, AKRUN_TAG, aj->aj_cmd);
		ret = 0;
		goto fail;
	}
	if (akrun_check_path(av[0], cf) == -1)
		goto fail;
	log_debug3("subprocess: %s command \"%s\" running as %s", AKRUN_TAG,
	    aj->aj_cmd, ak->ak_user);
	if (akrun_spawn(aj, av, ak) == -1)
		goto fail;
	aj->aj_rev = event_new(s->s_worker->w_base, aj->aj_out,
	    EV_READ | EV_PERSIST, akrun_on_read, aj);
	aj->aj_pidev = event_new(s->s_worker->w_base, aj->aj_pidfd, EV_READ,
	    akrun_on_exit, aj);
	aj->aj_timer = evtimer_new(s->s_worker->w_base, akrun_on_timeout, aj);
	if (aj->aj_rev == NULL || aj->aj_pidev == NULL || aj->aj_timer == NULL)
		log_fatal("%s: event_new failed", __func__);
	event_add(aj->aj_rev, NULL);
	event_add(aj->aj_pidev, NULL);
	evtimer_add(aj->aj_timer, &tv);
	aj->aj_session = s;
	s->s_akrun = aj;
	akcmd_argv_free(av);
	return 1;
fail:
	akrun_job_free(aj);
	akcmd_argv_free(av);
	return ret;
}

void
akrun_cancel(struct session *s)
{
	struct akrun_job *aj = s->s_akrun;

	if (aj == NULL)
		return;
	log_debug("%s: session %lu: killing %s pid %ld", __func__, s->s_id,
	    AKRUN_TAG, (long)aj->aj_pid);
	s->s_akrun = NULL;
	aj->aj_session = NULL;
	akrun_kill(aj);
	akrun_close_out(aj);
	if (aj->aj_exited)
		akrun_job_free(aj);
}

void
akrun_worker_free(struct worker *w)
{
	struct akrun_job *aj;

	while ((aj = TAILQ_FIRST(&w->w_akrun)) != NULL) {
		if (aj->aj_session != NULL)
			aj->aj_session->s_akrun = NULL;
		akrun_kill(aj);
		/* SIGKILLed: this wait is short, and only at shutdown. */
		if (!aj->aj_exited && aj->aj_pid > 0)
			waitpid(aj->aj_pid, NULL, 0);
		akrun_job_free(aj);
	}
}
