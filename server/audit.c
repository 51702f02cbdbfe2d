/*
 * audit.c: the JSON audit log and the thread that writes it.
 *
 * A worker formats its event into a line of its own, then moves the line
 * into the shared queue under a mutex held for a pointer move only; the
 * writer thread takes the whole queue and write(2)s it.  So neither a
 * slow disk nor a stdout pipe nobody reads can stall a worker: past
 * AUDIT_QUEUE_MAX queued bytes new lines are dropped, counted in
 * /metrics and said once in the log, until the writer catches up.
 *
 * Every string a client sent goes through json.c, so a line is valid
 * JSON whatever the bytes.  Nothing of a key but its type and SHA256
 * fingerprint, and nothing of the payload, is ever written.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "audit.h"
#include "auth.h"
#include "channel.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "session.h"

/*
 * How long the writer waits after the first line of a burst: a worker
 * opening thousands of channels a second then costs the writer a few
 * dozen wakeups and writes a second, not one per line.
 */
#define AUDIT_GATHER_MS	10

static pthread_mutex_t	 audit_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 audit_cv = PTHREAD_COND_INITIALIZER;
static struct evbuffer	*audit_queue;		/* audit_mtx */
static int		 audit_next_fd = -1;	/* audit_mtx: switch to it */
static int		 audit_switch;		/* audit_mtx */
static int		 audit_stopping;	/* audit_mtx */
static int		 audit_dropping;	/* audit_mtx: said once */
static int		 audit_on;		/* atomic */
static int		 audit_fd = -1;		/* the writer's */
static pthread_t	 audit_thread;
static int		 audit_started;

