/*
 * channel.c: one direct-tcpip channel's life, and the relay of its bytes.
 *
 * The open request is kept unanswered while we check the policy by name,
 * resolve the target with evdns, check every address it resolved to, and
 * connect (non-blocking) to the addresses that passed, and only those;
 * only a completed TCP connect earns OPEN_CONFIRMATION, as in sshd.
 * Anything else answers OPEN_FAILURE.
 *
 * The target socket is ours, not a bufferevent's: a bufferevent would
 * read 4 KiB at a time, and each write would cost an epoll_ctl on and off
 * plus a loop turn.  We write client bytes straight after the pump that
 * delivered them and watch for writability only while the kernel refuses.
 *
 * Relay, target -> client: we read up to 64 KiB and write at most the
 * peer's window.
 * Bytes libssh does not take (window spent, rekey in progress) wait in
 * ch_held while reads stop; the session's post-pump walk resumes us, since
 * libssh 0.10 signals no reopened window.  Reads also stop while libssh
 * holds unsent output, so its buffer stays near one read per session.
 *
 * Relay, client -> target: the data callback queues into ch_obuf up to
 * CHANNEL_OUT_HIWAT and leaves the rest in libssh, which
 * then stops growing our window: the client stalls instead of us
 * buffering.  When the target drains we pull the rest with
 * ssh_channel_read_nonblocking, which is safe only while libssh's buffer
 * is non-empty (it would pump otherwise).
 *
 * Half-close follows OpenSSH's nchan: client EOF drains to the target and
 * then shutdown(SHUT_WR); target EOF drains to the client and then sends
 * EOF; CLOSE goes out only when both halves are closed, and the channel
 * stays (discarding what still comes) until the peer's CLOSE.  libssh
 * callbacks run inside any libssh call of the session, so they only set
 * flags; channel_post acts on them.
 */
#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <libssh/server.h>

#include "addr.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "resolve.h"
#include "session.h"
#include "sshlog.h"
#include "str.h"
#include "worker.h"

/*
 * libssh never grows our window past 1,280,000 bytes, so an honest client
 * can never make it buffer more than that for one channel.
 */
#define CHANNEL_PEER_BUFFER_MAX	(2 * 1280000)
/* Client bytes still taken (and dropped) after our CLOSE; then the session goes. */
#define CHANNEL_AFTER_CLOSE_MAX	(2 * CHANNEL_PEER_BUFFER_MAX)

/* Reads per target wakeup before yielding to other channels. */
#define CHANNEL_READS_PER_EVENT	4

static void	channel_connect_next(struct channel *);
static void	channel_release_target(struct channel *);
static void	channel_log_denied(struct channel *,
		    const struct policy_result *);
static int	channel_check_addrs(struct channel *);
static void	channel_on_resolved(int, struct evutil_addrinfo *, void *);
static void	channel_on_target_write(evutil_socket_t, short, void *);
static void	channel_on_connect_timeout(evutil_socket_t, short, void *);
static void	channel_on_idle(evutil_socket_t, short, void *);
static void	channel_on_target_read(evutil_socket_t, short, void *);
static int	channel_on_data(ssh_session, ssh_channel, void *, uint32_t,
		    int, void *);
static void	channel_on_eof(ssh_session, ssh_channel, void *);
static void	channel_on_close(ssh_session, ssh_channel, void *);

static struct event_base *
channel_base(struct channel *ch)
{
	return ch->ch_session->s_worker->w_base;
}

/* Answers OPEN_FAILURE; the post-pump walk frees the channel. */
static void
channel_refuse(struct channel *ch)
{
	log_debug("server_input_channel_open: failure direct-tcpip");
	ssh_message_reply_default(ch->ch_conn->cc_msg);
	ssh_message_free(ch->ch_conn->cc_msg);
	ch->ch_conn->cc_msg = NULL;
	ch->ch_phase = CHAN_DEAD;
	session_schedule(ch->ch_session);
}

