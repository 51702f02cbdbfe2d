/*
 * session.c: one SSH connection driven by libevent, from accept to free.
 *
 * libssh has no "here are bytes" entry point: every call that makes
 * progress polls the socket itself and reads at most 4 KiB.  So a readable
 * event runs the pump step (key exchange, or ssh_message_get) repeatedly
 * while the kernel still holds bytes, then does the post-pump work that
 * libssh callbacks only flagged (EOF, CLOSE, reopened windows).
 *
 * libssh runs in queue mode: no server or message callbacks are set, so
 * every request waits in the session's queue until we answer it.  That is
 * what lets a channel open wait for its target's TCP connect, as sshd does,
 * and an authentication request wait for AuthorizedKeysCommand (auth.c).
 *
 * libssh closes the socket on its own (EOF, DISCONNECT, send failure), so
 * libevent watches a dup(2) of it: a reused descriptor number can then
 * never alias a dead session in libevent's fd map.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libssh/server.h>

#include "admit.h"
#include "alive.h"
#include "audit.h"
#include "auth.h"
#include "authkeys.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "proxyconn.h"
#include "session.h"
#include "str.h"
#include "worker.h"

#define SESSION_DISCON_PREFIX	"Received SSH_MSG_DISCONNECT: "

/* Pump steps per readable event (each reads up to 4 KiB): then yield. */
#define SESSION_PUMP_MAX	64

/*
 * libssh's recv size (MAX_BUF_SIZE in 0.10).  A step that read less than a
 * whole number of these ended on a short read, so the kernel's queue was
 * empty: polling again would only cost a syscall.  Stopping early is safe
 * whatever the size really is, since our read event is level-triggered.
 */
#define SESSION_LIBSSH_READ	4096

static atomic_ulong session_next_id = 1;

static void	session_on_read(evutil_socket_t, short, void *);
static void	session_on_write(evutil_socket_t, short, void *);
static void	session_on_post(evutil_socket_t, short, void *);
static void	session_on_grace(evutil_socket_t, short, void *);
static void	session_free(struct session *);
static void	session_set_transport(struct session *);

void
session_remote_id(struct session *s, char *buf, size_t len)
{
	const char *user = s->s_authuser;

	if (s->s_user != NULL)
		snprintf(buf, len, "user %.100s %s port %d", s->s_user,
		    s->s_peer, s->s_peer_port);
	else if (user != NULL)
		snprintf(buf, len, "%s user %.100s %s port %d",
		    s->s_invalid_logged ? "invalid" : "authenticating", user,
		    s->s_peer, s->s_peer_port);
	else
		snprintf(buf, len, "%s port %d", s->s_peer, s->s_peer_port);
}

void
session_accept(struct worker *w, int fd, const struct sockaddr *peer)
{
	struct session *s;

	s = xcalloc(1, sizeof(*s));
	s->s_worker = w;
	s->s_id = atomic_fetch_add(&session_next_id, 1);
	s->s_fd = -1;
	s->s_started = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &s->s_started_mono);
	metrics_add(&w->w_metrics.m_conns_opened, 1);
	TAILQ_INIT(&s->s_channels);
	/*
	 * accept's own address: getpeername fails once the peer has reset,
	 * as a load balancer's health check does right after its header.
	 */
	addr_ntop(peer, s->s_peer, sizeof(s->s_peer), &s->s_peer_port);
	addr_local(fd, s->s_local, sizeof(s->s_local), &s->s_local_port);
	TAILQ_INSERT_TAIL(&w->w_sessions, s, s_entry);
	w->w_nsessions++;

	/* Who the client is, and so everything below, waits for the header. */
	if (config_proxy_trusted(w->w_config, s->s_peer))
		proxyconn_start(s, fd);
	else
		session_start(s, fd);
}

