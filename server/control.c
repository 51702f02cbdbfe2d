/*
 * control.c: the admin requests that need a worker's sessions, run on
 * that worker's own thread (a worker job, see worker.h).
 *
 * A session and its channels are never read or changed from another
 * thread, so the admin listener asks every worker and each one answers
 * for its own: the list of its sessions, or the close of the one whose
 * id it holds.  Client strings (user names, target hosts) are escaped
 * here: by json.h for JSON, by log_escape for the table an operator's
 * terminal shows.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "auth.h"
#include "channel.h"
#include "control.h"
#include "json.h"
#include "log.h"
#include "relay.h"
#include "session.h"
#include "worker.h"

#define CONTROL_FIELD_MAX	256

static const char *
control_session_state(const struct session *s)
{
	switch (s->s_state) {
	case SESSION_KEX:	return "kex";
	case SESSION_AUTH:	return "auth";
	case SESSION_OPEN:	return "open";
	default:		return "closing";
	}
}

static const char *
control_channel_state(const struct channel *ch)
{
	switch (ch->ch_phase) {
	case CHAN_RESOLVING:	return "resolving";
	case CHAN_CONNECTING:	return "connecting";
	case CHAN_OPEN:		return "open";
	default:		return "closing";
	}
}

/* RFC 3339, UTC; "" for a time never set. */
static void
control_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	buf[0] = '\0';
	if (t != 0 && gmtime_r(&t, &tm) != NULL)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Seconds since the channel was confirmed, or -1 before. */
static long
control_age(const struct channel *ch)
{
	struct timespec now;

	if (!channel_confirmed(ch))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - ch->ch_opened_mono.tv_sec);
}

static void
control_json_channel(struct json *j, const struct channel *ch)
{
	long age = control_age(ch);

	json_obj_open(j, NULL);
	json_int(j, "id", ch->ch_id);
	json_str(j, "state", control_channel_state(ch));
	json_str(j, "host", ch->ch_host);
	json_int(j, "port", ch->ch_port);
	if (ch->ch_addr[0] != '\0') {
		json_str(j, "address", ch->ch_addr);
		json_int(j, "address_port", ch->ch_addr_port);
	} else {
		json_str(j, "address", NULL);
		json_str(j, "address_port", NULL);
	}
	json_uint(j, "bytes_up", ch->ch_bytes_in);
	json_uint(j, "bytes_down", ch->ch_bytes_out);
	if (age >= 0)
		json_int(j, "age", age);
	else
		json_str(j, "age", NULL);
	json_obj_close(j);
}

static void
control_json_session(struct json *j, const struct session *s)
{
	const struct channel *ch;
	char when[32], type[32];
	const char *fp;

	control_time(s->s_started, when, sizeof(when));
	auth_keydesc_split(s->s_keydesc, type, sizeof(type), &fp);
	json_obj_open(j, NULL);
	json_uint(j, "id", s->s_id);
	json_str(j, "state", control_session_state(s));
	json_str(j, "user", s->s_user);
	json_str(j, "key_type", type[0] != '\0' ? type : NULL);
	json_str(j, "fingerprint", fp);
	json_str(j, "address", s->s_peer);
	json_int(j, "port", s->s_peer_port);
	if (s->s_via[0] != '\0') {
		json_str(j, "via", s->s_via);
		json_int(j, "via_port", s->s_via_port);
	} else {
		json_str(j, "via", NULL);
		json_str(j, "via_port", NULL);
	}
	json_str(j, "started", when[0] != '\0' ? when : NULL);
	json_arr_open(j, "channels");
	TAILQ_FOREACH(ch, &s->s_channels, ch_entry)
		control_json_channel(j, ch);
	json_arr_close(j);
	json_obj_close(j);
}

void
control_table_header(struct evbuffer *out)
{
	evbuffer_add_printf(out, "%-8s %-16s %-28s %-20s %s\n", "SESSION",
	    "USER", "CLIENT", "STARTED", "KEY");
}