void
channel_open(struct session *s, ssh_message msg)
{
	struct evdns_getaddrinfo_request *req;
	struct channel *ch;
	uint32_t rchan, window, maxpacket;
	const char *orig = ssh_message_channel_request_open_originator(msg);
	int orig_port = ssh_message_channel_request_open_originator_port(msg);
	int known;
	char why[256];

	ch = xcalloc(1, sizeof(*ch));
	ch->ch_conn = xcalloc(1, sizeof(*ch->ch_conn));
	ch->ch_session = s;
	ch->ch_conn->cc_msg = msg;
	ch->ch_fd = -1;
	ch->ch_id = -1;
	ch->ch_host = xstrdup(ssh_message_channel_request_open_destination(msg));
	ch->ch_port = ssh_message_channel_request_open_destination_port(msg);

	known = sshlog_open_params(msg, &rchan, &window, &maxpacket) == 0;
	log_debug("server_input_channel_open: ctype direct-tcpip rchan %u "
	    "win %u max %u", rchan, window, maxpacket);
	log_debug("server_request_direct_tcpip: originator %.100s port %d, "
	    "target %.100s port %d", orig, orig_port, ch->ch_host, ch->ch_port);
	if (!known) {
		/* Fail closed: an unknown max packet may wedge the worker. */
		log_error("%s: session %lu: cannot read the open's maximum "
		    "packet size from libssh: refusing", __func__, s->s_id);
		goto refuse;
	}
	if (maxpacket < CHANNEL_MIN_MAXPACKET) {
		log_info("%s: session %lu: refused direct-tcpip open from %s "
		    "port %d: maximum packet size %u is below %d", __func__,
		    s->s_id, s->s_peer, s->s_peer_port, maxpacket,
		    CHANNEL_MIN_MAXPACKET);
		goto refuse;
	}

	policy_check_name(&s->s_policy_ctx, ch->ch_host, ch->ch_port,
	    &ch->ch_conn->cc_policy);
	switch (ch->ch_conn->cc_policy.pr_verdict) {
	case POLICY_ALLOW:
		break;
	case POLICY_FORWARDING_OFF:
		log_info("refused local port forward: originator %.100s port "
		    "%d, target %.100s port %d", orig, orig_port, ch->ch_host,
		    ch->ch_port);
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse;
	case POLICY_NOT_PERMITTED:
		log_info("Received request from %.100s port %d to connect to "
		    "host %.100s port %d, but the request was denied.",
		    s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port);
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse;
	case POLICY_DENIED:
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse;
	}
	if ((ch->ch_id = session_channel_attach(s, ch, why,
	    sizeof(why))) == -1) {
		log_info("%s: session %lu: %s, refusing channel to %.100s "
		    "port %d", __func__, s->s_id, why, ch->ch_host, ch->ch_port);
		goto refuse;
	}
	ch->ch_phase = CHAN_RESOLVING;
	/* May call back before returning (numeric hosts, /etc/hosts). */
	req = resolve_start(s->s_worker->w_dns, ch->ch_host, ch->ch_port,
	    s->s_worker->w_config->c_address_family, channel_on_resolved, ch);
	if (ch->ch_phase == CHAN_RESOLVING && ch->ch_conn->cc_addrs == NULL)
		ch->ch_conn->cc_dnsreq = req;
	return;
refuse:
	log_debug("server_input_channel_open: failure direct-tcpip");
	ssh_message_reply_default(msg);
	ssh_message_free(msg);
	if (ch->ch_id != -1)
		session_channel_detach(s, ch);
	free(ch->ch_conn);
	free(ch->ch_host);
	free(ch);
}

/* The open is answered: what only the connect needed goes. */
static void
channel_connect_free(struct channel *ch)
{
	struct channel_connect *cc = ch->ch_conn;

	if (cc == NULL)
		return;
	if (cc->cc_dnsreq != NULL)
		evdns_getaddrinfo_cancel(cc->cc_dnsreq);
	if (cc->cc_addrs != NULL)
		evutil_freeaddrinfo(cc->cc_addrs);
	if (cc->cc_msg != NULL)
		ssh_message_free(cc->cc_msg);
	if (cc->cc_timer != NULL)
		event_free(cc->cc_timer);
	free(cc);
	ch->ch_conn = NULL;
}

/* jumpgate's own line for every refusal: who, where, and what decided. */
static void
channel_log_denied(struct channel *ch, const struct policy_result *pr)
{
	struct session *s = ch->ch_session;

	log_info("refused forward for user %.100s key %s from %s port %d to "
	    "%.100s port %d: denied by %s", s->s_user, s->s_keydesc,
	    s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port, pr->pr_rule);
}