void
session_start(struct session *s, int fd)
{
	struct worker *w = s->s_worker;
	int one = 1;

	if (admit_startup(fd, s->s_peer, s->s_peer_port, s->s_local,
	    s->s_local_port) == -1) {
		close(fd);
		s->s_dropped = 1;
		goto fail;
	}
	s->s_startup = 1;
	log_verbose("Connection from %s port %d on %s port %d rdomain \"\"",
	    s->s_peer, s->s_peer_port, s->s_local, s->s_local_port);
	log_debug("%s: session %lu: worker %d fd %d", __func__, s->s_id,
	    w->w_id, fd);

	/* The libssh server never sets it; interactive forwards need it. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (w->w_config->c_tcp_keepalive)
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

	if ((s->s_ssh = ssh_new()) == NULL) {
		close(fd);
		goto fail;
	}
	ssh_set_blocking(s->s_ssh, 0);
	if (ssh_bind_accept_fd(w->w_bind, s->s_ssh, fd) != SSH_OK) {
		log_error("%s: session %lu: %s", __func__, s->s_id,
		    ssh_get_error(w->w_bind));
		/* Past a point it failed with the fd already libssh's. */
		if (ssh_get_fd(s->s_ssh) != fd)
			close(fd);
		goto fail;
	}
	ssh_set_auth_methods(s->s_ssh, SSH_AUTH_METHOD_PUBLICKEY);
	ssh_set_counters(s->s_ssh, &s->s_sockcount, &s->s_rawcount);
	session_set_transport(s);

	if ((s->s_fd = dup(fd)) == -1) {
		log_error("%s: session %lu: dup: %s", __func__, s->s_id,
		    strerror(errno));
		goto fail;
	}
	s->s_rev = event_new(w->w_base, s->s_fd, EV_READ | EV_PERSIST,
	    session_on_read, s);
	s->s_wev = event_new(w->w_base, s->s_fd, EV_WRITE, session_on_write,
	    s);
	s->s_post = event_new(w->w_base, -1, 0, session_on_post, s);
	s->s_grace = evtimer_new(w->w_base, session_on_grace, s);
	if (s->s_rev == NULL || s->s_wev == NULL || s->s_post == NULL ||
	    s->s_grace == NULL)
		log_fatal("%s: event_new failed", __func__);
	event_add(s->s_rev, NULL);
	if (w->w_config->c_login_grace > 0) {
		struct timeval tv = { w->w_config->c_login_grace, 0 };

		evtimer_add(s->s_grace, &tv);
	}
	alive_init(s);
	/* Sends our banner and KEXINIT at once. */
	event_active(s->s_rev, EV_READ, 0);
	return;
fail:
	s->s_state = SESSION_DEAD;
	session_free(s);
}

void
session_discard(struct session *s)
{
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
	session_free(s);
}

/*
 * RekeyLimit and Compression, per session: ssh_bind_accept_fd has just
 * copied the bind's options in, and the key exchange has not started.
 */
static void
session_set_transport(struct session *s)
{
	const struct config *cf = s->s_worker->w_config;
	uint64_t data = (uint64_t)cf->c_rekey_limit;
	uint32_t secs = (uint32_t)cf->c_rekey_interval;
	/*
	 * libssh's "no" still offers zlib@openssh.com after none, so a
	 * client offering only zlib would get it: give the list itself.
	 * "yes" is sshd's offer: none first, zlib@openssh.com (delayed until
	 * after authentication) if the client prefers it.
	 */
	const char *comp = cf->c_compression == CONFIG_COMP_YES ?
	    "none,zlib@openssh.com" : "none";

	if (ssh_options_set(s->s_ssh, SSH_OPTIONS_COMPRESSION_C_S, comp) < 0 ||
	    ssh_options_set(s->s_ssh, SSH_OPTIONS_COMPRESSION_S_C, comp) < 0 ||
	    (data != 0 && ssh_options_set(s->s_ssh, SSH_OPTIONS_REKEY_DATA,
	    &data) < 0) ||
	    (secs != 0 && ssh_options_set(s->s_ssh, SSH_OPTIONS_REKEY_TIME,
	    &secs) < 0))
		log_fatal("%s: session %lu: %s", __func__, s->s_id,
		    ssh_get_error(s->s_ssh));
}

int
session_write_pending(struct session *s)
{
	return s->s_ssh != NULL &&
	    (ssh_get_status(s->s_ssh) & SSH_WRITE_PENDING) != 0;
}

void
session_update_io(struct session *s)
{
	if (s->s_state == SESSION_DEAD || s->s_wev == NULL)
		return;
	if (session_write_pending(s))
		event_add(s->s_wev, NULL);
}

void
session_schedule(struct session *s)
{
	if (s->s_post != NULL && !s->s_in_pump)
		event_active(s->s_post, 0, 0);
}