static void
control_table_session(struct evbuffer *out, const struct session *s)
{
	const struct channel *ch;
	char user[CONTROL_FIELD_MAX], host[CONTROL_FIELD_MAX];
	char client[ADDR_STRLEN + 16], when[32];
	long age;

	if (s->s_user != NULL)
		log_escape(user, sizeof(user), s->s_user, strlen(s->s_user));
	else
		snprintf(user, sizeof(user), "(%s)", control_session_state(s));
	snprintf(client, sizeof(client), "%s:%d", s->s_peer, s->s_peer_port);
	control_time(s->s_started, when, sizeof(when));
	evbuffer_add_printf(out, "%-8lu %-16s %-28s %-20s %s\n", s->s_id,
	    user, client, when[0] != '\0' ? when : "-",
	    s->s_keydesc[0] != '\0' ? s->s_keydesc : "-");
	if (s->s_via[0] != '\0')
		evbuffer_add_printf(out, "         via %s:%d\n", s->s_via,
		    s->s_via_port);
	TAILQ_FOREACH(ch, &s->s_channels, ch_entry) {
		log_escape(host, sizeof(host), ch->ch_host,
		    strlen(ch->ch_host));
		evbuffer_add_printf(out, "         channel %d %s %s:%d",
		    ch->ch_id, control_channel_state(ch), host, ch->ch_port);
		if (ch->ch_addr[0] != '\0')
			evbuffer_add_printf(out, " -> %s:%d", ch->ch_addr,
			    ch->ch_addr_port);
		evbuffer_add_printf(out, " up %llu down %llu",
		    (unsigned long long)ch->ch_bytes_in,
		    (unsigned long long)ch->ch_bytes_out);
		if ((age = control_age(ch)) >= 0)
			evbuffer_add_printf(out, " age %lds", age);
		evbuffer_add(out, "\n", 1);
	}
}

static void
control_close_channel(const struct control_req *cr, struct session *s,
    struct evbuffer *out)
{
	struct channel *ch = NULL;

	if (cr->cr_chid < s->s_nchans_alloc)
		ch = s->s_chans[cr->cr_chid];
	if (ch == NULL) {
		evbuffer_add_printf(out, "404 session %lu has no channel %d",
		    s->s_id, cr->cr_chid);
		return;
	}
	if (ch->ch_phase != CHAN_OPEN) {
		evbuffer_add_printf(out, "409 channel %d of session %lu is %s",
		    ch->ch_id, s->s_id, control_channel_state(ch));
		return;
	}
	log_info("%s: session %lu: channel %d: %s port %d: closed by admin "
	    "request (uid %lu)", __func__, s->s_id, ch->ch_id, ch->ch_host,
	    ch->ch_port, cr->cr_uid);
	relay_force_close(ch, "admin");
	evbuffer_add_printf(out, "200 closed channel %d of session %lu",
	    ch->ch_id, s->s_id);
}

void
control_run(struct worker *w, void *arg, struct evbuffer *out)
{
	const struct control_req *cr = arg;
	struct session *s;
	struct json j;

	json_init(&j, out);
	TAILQ_FOREACH(s, &w->w_sessions, s_entry) {
		if (cr->cr_op == CONTROL_LIST) {
			if (s->s_state == SESSION_DEAD)
				continue;
			if (cr->cr_text)
				control_table_session(out, s);
			else
				control_json_session(&j, s);
			continue;
		}
		if (s->s_id != cr->cr_sid)
			continue;
		if (s->s_state == SESSION_DEAD)
			evbuffer_add_printf(out, "409 session %lu is closing",
			    s->s_id);
		else if (cr->cr_op == CONTROL_CLOSE_CHANNEL)
			control_close_channel(cr, s, out);
		else {
			session_close_admin(s, cr->cr_uid);
			evbuffer_add_printf(out, "200 closed session %lu",
			    s->s_id);
		}
		return;
	}
}