/* Each refused address of a name, at DEBUG. */
static void
channel_log_addr(const struct evutil_addrinfo *ai,
    const struct policy_result *res, void *arg)
{
	struct channel *ch = arg;
	char ntop[ADDR_STRLEN];
	int port;

	if (res->pr_verdict == POLICY_ALLOW)
		return;
	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	log_debug("%s: session %lu: %.100s resolved to %s: denied by %s",
	    __func__, ch->ch_session->s_id, ch->ch_host, ntop, res->pr_rule);
}

/*
 * Checks every resolved address; only those that pass are ever connected
 * to, so a later lookup cannot change what was checked.
 */
static int
channel_check_addrs(struct channel *ch)
{
	struct channel_connect *cc = ch->ch_conn;
	struct policy_result denied;

	cc->cc_nallowed = resolve_check(&ch->ch_session->s_policy_ctx,
	    &cc->cc_policy, ch->ch_port, cc->cc_addrs, cc->cc_allowed,
	    CHANNEL_MAX_ADDRS, &denied, channel_log_addr, ch);
	if (cc->cc_nallowed == 0)
		memcpy(cc->cc_policy.pr_rule, denied.pr_rule,
		    sizeof(denied.pr_rule));
	return cc->cc_nallowed;
}

static void
channel_on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct channel *ch = arg;
	uint64_t mark;

	if (err == EVUTIL_EAI_CANCEL)
		return;		/* channel_teardown is cancelling us */
	ch->ch_conn->cc_dnsreq = NULL;
	mark = session_io_mark(ch->ch_session);
	if (err != 0) {
		log_error("connect_to %.100s: unknown host (%s)", ch->ch_host,
		    evutil_gai_strerror(err));
		channel_refuse(ch);
	} else {
		ch->ch_conn->cc_addrs = res;
		if (channel_check_addrs(ch) == 0) {
			channel_log_denied(ch, &ch->ch_conn->cc_policy);
			channel_refuse(ch);
		} else
			channel_connect_next(ch);
	}
	session_io_done(ch->ch_session, mark);
}

/* sshd's connect_next: try each resolved address in order. */
static void
channel_connect_next(struct channel *ch)
{
	struct session *s = ch->ch_session;
	const struct config *cf = s->s_worker->w_config;
	struct evutil_addrinfo *ai;
	char ntop[ADDR_STRLEN];
	int fd, port, one = 1, started = ch->ch_phase == CHAN_CONNECTING;

	while (ch->ch_conn->cc_next < ch->ch_conn->cc_nallowed) {
		ai = ch->ch_conn->cc_allowed[ch->ch_conn->cc_next++];
		addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
		log_debug("connect_next: start for host %.100s ([%.100s]:%d)",
		    ch->ch_host, ntop, port);
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			ch->ch_conn->cc_errno = errno;
			log_debug("connect_next: socket: %s", strerror(errno));
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* Unlike sshd: a dead target host must not hold an fd. */
		if (cf->c_tcp_keepalive)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one,
			    sizeof(one));
		/* Success now is reported as writability too: one path. */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    errno != EINPROGRESS) {
			ch->ch_conn->cc_errno = errno;
			log_debug("connect_next: host %.100s ([%.100s]:%d): "
			    "%.100s", ch->ch_host, ntop, port, strerror(errno));
			close(fd);
			continue;
		}
		ch->ch_wev = event_new(channel_base(ch), fd,
		    EV_WRITE | EV_PERSIST, channel_on_target_write, ch);
		if (ch->ch_wev == NULL)
			log_fatal("%s: event_new failed", __func__);
		event_add(ch->ch_wev, NULL);
		ch->ch_fd = fd;
		if (cf->c_connect_timeout > 0) {
			struct timeval tv = { cf->c_connect_timeout, 0 };

			if (ch->ch_conn->cc_timer == NULL &&
			    (ch->ch_conn->cc_timer = evtimer_new(
			    channel_base(ch), channel_on_connect_timeout,
			    ch)) == NULL)
				log_fatal("%s: evtimer_new failed", __func__);
			evtimer_add(ch->ch_conn->cc_timer, &tv);
		}
		log_debug("connect_next: connect host %.100s ([%.100s]:%d) in "
		    "progress, fd=%d", ch->ch_host, ntop, port, fd);
		if (!started) {
			log_debug("channel %d: new direct-tcpip [direct-tcpip] "
			    "(inactive timeout: %d)", ch->ch_id,
			    config_channel_timeout(cf, "direct-tcpip"));
			log_debug("server_input_channel_open: confirm "
			    "direct-tcpip");
			log_debug3("channel %d: waiting for connection",
			    ch->ch_id);
		}
		ch->ch_phase = CHAN_CONNECTING;
		return;
	}
	if (started)
		log_error("connect_to %.100s port %d: failed.", ch->ch_host,
		    ch->ch_port);
	else
		log_error("connect to %.100s port %d failed: %s", ch->ch_host,
		    ch->ch_port, strerror(ch->ch_conn->cc_errno));
	channel_refuse(ch);
}