static int
session_is_dead(struct session *s)
{
	if (s->s_state == SESSION_DEAD)
		return 1;
	/* libssh calls a session alive only after its first kex step. */
	if ((s->s_state != SESSION_KEX && !ssh_is_connected(s->s_ssh)) ||
	    (ssh_get_status(s->s_ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		s->s_state = SESSION_DEAD;
		return 1;
	}
	return 0;
}

static const char *
session_channel_type_name(int subtype)
{
	switch (subtype) {
	case SSH_CHANNEL_SESSION:		return "session";
	case SSH_CHANNEL_DIRECT_TCPIP:		return "direct-tcpip";
	case SSH_CHANNEL_FORWARDED_TCPIP:	return "forwarded-tcpip";
	case SSH_CHANNEL_X11:			return "x11";
	case SSH_CHANNEL_AUTH_AGENT:		return "auth-agent@openssh.com";
	default:				return "unknown";
	}
}

/* An open refused before it became a channel: counted and audited. */
static void
session_deny_open(struct session *s, ssh_message msg, enum metrics_deny why,
    const char *rule)
{
	int direct = ssh_message_subtype(msg) == SSH_CHANNEL_DIRECT_TCPIP;

	metrics_add(&s->s_worker->w_metrics.m_denied[why], 1);
	audit_channel_deny(s, direct ?
	    ssh_message_channel_request_open_originator(msg) : NULL, direct ?
	    ssh_message_channel_request_open_originator_port(msg) : 0, direct ?
	    ssh_message_channel_request_open_destination(msg) : NULL, direct ?
	    ssh_message_channel_request_open_destination_port(msg) : 0, rule,
	    metrics_deny_name(why));
}

static void
session_dispatch(struct session *s, ssh_message msg)
{
	int type = ssh_message_type(msg), subtype = ssh_message_subtype(msg);

	switch (type) {
	case SSH_REQUEST_SERVICE:
		log_debug("%s: session %lu: service %s", __func__, s->s_id,
		    ssh_message_service_service(msg));
		if (strcmp(ssh_message_service_service(msg),
		    "ssh-userauth") == 0)
			ssh_message_service_reply_success(msg);
		else
			ssh_message_reply_default(msg);
		break;
	case SSH_REQUEST_AUTH:
		if (s->s_state == SESSION_AUTH) {
			if (auth_request(s, msg))
				return;		/* it answers msg later */
		} else
			ssh_message_reply_default(msg);
		break;
	case SSH_REQUEST_CHANNEL_OPEN:
		if (s->s_state == SESSION_OPEN &&
		    subtype == SSH_CHANNEL_DIRECT_TCPIP &&
		    s->s_worker->w_draining) {
			log_info("%s: session %lu: refusing a new channel: the "
			    "server is stopping", __func__, s->s_id);
			session_deny_open(s, msg, MDN_STOPPING,
			    "the server is stopping");
		} else if (s->s_state == SESSION_OPEN &&
		    subtype == SSH_CHANNEL_DIRECT_TCPIP) {
			auth_policy_refresh(s);
			channel_open(s, msg);
			return;		/* the channel owns msg now */
		} else if (s->s_state == SESSION_OPEN)
			session_deny_open(s, msg, MDN_TYPE,
			    session_channel_type_name(subtype));
		log_debug("server_input_channel_open: ctype %s",
		    session_channel_type_name(subtype));
		log_debug("server_input_channel_open: failure %s",
		    session_channel_type_name(subtype));
		ssh_message_reply_default(msg);
		break;
	case SSH_REQUEST_GLOBAL:
		log_debug("server_input_global_request: rtype %s",
		    subtype == SSH_GLOBAL_REQUEST_TCPIP_FORWARD ?
		    "tcpip-forward" : subtype ==
		    SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD ?
		    "cancel-tcpip-forward" : "other");
		if (subtype == SSH_GLOBAL_REQUEST_TCPIP_FORWARD)
			log_info("refused remote port forward for %s from %s "
			    "port %d: jumpgate serves direct-tcpip only",
			    s->s_user ? s->s_user : "?", s->s_peer,
			    s->s_peer_port);
		ssh_message_reply_default(msg);
		break;
	default:
		/* Channel requests (shell, exec, pty): we have no sessions. */
		log_debug("%s: session %lu: refusing request type %d/%d",
		    __func__, s->s_id, type, subtype);
		ssh_message_reply_default(msg);
		break;
	}
	ssh_message_free(msg);
}

/*
 * Takes every queued message.  ssh_message_get polls and reads when the
 * queue is empty, so this is also the pump's read step.  The queue fills
 * only from bytes libssh read: once a call came back empty, it stays
 * empty until the byte counter moves (s_drained_at).
 */
static void
session_drain_messages(struct session *s)
{
	ssh_message msg;

	while (!session_is_dead(s) && (msg = ssh_message_get(s->s_ssh)))
		session_dispatch(s, msg);
	s->s_drained_at = s->s_sockcount.in_bytes;
}

/*
 * sshd's line for a failed negotiation, which fail2ban-style filters and
 * operators grep for, rebuilt from libssh's "kex error : no match for
 * method encryption client->server: server [...], client [...]".
 */
static void
session_log_kex_failure(struct session *s)
{
	static const struct {
		const char	*libssh;	/* libssh's method name, prefix */
		const char	*sshd;
	} what[] = {
		{ "kex algos", "key exchange method" },
		{ "server host key algo", "host key type" },
		{ "encryption", "cipher" },
		{ "mac algo", "MAC" },
		{ "compression algo", "compression method" },
	};
	const char *err = ssh_get_error(s->s_ssh), *m, *offer, *end;
	size_t i;

	if ((m = strstr(err, "no match for method ")) != NULL &&
	    (offer = strstr(err, ", client [")) != NULL &&
	    (end = strchr(offer, ']')) != NULL) {
		m += strlen("no match for method ");
		offer += strlen(", client [");
		for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
			if (strncmp(m, what[i].libssh,
			    strlen(what[i].libssh)) == 0) {
				log_info("Unable to negotiate with %s port %d: "
				    "no matching %s found. Their offer: %.*s "
				    "[preauth]", s->s_peer, s->s_peer_port,
				    what[i].sshd, (int)(end - offer), offer);
				return;
			}
	}
	/* The client hung up first (libssh: "Socket error: Success"). */
	if (strncmp(err, "Socket error", strlen("Socket error")) == 0)
		log_info("Connection closed by %s port %d [preauth]",
		    s->s_peer, s->s_peer_port);
	else
		log_info("%s: session %lu: key exchange with %s port %d "
		    "failed: %s", __func__, s->s_id, s->s_peer,
		    s->s_peer_port, err);
}

static void
session_handshake_done(struct session *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_observe(&s->s_worker->w_metrics.m_handshake,
	    &s->s_started_mono, &now);
}

static void
session_pump(struct session *s)
{
	uint64_t before;
	int i, rc;

	s->s_in_pump = 1;
	for (i = 0; i < SESSION_PUMP_MAX; i++) {
		if (session_is_dead(s))
			break;
		before = s->s_sockcount.in_bytes;
		if (s->s_state == SESSION_KEX) {
			/*
			 * libssh queues our KEXINIT when the client's banner
			 * arrives and sends it only after a poll saw POLLOUT;
			 * if the client's KEXINIT came in the same read and
			 * matches nothing, libssh closes with ours unsent and
			 * the client never learns why.  Marking the socket
			 * writable sends it at once: during key exchange we
			 * have sent under 2 KB, so the send cannot block.
			 */
			ssh_set_fd_towrite(s->s_ssh);
			rc = ssh_handle_key_exchange(s->s_ssh);
			if (rc == SSH_OK) {
				session_handshake_done(s);
				s->s_state = SESSION_AUTH;
				log_debug("%s: session %lu: key exchange done",
				    __func__, s->s_id);
			} else if (rc == SSH_ERROR) {
				session_log_kex_failure(s);
				s->s_dropped = 1;
				s->s_state = SESSION_DEAD;
				break;
			}
		}
		if (s->s_state == SESSION_AUTH || s->s_state == SESSION_OPEN)
			session_drain_messages(s);
		/* Nothing read, or a short read: the socket is empty. */
		if (s->s_sockcount.in_bytes == before ||
		    (s->s_sockcount.in_bytes - before) % SESSION_LIBSSH_READ
		    != 0)
			break;
	}
	s->s_in_pump = 0;
}

uint64_t
session_io_mark(struct session *s)
{
	return s->s_sockcount.in_bytes;
}

void
session_io_done(struct session *s, uint64_t mark)
{
	/*
	 * Any libssh call may have polled and read: queued messages and
	 * channel flags then wait for a post that no socket event would
	 * bring, since the kernel's bytes are already consumed.
	 */
	if (s->s_sockcount.in_bytes != mark || session_is_dead(s))
		session_schedule(s);
	session_update_io(s);
}

/* Everything callbacks only flagged, in one place, outside any pump. */
static void
session_post(struct session *s)
{
	struct channel *ch, *next;
	uint64_t mark;

	if (!session_is_dead(s) && s->s_state != SESSION_KEX &&
	    s->s_sockcount.in_bytes != s->s_drained_at) {
		s->s_in_pump = 1;
		session_drain_messages(s);
		s->s_in_pump = 0;
	}
	if (session_is_dead(s)) {
		session_free(s);
		return;
	}
	mark = session_io_mark(s);
	for (ch = TAILQ_FIRST(&s->s_channels); ch != NULL; ch = next) {
		next = TAILQ_NEXT(ch, ch_entry);
		channel_post(ch);
	}
	if (session_is_dead(s)) {
		session_free(s);
		return;
	}
	if (s->s_worker->w_draining && s->s_nchans == 0) {
		/* Nothing of the client's would be cut: close it now. */
		log_info("%s: session %lu: closing %s port %d: the server is "
		    "stopping and no channel is open", __func__, s->s_id,
		    s->s_peer, s->s_peer_port);
		s->s_dropped = 1;
		s->s_state = SESSION_DEAD;
		session_free(s);
		return;
	}
	alive_post(s);
	session_io_done(s, mark);
}

/*
 * Called before each libssh call that may read while nothing was read
 * yet: a PROXY header would reach libssh as a bad banner, so name it.
 */
static int
session_refuse_header(struct session *s)
{
	if (s->s_sockcount.in_bytes != 0 || s->s_state == SESSION_DEAD ||
	    !proxyconn_untrusted(s))
		return 0;
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
	return 1;
}

static void
session_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	if (!session_refuse_header(s))
		session_pump(s);
	session_post(s);
}

static void
session_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	/* One poll round: sends what it can, may also read and dispatch. */
	s->s_in_pump = 1;
	if (!session_refuse_header(s) && !session_is_dead(s))
		ssh_blocking_flush(s->s_ssh, 0);
	s->s_in_pump = 0;
	session_post(s);
}

