/*
 * relay.c: the bytes of a confirmed direct-tcpip channel, both ways.
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
 * flags; relay_post acts on them after the pump.
 *
 * ChannelTimeout's clock lives here too: it measures this traffic.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "channel.h"
#include "config.h"
#include "log.h"
#include "relay.h"
#include "session.h"
#include "worker.h"

/*
 * libssh never grows our window past 1,280,000 bytes, so an honest client
 * can never make it buffer more than that for one channel.
 */
#define CHANNEL_PEER_BUFFER_MAX	(2 * 1280000)
/* Client bytes taken (and dropped) after our CLOSE before the session goes. */
#define CHANNEL_AFTER_CLOSE_MAX	(2 * CHANNEL_PEER_BUFFER_MAX)

/* Reads per target wakeup before yielding to other channels. */
#define CHANNEL_READS_PER_EVENT	4

static void	relay_on_idle(evutil_socket_t, short, void *);
static void	relay_on_target_read(evutil_socket_t, short, void *);
static int	relay_on_data(ssh_session, ssh_channel, void *, uint32_t, int,
		    void *);
static void	relay_on_eof(ssh_session, ssh_channel, void *);
static void	relay_on_close(ssh_session, ssh_channel, void *);

static struct event_base *
relay_base(struct channel *ch)
{
	return ch->ch_session->s_worker->w_base;
}

static struct metrics *
relay_metrics(struct channel *ch)
{
	return &ch->ch_session->s_worker->w_metrics;
}

static time_t
relay_now(void)
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
relay_idle_start(struct channel *ch)
{
	const struct config *cf = ch->ch_session->s_worker->w_config;
	struct timeval tv;

	if ((ch->ch_idle_secs = config_channel_timeout(cf,
	    "direct-tcpip")) == 0)
		return;
	if ((ch->ch_idle = evtimer_new(relay_base(ch), relay_on_idle,
	    ch)) == NULL)
		log_fatal("%s: evtimer_new failed", __func__);
	ch->ch_lastused = relay_now();
	tv.tv_sec = ch->ch_idle_secs;
	tv.tv_usec = 0;
	evtimer_add(ch->ch_idle, &tv);
}

static void
relay_on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct timeval tv = { 0, 0 };
	time_t idle = relay_now() - ch->ch_lastused;

	if (ch->ch_phase != CHAN_OPEN)
		return;
	if (idle < ch->ch_idle_secs) {
		tv.tv_sec = ch->ch_idle_secs - idle;
		evtimer_add(ch->ch_idle, &tv);
		return;
	}
	log_verbose("channel %d: closing after %d seconds of inactivity",
	    ch->ch_id, ch->ch_idle_secs);
	relay_force_close(ch, "idle_timeout");
}

/* Like sshd's channel_force_close: EOF and CLOSE, buffers dropped. */
void
relay_force_close(struct channel *ch, const char *reason)
{
	channel_close_reason(ch, reason);
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

/* The target refused our bytes: sshd drops later client data, credited. */
static void
relay_write_failed(struct channel *ch, int err)
{
	log_debug2("channel %d: write failed: %s", ch->ch_id, strerror(err));
	channel_close_reason(ch, "target_error");
	ch->ch_out = HALF_CLOSED;
	evbuffer_drain(ch->ch_obuf, evbuffer_get_length(ch->ch_obuf));
	event_del(ch->ch_wev);
}

/* One writev of everything queued; -1 once the target is gone. */
static int
relay_write_target(struct channel *ch)
{
	int n;

	if (evbuffer_get_length(ch->ch_obuf) == 0)
		return 0;
	n = evbuffer_write(ch->ch_obuf, ch->ch_fd);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		relay_write_failed(ch, errno);
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
relay_refill(struct channel *ch)
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
	metrics_add(&relay_metrics(ch)->m_bytes_up, (uint64_t)n);
	return n;
}

/*
 * Client -> target: writes what is queued, tops it up from libssh once
 * the target has taken most of it, and after the client's EOF shuts the
 * target's write side when nothing is left.
 */
void
relay_output(struct channel *ch)
{
	if (ch->ch_out == HALF_CLOSED || relay_write_target(ch) == -1)
		return;
	if (relay_refill(ch) > 0 && relay_write_target(ch) == -1)
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

static void
relay_block_reads(struct channel *ch)
{
	if (!ch->ch_read_blocked) {
		event_del(ch->ch_rev);
		ch->ch_read_blocked = 1;
	}
}

/* Hands held target bytes to libssh; 0 when none are left. */
static int
relay_flush_held(struct channel *ch)
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
		metrics_add(&relay_metrics(ch)->m_bytes_down, (uint64_t)n);
	}
	return evbuffer_get_length(ch->ch_held) > 0 ? -1 : 0;
}