/*
 * sshd logs an allowed forward only at DEBUG; a bastion's operator needs
 * it at INFO: who, with which key, to what, through which address, and
 * the rule that allowed it.
 */
static void
channel_log_allowed(struct channel *ch)
{
	struct session *s = ch->ch_session;
	struct channel_connect *cc = ch->ch_conn;
	struct evutil_addrinfo *ai = cc->cc_allowed[cc->cc_next - 1];
	struct policy_result res;
	const char *rule = cc->cc_policy.pr_rule;
	char ntop[ADDR_STRLEN];
	int port;

	if (cc->cc_policy.pr_need_addr) {
		/* An address rule allowed it: name that one. */
		policy_check_addr(&s->s_policy_ctx, &cc->cc_policy, ch->ch_port,
		    ai->ai_addr, &res);
		rule = res.pr_rule;
	}
	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	log_info("forward allowed for user %.100s key %s from %s port %d to "
	    "%.100s port %d via %s port %d: allowed by %s", s->s_user,
	    s->s_keydesc, s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port,
	    ntop, port, rule);
}

static time_t
channel_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/*
 * ChannelTimeout: one timer per channel, armed for the whole interval
 * and re-armed for what is left when bytes moved meanwhile, so the relay
 * only stores a time per read.
 */
static void
channel_idle_start(struct channel *ch)
{
	const struct config *cf = ch->ch_session->s_worker->w_config;
	struct timeval tv;

	if ((ch->ch_idle_secs = config_channel_timeout(cf,
	    "direct-tcpip")) == 0)
		return;
	if ((ch->ch_idle = evtimer_new(channel_base(ch), channel_on_idle,
	    ch)) == NULL)
		log_fatal("%s: evtimer_new failed", __func__);
	ch->ch_lastused = channel_now();
	tv.tv_sec = ch->ch_idle_secs;
	tv.tv_usec = 0;
	evtimer_add(ch->ch_idle, &tv);
}

/* Like sshd's channel_force_close: EOF and CLOSE, buffers dropped. */
static void
channel_on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct timeval tv = { 0, 0 };
	time_t idle = channel_now() - ch->ch_lastused;

	if (ch->ch_phase != CHAN_OPEN)
		return;
	if (idle < ch->ch_idle_secs) {
		tv.tv_sec = ch->ch_idle_secs - idle;
		evtimer_add(ch->ch_idle, &tv);
		return;
	}
	log_verbose("channel %d: closing after %d seconds of inactivity",
	    ch->ch_id, ch->ch_idle_secs);
	if (ch->ch_in == HALF_OPEN) {
		event_del(ch->ch_rev);
		ch->ch_in = HALF_DRAIN;
	}
	if (ch->ch_held != NULL)
		evbuffer_drain(ch->ch_held, evbuffer_get_length(ch->ch_held));
	if (ch->ch_out != HALF_CLOSED) {
		evbuffer_drain(ch->ch_obuf, evbuffer_get_length(ch->ch_obuf));
		event_del(ch->ch_wev);
		ch->ch_out = HALF_CLOSED;
	}
	session_schedule(ch->ch_session);
}