static void
session_on_post(evutil_socket_t fd, short what, void *arg)
{
	session_post(arg);
}

static void
session_on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	log_info("Timeout before authentication for %s port %d", s->s_peer,
	    s->s_peer_port);
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
	session_free(s);
}

void
session_close_admin(struct session *s, unsigned long uid)
{
	struct channel *ch;
	char rid[256];

	session_remote_id(s, rid, sizeof(rid));
	log_info("Disconnecting %s: closed by admin request (uid %lu)", rid,
	    uid);
	TAILQ_FOREACH(ch, &s->s_channels, ch_entry)
		channel_close_reason(ch, "admin");
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
	session_schedule(s);
}

int
session_channel_attach(struct session *s, struct channel *ch, char *why,
    size_t whylen)
{
	const struct config *cf = s->s_worker->w_config;
	struct channel *c;
	int id, n = 0;

	if (s->s_nchans >= cf->c_max_chans_session) {
		snprintf(why, whylen, "MaxChannelsPerSession %d reached",
		    cf->c_max_chans_session);
		return -1;
	}
	/* A walk, not a counter: a channel leaves "pending" in channel.c. */
	TAILQ_FOREACH(c, &s->s_channels, ch_entry)
		if (c->ch_phase == CHAN_RESOLVING ||
		    c->ch_phase == CHAN_CONNECTING)
			n++;
	if (n >= cf->c_max_pending) {
		snprintf(why, whylen, "MaxPendingChannels %d reached",
		    cf->c_max_pending);
		return -1;
	}
	if (admit_channel_attach(s->s_user, s->s_peer, why, whylen) == -1)
		return -1;
	for (id = 0; id < s->s_nchans_alloc; id++)
		if (s->s_chans[id] == NULL)
			break;
	if (id == s->s_nchans_alloc) {
		n = s->s_nchans_alloc ? s->s_nchans_alloc * 2 : 16;
		s->s_chans = xreallocarray(s->s_chans, (size_t)n,
		    sizeof(*s->s_chans));
		memset(s->s_chans + s->s_nchans_alloc, 0,
		    (size_t)(n - s->s_nchans_alloc) * sizeof(*s->s_chans));
		s->s_nchans_alloc = n;
	}
	s->s_chans[id] = ch;
	s->s_nchans++;
	TAILQ_INSERT_TAIL(&s->s_channels, ch, ch_entry);
	return id;
}