static void
relay_read_target(struct channel *ch)
{
	char buf[CHANNEL_READ_MAX];
	uint32_t win;
	size_t want;
	ssize_t n;
	int w, i;

	for (i = 0; i < CHANNEL_READS_PER_EVENT; i++) {
		if (ch->ch_in != HALF_OPEN)
			return;
		if (relay_flush_held(ch) == -1 ||
		    session_write_pending(ch->ch_session) ||
		    (win = ssh_channel_window_size(ch->ch_ssh)) == 0) {
			relay_block_reads(ch);
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
			channel_close_reason(ch, n == 0 ? "target_eof" :
			    "target_error");
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
		metrics_add(&relay_metrics(ch)->m_bytes_down, (uint64_t)w);
		if (ch->ch_idle != NULL)
			ch->ch_lastused = relay_now();
		if (w < n) {
			/* Window spent or a rekey in progress. */
			if (ch->ch_held == NULL &&
			    (ch->ch_held = evbuffer_new()) == NULL)
				log_fatal("%s: evbuffer_new failed", __func__);
			evbuffer_add(ch->ch_held, buf + w, (size_t)(n - w));
			relay_block_reads(ch);
			return;
		}
		/* A short read emptied the socket: skip the EAGAIN. */
		if ((size_t)n < want)
			return;
	}
}

static void
relay_on_target_read(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);

	relay_read_target(ch);
	session_io_done(s, mark);
}

static int
relay_on_data(ssh_session session, ssh_channel channel, void *data,
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
	metrics_add(&relay_metrics(ch)->m_bytes_up, take);
	ch->ch_pending = len - take;
	if (ch->ch_idle != NULL && len > 0)
		ch->ch_lastused = relay_now();
	return (int)take;
}

static void
relay_on_eof(ssh_session session, ssh_channel channel, void *arg)
{
	struct channel *ch = arg;

	ch->ch_rcvd_eof = 1;
}

static void
relay_on_close(ssh_session session, ssh_channel channel, void *arg)
{
	struct channel *ch = arg;

	/* libssh has not marked the close yet: freeing here loses ours. */
	ch->ch_rcvd_close = 1;
}

void
relay_start(struct channel *ch)
{
	memset(&ch->ch_cb, 0, sizeof(ch->ch_cb));
	ch->ch_cb.userdata = ch;
	ch->ch_cb.channel_data_function = relay_on_data;
	ch->ch_cb.channel_eof_function = relay_on_eof;
	ch->ch_cb.channel_close_function = relay_on_close;
	ssh_callbacks_init(&ch->ch_cb);
	ssh_set_channel_callbacks(ch->ch_ssh, &ch->ch_cb);

	if ((ch->ch_obuf = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	/* Writability is watched again only when a write falls short. */
	event_del(ch->ch_wev);
	ch->ch_rev = event_new(relay_base(ch), ch->ch_fd,
	    EV_READ | EV_PERSIST, relay_on_target_read, ch);
	if (ch->ch_rev == NULL)
		log_fatal("%s: event_new failed", __func__);
	event_add(ch->ch_rev, NULL);
	relay_idle_start(ch);
}

int
relay_post(struct channel *ch)
{
	if (ch->ch_rcvd_close == 1) {
		ch->ch_rcvd_close = 2;
		log_debug2("channel %d: rcvd close", ch->ch_id);
		channel_close_reason(ch, "client_close");
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
		channel_close_reason(ch, "client_eof");
		if (ch->ch_out == HALF_OPEN) {
			log_debug2("channel %d: output open -> drain",
			    ch->ch_id);
			ch->ch_out = HALF_DRAIN;
		}
	}
	relay_output(ch);

	if (ch->ch_in == HALF_OPEN && ch->ch_read_blocked &&
	    relay_flush_held(ch) == 0 && !session_write_pending(ch->ch_session)
	    && ssh_channel_window_size(ch->ch_ssh) > 0) {
		ch->ch_read_blocked = 0;
		event_add(ch->ch_rev, NULL);
	}
	if (ch->ch_in == HALF_DRAIN && relay_flush_held(ch) == 0 &&
	    ch->ch_in == HALF_DRAIN) {
		log_debug2("channel %d: ibuf empty", ch->ch_id);
		log_debug2("channel %d: send eof", ch->ch_id);
		ssh_channel_send_eof(ch->ch_ssh);
		log_debug2("channel %d: input drain -> closed", ch->ch_id);
		ch->ch_in = HALF_CLOSED;
	}
	return ch->ch_in == HALF_CLOSED && ch->ch_out == HALF_CLOSED;
}