static void
channel_confirm(struct channel *ch)
{
	struct session *s = ch->ch_session;

	log_debug("channel %d: connected to %.100s port %d", ch->ch_id,
	    ch->ch_host, ch->ch_port);
	channel_log_allowed(ch);
	ch->ch_ssh = ssh_message_channel_request_open_reply_accept(
	    ch->ch_conn->cc_msg);
	channel_connect_free(ch);
	if (ch->ch_ssh == NULL) {
		log_error("%s: session %lu: channel %d: confirm failed: %s",
		    __func__, s->s_id, ch->ch_id, ssh_get_error(s->s_ssh));
		ch->ch_phase = CHAN_DEAD;
		session_schedule(s);
		return;
	}
	memset(&ch->ch_cb, 0, sizeof(ch->ch_cb));
	ch->ch_cb.userdata = ch;
	ch->ch_cb.channel_data_function = channel_on_data;
	ch->ch_cb.channel_eof_function = channel_on_eof;
	ch->ch_cb.channel_close_function = channel_on_close;
	ssh_callbacks_init(&ch->ch_cb);
	ssh_set_channel_callbacks(ch->ch_ssh, &ch->ch_cb);

	if ((ch->ch_obuf = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	/* Writability is watched again only when a write falls short. */
	event_del(ch->ch_wev);
	ch->ch_rev = event_new(channel_base(ch), ch->ch_fd,
	    EV_READ | EV_PERSIST, channel_on_target_read, ch);
	if (ch->ch_rev == NULL)
		log_fatal("%s: event_new failed", __func__);
	event_add(ch->ch_rev, NULL);
	ch->ch_phase = CHAN_OPEN;
	channel_idle_start(ch);
}

/* The target refused our bytes: sshd drops later client data, credited. */
static void
channel_write_failed(struct channel *ch, int err)
{
	log_debug2("channel %d: write failed: %s", ch->ch_id, strerror(err));
	ch->ch_out = HALF_CLOSED;
	evbuffer_drain(ch->ch_obuf, evbuffer_get_length(ch->ch_obuf));
	event_del(ch->ch_wev);
}

/* One writev of everything queued; -1 once the target is gone. */
static int
channel_write_target(struct channel *ch)
{
	int n;

	if (evbuffer_get_length(ch->ch_obuf) == 0)
		return 0;
	n = evbuffer_write(ch->ch_obuf, ch->ch_fd);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		channel_write_failed(ch, errno);
		return -1;
	}
	return 0;
}

/*
 * Takes everything libssh still holds for the target, in one call.  A
 * partial read would let libssh regrow the window while it still buffers
 * (channels.c regrows below half a window whatever is buffered), and a
 * client could then keep libssh's buffer growing without bound.
 * Waits until the target took most of what is queued.  Returns the bytes
 * taken.
 */
static int
channel_refill(struct channel *ch)
{
	struct evbuffer_iovec vec;
	int n;

	if (ch->ch_pending == 0 ||
	    evbuffer_get_length(ch->ch_obuf) > CHANNEL_OUT_LOWAT)
		return 0;
	if (evbuffer_reserve_space(ch->ch_obuf, (ev_ssize_t)ch->ch_pending,
	    &vec, 1) < 1)
		return 0;
	n = ssh_channel_read_nonblocking(ch->ch_ssh, vec.iov_base,
	    (uint32_t)ch->ch_pending, 0);
	ch->ch_pending = 0;
	if (n <= 0)
		return 0;
	vec.iov_len = (size_t)n;
	evbuffer_commit_space(ch->ch_obuf, &vec, 1);
	ch->ch_bytes_in += (uint64_t)n;
	return n;
}

/*
 * Client -> target: writes what is queued, tops it up from libssh once
 * the target has taken most of it, and after the client's EOF shuts the
 * target's write side when nothing is left.
 */
static void
channel_output(struct channel *ch)
{
	if (ch->ch_out == HALF_CLOSED || channel_write_target(ch) == -1)
		return;
	if (channel_refill(ch) > 0 && channel_write_target(ch) == -1)
		return;
	if (evbuffer_get_length(ch->ch_obuf) > 0) {
		event_add(ch->ch_wev, NULL);
		return;
	}
	event_del(ch->ch_wev);
	if (ch->ch_out != HALF_DRAIN || ch->ch_pending > 0)
		return;
	log_debug2("channel %d: obuf empty", ch->ch_id);
	log_debug2("chan_shutdown_write: channel %d: (i%d o%d sock %d)",
	    ch->ch_id, ch->ch_in, ch->ch_out, ch->ch_fd);
	shutdown(ch->ch_fd, SHUT_WR);
	log_debug2("channel %d: output drain -> closed", ch->ch_id);
	ch->ch_out = HALF_CLOSED;
}

/* This address failed: on to the next, as sshd's connect_next. */
static void
channel_connect_failed(struct channel *ch, int err)
{
	ch->ch_conn->cc_errno = err;
	log_debug("channel %d: connection failed: %s", ch->ch_id,
	    strerror(err));
	channel_release_target(ch);
	channel_connect_next(ch);
}

/*
 * ConnectTimeout: a target that never answers our SYN would hold the fd
 * and the client's open for the kernel's two minutes.
 */
static void
channel_on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);

	if (ch->ch_phase == CHAN_CONNECTING)
		channel_connect_failed(ch, ETIMEDOUT);
	session_io_done(s, mark);
}