void
session_channel_detach(struct session *s, struct channel *ch)
{
	s->s_chans[ch->ch_id] = NULL;
	s->s_nchans--;
	TAILQ_REMOVE(&s->s_channels, ch, ch_entry);
	admit_channel_detach(s->s_user, s->s_peer);
}

/*
 * sshd's "Received disconnect from H port P:11: disconnected by user",
 * from libssh's "11:disconnected by user" (no space after the code).
 */
static void
session_log_disconnect(struct session *s, const char *msg)
{
	const char *text = strchr(msg, ':');
	int codelen = text != NULL ? (int)(text - msg) : 0;

	if (text == NULL)
		text = msg;
	else
		text++;
	log_info("Received disconnect from %s port %d:%.*s: %.400s%s",
	    s->s_peer, s->s_peer_port, codelen, msg, text,
	    s->s_user ? "" : " [preauth]");
}

static void
session_free(struct session *s)
{
	struct worker *w = s->s_worker;
	struct channel *ch;
	const char *err;
	char rid[256];

	session_remote_id(s, rid, sizeof(rid));
	if (!s->s_dropped && s->s_ssh != NULL &&
	    strncmp((err = ssh_get_error(s->s_ssh)), SESSION_DISCON_PREFIX,
	    strlen(SESSION_DISCON_PREFIX)) == 0) {
		/*
		 * libssh keeps the peer's DISCONNECT only as its error text,
		 * "Received SSH_MSG_DISCONNECT: 11:disconnected by user".
		 */
		session_log_disconnect(s, err + strlen(SESSION_DISCON_PREFIX));
		log_info("Disconnected from %s%s", rid,
		    s->s_user ? "" : " [preauth]");
	} else if (!s->s_dropped && s->s_user != NULL) {
		/* sshd's server loop names only the address once authenticated. */
		log_info("Connection closed by %s port %d", s->s_peer,
		    s->s_peer_port);
	} else if (!s->s_dropped)
		log_info("Connection closed by %s [preauth]", rid);
	while ((ch = TAILQ_FIRST(&s->s_channels)) != NULL)
		channel_teardown(ch);
	if (s->s_user != NULL) {
		log_verbose("Transferred: sent %llu, received %llu bytes",
		    (unsigned long long)s->s_sockcount.out_bytes,
		    (unsigned long long)s->s_sockcount.in_bytes);
		log_verbose("Closing connection to %.500s port %d", s->s_peer,
		    s->s_peer_port);
	}
	if (s->s_startup)
		admit_startup_done(s->s_peer);
	if (s->s_rev != NULL)
		event_free(s->s_rev);
	if (s->s_wev != NULL)
		event_free(s->s_wev);
	if (s->s_post != NULL)
		event_free(s->s_post);
	if (s->s_grace != NULL)
		event_free(s->s_grace);
	proxyconn_free(s);
	alive_free(s);
	auth_free(s);
	if (s->s_ssh != NULL) {
		if (ssh_is_connected(s->s_ssh))
			ssh_disconnect(s->s_ssh);
		ssh_free(s->s_ssh);
	}
	if (s->s_fd != -1)
		close(s->s_fd);
	TAILQ_REMOVE(&w->w_sessions, s, s_entry);
	w->w_nsessions--;
	metrics_add(&w->w_metrics.m_conns_closed, 1);
	authkeys_opts_free(&s->s_keyopts);
	if (s->s_user != NULL)
		config_policy_release(&s->s_policy);
	config_unref(s->s_config);
	free(s->s_chans);
	free(s->s_user);
	free(s->s_authuser);
	free(s->s_home);
	free(s->s_key_src);
	free(s->s_cert.ad_id);
	free(s);
	worker_session_gone(w);
}

void
session_free_all(struct worker *w)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&w->w_sessions)) != NULL) {
		s->s_state = SESSION_DEAD;
		session_free(s);
	}
}