/* Closes an fd of ours; stdout is shared, so it stays. */
static void
audit_fd_close(int fd)
{
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Writes all of buf, or drops it (counted) when the sink fails. */
static void
audit_write(struct evbuffer *buf)
{
	int n;

	while (evbuffer_get_length(buf) > 0) {
		if (audit_fd == -1)
			break;
		if ((n = evbuffer_write(buf, audit_fd)) > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		log_error("%s: audit log: %s; %zu bytes dropped", __func__,
		    n == -1 ? strerror(errno) : "nothing written",
		    evbuffer_get_length(buf));
		break;
	}
	evbuffer_drain(buf, evbuffer_get_length(buf));
}

static void *
audit_main(void *arg)
{
	struct timespec gather = { 0, AUDIT_GATHER_MS * 1000000L };
	struct evbuffer *batch;
	int stop = 0;

	if ((batch = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	while (!stop) {
		pthread_mutex_lock(&audit_mtx);
		while (evbuffer_get_length(audit_queue) == 0 &&
		    !audit_switch && !audit_stopping)
			pthread_cond_wait(&audit_cv, &audit_mtx);
		if (!audit_switch && !audit_stopping) {
			/* Let a burst gather: one write, not one per line. */
			pthread_mutex_unlock(&audit_mtx);
			nanosleep(&gather, NULL);
			pthread_mutex_lock(&audit_mtx);
		}
		evbuffer_add_buffer(batch, audit_queue);
		if (audit_switch) {
			/* Queued before the reopen: to the new file too. */
			audit_fd_close(audit_fd);
			audit_fd = audit_next_fd;
			audit_next_fd = -1;
			audit_switch = 0;
		}
		stop = audit_stopping;
		audit_dropping = 0;
		pthread_mutex_unlock(&audit_mtx);
		audit_write(batch);
	}
	evbuffer_free(batch);
	return NULL;
}

int
audit_open(const char *spec)
{
	int fd = -1, rc;

	if (strcmp(spec, "stdout") == 0)
		fd = STDOUT_FILENO;
	else if (strcmp(spec, "none") != 0 &&
	    (fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0640)) == -1)
		return -1;
	/* No thread until there is something to write. */
	if (fd == -1 && !audit_started)
		return 0;
	if (!audit_started) {
		if ((audit_queue = evbuffer_new()) == NULL)
			log_fatal("%s: evbuffer_new failed", __func__);
		if ((rc = pthread_create(&audit_thread, NULL, audit_main,
		    NULL)) != 0)
			log_fatal("%s: pthread_create: %s", __func__,
			    strerror(rc));
		audit_started = 1;
	}
	pthread_mutex_lock(&audit_mtx);
	if (audit_switch)
		audit_fd_close(audit_next_fd);
	audit_next_fd = fd;
	audit_switch = 1;
	__atomic_store_n(&audit_on, fd != -1, __ATOMIC_RELAXED);
	pthread_cond_signal(&audit_cv);
	pthread_mutex_unlock(&audit_mtx);
	return 0;
}

void
audit_close(void)
{
	if (!audit_started)
		return;
	__atomic_store_n(&audit_on, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&audit_mtx);
	audit_stopping = 1;
	pthread_cond_signal(&audit_cv);
	pthread_mutex_unlock(&audit_mtx);
	pthread_join(audit_thread, NULL);
	audit_fd_close(audit_fd);
	if (audit_switch)
		audit_fd_close(audit_next_fd);
	audit_fd = audit_next_fd = -1;
	evbuffer_free(audit_queue);
	audit_queue = NULL;
	audit_started = 0;
}

int
audit_enabled(void)
{
	return __atomic_load_n(&audit_on, __ATOMIC_RELAXED);
}

/* Hands a finished line to the writer, or drops it when it lags. */
static void
audit_queue_line(struct evbuffer *line)
{
	int said = 1;

	evbuffer_add(line, "\n", 1);
	pthread_mutex_lock(&audit_mtx);
	if (evbuffer_get_length(audit_queue) + evbuffer_get_length(line) <=
	    AUDIT_QUEUE_MAX) {
		evbuffer_add_buffer(audit_queue, line);
		pthread_cond_signal(&audit_cv);
	} else {
		said = audit_dropping;
		audit_dropping = 1;
		metrics_audit_dropped(1);
	}
	pthread_mutex_unlock(&audit_mtx);
	if (!said)
		log_error("%s: audit writer %d bytes behind: dropping lines "
		    "until it catches up", __func__, AUDIT_QUEUE_MAX);
	evbuffer_free(line);
}

/* RFC 3339 in UTC with milliseconds. */
static void
audit_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", sec, ts.tv_nsec / 1000000);
}

/* The fields every event has: when, what, which session, who, from where. */
static struct evbuffer *
audit_begin(struct json *j, const char *event, const struct session *s,
    const char *user, const char *keydesc, const struct audit_cert *cert)
{
	struct evbuffer *line;
	char when[64], type[32];
	const char *fp;

	if ((line = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	json_init(j, line);
	json_obj_open(j, NULL);
	audit_time(when, sizeof(when));
	json_str(j, "time", when);
	json_str(j, "event", event);
	json_uint(j, "session", s->s_id);
	json_str(j, "user", user);
	auth_keydesc_split(keydesc, type, sizeof(type), &fp);
	json_str(j, "key_type", type[0] != '\0' ? type : NULL);
	json_str(j, "key_fp", fp);
	if (cert == NULL || cert->ad_id == NULL)
		cert = NULL;
	json_str(j, "cert_id", cert != NULL ? cert->ad_id : NULL);
	if (cert != NULL)
		json_uint(j, "cert_serial", cert->ad_serial);
	else
		json_str(j, "cert_serial", NULL);
	json_str(j, "ca_fp", cert != NULL ? cert->ad_ca_fp : NULL);
	json_str(j, "client_addr", s->s_peer);
	json_int(j, "client_port", s->s_peer_port);
	json_str(j, "via_addr", s->s_via[0] != '\0' ? s->s_via : NULL);
	if (s->s_via[0] != '\0')
		json_int(j, "via_port", s->s_via_port);
	else
		json_str(j, "via_port", NULL);
	return line;
}

static void
audit_end(struct json *j, struct evbuffer *line)
{
	json_obj_close(j);
	audit_queue_line(line);
}

void
audit_auth(const struct session *s, const char *user, const char *keydesc,
    const struct audit_cert *cert, const char *reason)
{
	struct evbuffer *line;
	struct json j;

	if (!audit_enabled())
		return;
	line = audit_begin(&j, reason == NULL ? "auth.success" :
	    "auth.failure", s, user, keydesc, cert);
	json_str(&j, "key_source", reason == NULL ? s->s_key_src : NULL);
	json_str(&j, "reason", reason);
	audit_end(&j, line);
}

/* The channel's own fields, shared by open and close. */
static void
audit_channel_fields(struct json *j, const struct channel *ch)
{
	json_int(j, "channel", ch->ch_id);
	json_str(j, "originator_host", ch->ch_orig);
	json_int(j, "originator_port", ch->ch_orig_port);
	json_str(j, "host", ch->ch_host);
	json_int(j, "port", ch->ch_port);
	json_str(j, "connected_addr", ch->ch_addr);
	json_int(j, "connected_port", ch->ch_addr_port);
	json_str(j, "rule", ch->ch_rule);
}

void
audit_channel_open(const struct channel *ch)
{
	const struct session *s = ch->ch_session;
	struct evbuffer *line;
	struct json j;

	if (!audit_enabled())
		return;
	line = audit_begin(&j, "channel.open", s, s->s_user, s->s_keydesc,
	    &s->s_cert);
	audit_channel_fields(&j, ch);
	audit_end(&j, line);
}

void
audit_channel_deny(const struct session *s, const char *orig, int orig_port,
    const char *host, int port, const char *rule, const char *reason)
{
	struct evbuffer *line;
	struct json j;

	if (!audit_enabled())
		return;
	line = audit_begin(&j, "channel.deny", s, s->s_user, s->s_keydesc,
	    &s->s_cert);
	json_str(&j, "channel", NULL);
	json_str(&j, "originator_host", orig);
	json_int(&j, "originator_port", orig_port);
	json_str(&j, "host", host);
	json_int(&j, "port", port);
	json_str(&j, "rule", rule);
	json_str(&j, "reason", reason);
	audit_end(&j, line);
}

void
audit_channel_close(const struct channel *ch)
{
	const struct session *s = ch->ch_session;
	struct evbuffer *line;
	struct timespec now;
	struct json j;
	double secs;

	if (!audit_enabled())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - ch->ch_opened_mono.tv_sec) +
	    (double)(now.tv_nsec - ch->ch_opened_mono.tv_nsec) / 1e9;
	line = audit_begin(&j, "channel.close", s, s->s_user, s->s_keydesc,
	    &s->s_cert);
	audit_channel_fields(&j, ch);
	json_uint(&j, "bytes_up", ch->ch_bytes_in);
	json_uint(&j, "bytes_down", ch->ch_bytes_out);
	json_double(&j, "duration", secs);
	json_str(&j, "reason", ch->ch_close_reason != NULL ?
	    ch->ch_close_reason : "closed");
	audit_end(&j, line);
}