/* Target writable: its connect finished, or it has room again. */
static void
channel_on_target_write(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);
	socklen_t len = sizeof(int);
	int err = 0;

	if (ch->ch_phase == CHAN_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == 0)
			channel_confirm(ch);
		else
			channel_connect_failed(ch, err);
	} else if (ch->ch_phase == CHAN_OPEN) {
		channel_output(ch);
		/* The post decides what a closed output half means. */
		if (ch->ch_out == HALF_CLOSED)
			session_schedule(s);
	}
	session_io_done(s, mark);
}

static void
channel_block_reads(struct channel *ch)
{
	if (!ch->ch_read_blocked) {
		event_del(ch->ch_rev);
		ch->ch_read_blocked = 1;
	}
}

/* Hands held target bytes to libssh; 0 when none are left. */
static int
channel_flush_held(struct channel *ch)
{
	size_t len;
	uint32_t win;
	int n;

	if (ch->ch_held == NULL ||
	    (len = evbuffer_get_length(ch->ch_held)) == 0)
		return 0;
	win = ssh_channel_window_size(ch->ch_ssh);
	if (win == 0 || session_write_pending(ch->ch_session))
		return -1;
	if (len > win)
		len = win;
	n = ssh_channel_write(ch->ch_ssh, evbuffer_pullup(ch->ch_held,
	    (ev_ssize_t)len), (uint32_t)len);
	if (n == SSH_ERROR) {
		/* The client closed its side: nobody will read these. */
		evbuffer_drain(ch->ch_held, evbuffer_get_length(ch->ch_held));
		ch->ch_in = HALF_CLOSED;
		return 0;
	}
	if (n > 0) {
		evbuffer_drain(ch->ch_held, (size_t)n);
		ch->ch_bytes_out += (uint64_t)n;
	}
	return evbuffer_get_length(ch->ch_held) > 0 ? -1 : 0;
}

static void
channel_read_target(struct channel *ch)
{
	char buf[CHANNEL_READ_MAX];
	uint32_t win;
	size_t want;
	ssize_t n;
	int w, i;

	for (i = 0; i < CHANNEL_READS_PER_EVENT; i++) {
		if (ch->ch_in != HALF_OPEN)
			return;
		if (channel_flush_held(ch) == -1 ||
		    session_write_pending(ch->ch_session) ||
		    (win = ssh_channel_window_size(ch->ch_ssh)) == 0) {
			channel_block_reads(ch);
			return;
		}
		want = win < sizeof(buf) ? win : sizeof(buf);
		n = recv(ch->ch_fd, buf, want, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			log_debug2("channel %d: read failed rfd %d maxlen %zu: "
			    "%s", ch->ch_id, ch->ch_fd, sizeof(buf),
			    n == 0 ? "EOF" : strerror(errno));
			log_debug2("channel %d: input open -> drain",
			    ch->ch_id);
			ch->ch_in = HALF_DRAIN;
			event_del(ch->ch_rev);
			session_schedule(ch->ch_session);
			return;
		}
		w = ssh_channel_write(ch->ch_ssh, buf, (uint32_t)n);
		if (w == SSH_ERROR) {
			ch->ch_in = HALF_CLOSED;
			event_del(ch->ch_rev);
			session_schedule(ch->ch_session);
			return;
		}
		ch->ch_bytes_out += (uint64_t)w;
		if (ch->ch_idle != NULL)
			ch->ch_lastused = channel_now();
		if (w < n) {
			/* Window spent or a rekey in progress. */
			if (ch->ch_held == NULL &&
			    (ch->ch_held = evbuffer_new()) == NULL)
				log_fatal("%s: evbuffer_new failed", __func__);
			evbuffer_add(ch->ch_held, buf + w, (size_t)(n - w));
			channel_block_reads(ch);
			return;
		}
		/* A short read emptied the socket: skip the EAGAIN. */
		if ((size_t)n < want)
			return;
	}
}

