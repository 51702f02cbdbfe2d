/*
 * proxyconn.c: the PROXY protocol on the SSH listener, between accept and
 * the start of SSH.
 *
 * A connection from a ProxyProtocolFrom address must open with a header
 * (proxy.c parses it); until it is complete, SSH has not started: no
 * banner goes out, no libssh session exists, and the connection does not
 * count in MaxStartups, because only the header says which client to
 * count.  The header is read without ever taking a byte after it: the
 * socket is peeked, and only bytes the parser has claimed as header are
 * consumed, so the client's SSH banner stays in the kernel for libssh.
 * Reads are non-blocking, driven by a read event; a header not complete
 * within PROXYCONN_TIMEOUT seconds closes the connection.
 *
 * From any other address a PROXY header is refused too: on the first
 * readable event, before libssh has read a byte, the socket is peeked.
 * That costs no delay (our banner goes out at accept, as before; a client
 * like PuTTY waits for it) and one recv per wakeup until the first byte.
 *
 * Every refusal is one INFO line naming the peer and the reason.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "proxyconn.h"
#include "session.h"
#include "str.h"
#include "worker.h"

/* Seconds a trusted proxy has to send its whole header. */
#define PROXYCONN_TIMEOUT	10

struct proxy_wait {
	int		 pw_fd;		/* owned until SSH starts */
	struct event	*pw_rev;
	struct event	*pw_timer;
	uint8_t		 pw_buf[PROXY_MAX];
	size_t		 pw_have;	/* header bytes consumed */
};

static void	proxyconn_on_read(evutil_socket_t, short, void *);
static void	proxyconn_on_timeout(evutil_socket_t, short, void *);

static void	proxyconn_refuse(struct session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The one line a refused connection gets. */
static void
proxyconn_refuse(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("Refused connection from %s port %d: PROXY protocol: %s",
	    s->s_peer, s->s_peer_port, msg);
	metrics_add(&s->s_worker->w_metrics.m_proxy_refused, 1);
}

void
proxyconn_start(struct session *s, int fd)
{
	struct worker *w = s->s_worker;
	struct proxy_wait *pw;
	struct timeval tv = { PROXYCONN_TIMEOUT, 0 };

	pw = xcalloc(1, sizeof(*pw));
	pw->pw_fd = fd;
	s->s_proxy = pw;
	pw->pw_rev = event_new(w->w_base, fd, EV_READ | EV_PERSIST,
	    proxyconn_on_read, s);
	pw->pw_timer = evtimer_new(w->w_base, proxyconn_on_timeout, s);
	if (pw->pw_rev == NULL || pw->pw_timer == NULL)
		log_fatal("%s: event_new failed", __func__);
	event_add(pw->pw_rev, NULL);
	evtimer_add(pw->pw_timer, &tv);
	log_debug("%s: session %lu: waiting for a PROXY header from %s port "
	    "%d", __func__, s->s_id, s->s_peer, s->s_peer_port);
}

void
proxyconn_free(struct session *s)
{
	struct proxy_wait *pw = s->s_proxy;

	if (pw == NULL)
		return;
	if (pw->pw_rev != NULL)
		event_free(pw->pw_rev);
	if (pw->pw_timer != NULL)
		event_free(pw->pw_timer);
	if (pw->pw_fd != -1)
		close(pw->pw_fd);
	free(pw);
	s->s_proxy = NULL;
}

/* The header is read: the session takes the addresses it carries. */
static void
proxyconn_accept(struct session *s, const struct proxy_hdr *ph,
    enum proxy_result r)
{
	struct proxy_wait *pw = s->s_proxy;
	int fd = pw->pw_fd;

	if (r == PROXY_OK) {
		log_verbose("PROXY v%d header from %s port %d: client %s port "
		    "%d, server %s port %d", ph->ph_version, s->s_peer,
		    s->s_peer_port, ph->ph_src, ph->ph_src_port, ph->ph_dst,
		    ph->ph_dst_port);
		snprintf(s->s_via, sizeof(s->s_via), "%s", s->s_peer);
		s->s_via_port = s->s_peer_port;
		snprintf(s->s_peer, sizeof(s->s_peer), "%s", ph->ph_src);
		s->s_peer_port = ph->ph_src_port;
		snprintf(s->s_local, sizeof(s->s_local), "%s", ph->ph_dst);
		s->s_local_port = ph->ph_dst_port;
	} else
		log_verbose("PROXY v%d %s header from %s port %d: keeping the "
		    "connection's addresses", ph->ph_version,
		    ph->ph_version == 1 ? "UNKNOWN" : "LOCAL", s->s_peer,
		    s->s_peer_port);
	/* session_start owns fd now, and may free s. */
	pw->pw_fd = -1;
	proxyconn_free(s);
	session_start(s, fd);
}

static void
proxyconn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct proxy_wait *pw = s->s_proxy;
	struct proxy_hdr ph;
	enum proxy_result r;
	ssize_t n;
	size_t take;

	n = recv(pw->pw_fd, pw->pw_buf + pw->pw_have,
	    sizeof(pw->pw_buf) - pw->pw_have, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n == -1) {
		proxyconn_refuse(s, "recv: %s", strerror(errno));
		goto drop;
	}
	if (n == 0) {
		proxyconn_refuse(s, "%s", pw->pw_have == 0 ?
		    "closed before sending a header" :
		    "closed in the middle of its header");
		goto drop;
	}
	r = proxy_parse(pw->pw_buf, pw->pw_have + (size_t)n, &ph);
	if (r == PROXY_BAD) {
		proxyconn_refuse(s, "bad header: %s", ph.ph_why);
		goto drop;
	}
	/* "More" means every byte peeked is header; else up to ph_len. */
	take = r == PROXY_MORE ? (size_t)n : ph.ph_len - pw->pw_have;
	if (take > 0 && recv(pw->pw_fd, pw->pw_buf + pw->pw_have, take,
	    MSG_DONTWAIT) != (ssize_t)take) {
		/* Only we read this socket: peeked bytes are still there. */
		proxyconn_refuse(s, "recv: short read of peeked bytes");
		goto drop;
	}
	pw->pw_have += take;
	if (r != PROXY_MORE)
		proxyconn_accept(s, &ph, r);
	return;
drop:
	session_discard(s);
}

static void
proxyconn_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	proxyconn_refuse(s, "no complete header within %d seconds",
	    PROXYCONN_TIMEOUT);
	session_discard(s);
}

int
proxyconn_untrusted(struct session *s)
{
	uint8_t buf[PROXY_SIG_LEN];
	ssize_t n;
	int v;

	n = recv(s->s_fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0 || (v = proxy_is_header(buf, (size_t)n)) == 0)
		return 0;
	proxyconn_refuse(s, "a v%d header, but ProxyProtocolFrom does not "
	    "list this address", v);
	return 1;
}