static void
channel_on_target_read(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);

	channel_read_target(ch);
	session_io_done(s, mark);
}

static int
channel_on_data(ssh_session session, ssh_channel channel, void *data,
    uint32_t len, int is_stderr, void *arg)
{
	struct channel *ch = arg;
	struct evbuffer *out;
	size_t queued, take;

	if (len > CHANNEL_PEER_BUFFER_MAX) {
		/*
		 * libssh 0.10 buffers data beyond our window instead of
		 * refusing it: only a client ignoring the window gets here.
		 */
		log_info("channel %d: peer ignored channel window (%u bytes "
		    "buffered)", ch->ch_id, len);
		ch->ch_session->s_dropped = 1;
		ch->ch_session->s_state = SESSION_DEAD;
		return (int)len;
	}
	if (ch->ch_phase == CHAN_CLOSING) {
		/*
		 * After our CLOSE: discarded.  libssh regrows the window as
		 * we consume, so an honest peer may still send about two
		 * windows before it sees the CLOSE; far more is abuse.
		 */
		ch->ch_discarded += len;
		if (ch->ch_discarded > CHANNEL_AFTER_CLOSE_MAX) {
			log_info("channel %d: peer sent %zu bytes after our "
			    "close", ch->ch_id, ch->ch_discarded);
			ch->ch_session->s_dropped = 1;
			ch->ch_session->s_state = SESSION_DEAD;
		}
		return (int)len;
	}
	if (is_stderr || ch->ch_out != HALF_OPEN)
		return (int)len;	/* dropped, but credited back */
	out = ch->ch_obuf;
	queued = evbuffer_get_length(out);
	take = queued >= CHANNEL_OUT_HIWAT ? 0 : CHANNEL_OUT_HIWAT - queued;
	if (take > len)
		take = len;
	if (take > 0 && evbuffer_add(out, data, take) == -1)
		take = 0;
	ch->ch_bytes_in += take;
	ch->ch_pending = len - take;
	if (ch->ch_idle != NULL && len > 0)
		ch->ch_lastused = channel_now();
	return (int)take;
}

static void
channel_on_eof(ssh_session session, ssh_channel channel, void *arg)
{
	struct channel *ch = arg;

	ch->ch_rcvd_eof = 1;
}

static void
channel_on_close(ssh_session session, ssh_channel channel, void *arg)
{
	struct channel *ch = arg;

	/* libssh has not marked the close yet: freeing here loses ours. */
	ch->ch_rcvd_close = 1;
}

/* The target's side goes: socket, events, idle clock, both queues. */
static void
channel_release_target(struct channel *ch)
{
	if (ch->ch_rev != NULL)
		event_free(ch->ch_rev);
	if (ch->ch_wev != NULL)
		event_free(ch->ch_wev);
	if (ch->ch_idle != NULL)
		event_free(ch->ch_idle);
	if (ch->ch_fd != -1)
		close(ch->ch_fd);
	if (ch->ch_obuf != NULL)
		evbuffer_free(ch->ch_obuf);
	if (ch->ch_held != NULL)
		evbuffer_free(ch->ch_held);
	ch->ch_rev = ch->ch_wev = ch->ch_idle = NULL;
	ch->ch_fd = -1;
	ch->ch_obuf = ch->ch_held = NULL;
}

/* Both CLOSEs are exchanged: libssh frees its channel now, we ours. */
static void
channel_finish(struct channel *ch)
{
	ssh_remove_channel_callbacks(ch->ch_ssh, &ch->ch_cb);
	ssh_channel_free(ch->ch_ssh);
	ch->ch_ssh = NULL;
	channel_teardown(ch);
}

/*
 * Sends our CLOSE.  libssh keeps its channel until the peer's CLOSE and,
 * with no callbacks installed, would buffer every DATA the peer still
 * sends, without bound.  So ours stay installed to discard it
 * (channel_on_data), and the channel stays attached: a peer that never
 * answers keeps counting against the session's channels.
 */
static void
channel_send_close(struct channel *ch)
{
	struct session *s = ch->ch_session;

	log_debug2("channel %d: send close", ch->ch_id);
	ssh_channel_close(ch->ch_ssh);
	log_debug("%s: session %lu: channel %d: %s port %d closed, %llu "
	    "bytes in, %llu bytes out", __func__, s->s_id, ch->ch_id,
	    ch->ch_host, ch->ch_port, (unsigned long long)ch->ch_bytes_in,
	    (unsigned long long)ch->ch_bytes_out);
	channel_release_target(ch);
	ch->ch_phase = CHAN_CLOSING;
	if (ch->ch_rcvd_close)
		channel_finish(ch);
}

void
channel_post(struct channel *ch)
{
	if (ch->ch_phase == CHAN_DEAD) {
		channel_teardown(ch);
		return;
	}
	if (ch->ch_phase == CHAN_CLOSING) {
		/* sshd logs it when it comes, after our "send close". */
		if (ch->ch_rcvd_close) {
			log_debug2("channel %d: rcvd close", ch->ch_id);
			channel_finish(ch);
		}
		return;
	}
	if (ch->ch_phase != CHAN_OPEN)
		return;

	if (ch->ch_rcvd_close == 1) {
		ch->ch_rcvd_close = 2;
		log_debug2("channel %d: rcvd close", ch->ch_id);
		if (ch->ch_in != HALF_CLOSED) {
			/* Nobody will read target data any more. */
			if (ch->ch_held != NULL)
				evbuffer_drain(ch->ch_held,
				    evbuffer_get_length(ch->ch_held));
			event_del(ch->ch_rev);
			ch->ch_in = HALF_CLOSED;
		}
		ch->ch_rcvd_eof = 1;
	}
	if (ch->ch_rcvd_eof == 1) {
		ch->ch_rcvd_eof = 2;
		log_debug2("channel %d: rcvd eof", ch->ch_id);
		if (ch->ch_out == HALF_OPEN) {
			log_debug2("channel %d: output open -> drain",
			    ch->ch_id);
			ch->ch_out = HALF_DRAIN;
		}
	}
	channel_output(ch);

	if (ch->ch_in == HALF_OPEN && ch->ch_read_blocked &&
	    channel_flush_held(ch) == 0 && !session_write_pending(ch->ch_session)
	    && ssh_channel_window_size(ch->ch_ssh) > 0) {
		ch->ch_read_blocked = 0;
		event_add(ch->ch_rev, NULL);
	}
	if (ch->ch_in == HALF_DRAIN && channel_flush_held(ch) == 0 &&
	    ch->ch_in == HALF_DRAIN) {
		log_debug2("channel %d: ibuf empty", ch->ch_id);
		log_debug2("channel %d: send eof", ch->ch_id);
		ssh_channel_send_eof(ch->ch_ssh);
		log_debug2("channel %d: input drain -> closed", ch->ch_id);
		ch->ch_in = HALF_CLOSED;
	}
	if (ch->ch_in == HALF_CLOSED && ch->ch_out == HALF_CLOSED)
		channel_send_close(ch);
}

void
channel_teardown(struct channel *ch)
{
	struct session *s = ch->ch_session;

	channel_connect_free(ch);
	channel_release_target(ch);
	if (ch->ch_ssh != NULL) {
		/* Session teardown: ssh_free reclaims the channel itself. */
		ssh_remove_channel_callbacks(ch->ch_ssh, &ch->ch_cb);
	}
	session_channel_detach(s, ch);
	log_debug("channel %d: free: direct-tcpip, nchannels %d", ch->ch_id,
	    s->s_nchans + 1);
	free(ch->ch_host);
	free(ch);
}
