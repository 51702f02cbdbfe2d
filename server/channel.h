/*
 * channel.h: one direct-tcpip channel from open request to free.
 *
 * open -> policy -> resolve (evdns) -> connect -> confirm
 * -> relay both ways -> half-close each way (nchan) -> CLOSE -> free.
 */
#ifndef JG_CHANNEL_H
#define JG_CHANNEL_H

#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>

#include "addr.h"
#include "policy.h"

struct session;

/*
 * Bytes of client data queued towards one target before we stop taking
 * more from libssh (and so stop the window from growing).
 */
#define CHANNEL_OUT_HIWAT	(256 * 1024)
/* Below this, what libssh still holds is pulled into the target's queue. */
#define CHANNEL_OUT_LOWAT	(64 * 1024)
/* Resolved addresses kept per open; sshd tries them all, we the first N. */
#define CHANNEL_MAX_ADDRS	16
/* Largest single read from a target socket. */
#define CHANNEL_READ_MAX	(64 * 1024)
/*
 * Smallest maximum packet size a client may announce.  libssh 0.10 cuts
 * DATA at max packet - 10 bytes and loops forever on 10 (empty packets);
 * no real client asks for less than 16 KiB.
 */
#define CHANNEL_MIN_MAXPACKET	1024

/* Each direction, as OpenSSH's nchan: open -> drain -> closed. */
enum channel_half {
	HALF_OPEN = 0,
	HALF_DRAIN,
	HALF_CLOSED,
};

enum channel_phase {
	CHAN_RESOLVING = 0,
	CHAN_CONNECTING,
	CHAN_OPEN,
	CHAN_CLOSING,		/* our CLOSE sent, the peer's still due */
	CHAN_DEAD,
};

/* What a channel needs only until its open is answered. */
struct channel_connect {
	ssh_message		 cc_msg;	/* the open request */
	struct evdns_getaddrinfo_request *cc_dnsreq;
	struct policy_result	 cc_policy;	/* the by-name decision */
	struct evutil_addrinfo	*cc_addrs;
	struct evutil_addrinfo	*cc_allowed[CHANNEL_MAX_ADDRS];
	int			 cc_nallowed;	/* addresses that passed */
	int			 cc_next;	/* the next one to try */
	int			 cc_errno;	/* the last connect's */
	struct event		*cc_timer;	/* ConnectTimeout, per address */
	struct timespec		 cc_started;	/* the first connect() */
};

struct channel {
	TAILQ_ENTRY(channel)	 ch_entry;
	struct session		*ch_session;
	int			 ch_id;
	enum channel_phase	 ch_phase;
	struct channel_connect	*ch_conn;	/* until the open is answered */
	ssh_channel		 ch_ssh;
	struct ssh_channel_callbacks_struct ch_cb;
	char			*ch_host;	/* the target, as asked */
	int			 ch_port;
	char			*ch_orig;	/* originator, as sent */
	int			 ch_orig_port;
	char			 ch_addr[ADDR_STRLEN];	/* the address connected to */
	int			 ch_addr_port;
	char			*ch_rule;	/* what allowed it */
	const char		*ch_close_reason;	/* first cause, static */
	struct timespec		 ch_opened_mono;	/* confirmed; 0 before */
	int			 ch_fd;		/* the target */
	struct event		*ch_wev;	/* connect done, or room again */
	struct event		*ch_rev;
	struct evbuffer		*ch_obuf;	/* client bytes for the target */
	struct evbuffer		*ch_held;	/* target bytes libssh refused */
	enum channel_half	 ch_in;		/* target -> client */
	enum channel_half	 ch_out;	/* client -> target */
	int			 ch_rcvd_eof;
	int			 ch_rcvd_close;
	int			 ch_read_blocked;
	size_t			 ch_pending;	/* client bytes left in libssh */
	size_t			 ch_discarded;	/* client bytes after our CLOSE */
	uint64_t		 ch_bytes_in;	/* client -> target */
	uint64_t		 ch_bytes_out;	/* target -> client */
	struct event		*ch_idle;	/* ChannelTimeout, or NULL */
	int			 ch_idle_secs;
	time_t			 ch_lastused;	/* monotonic, last byte either way */
};

/* 1 once the open was confirmed (the target connected). */
static inline int
channel_confirmed(const struct channel *ch)
{
	return ch->ch_opened_mono.tv_sec != 0 ||
	    ch->ch_opened_mono.tv_nsec != 0;
}

/* The first cause of a close is the one the audit reports. */
static inline void
channel_close_reason(struct channel *ch, const char *why)
{
	if (ch->ch_close_reason == NULL)
		ch->ch_close_reason = why;
}

/* Takes ownership of msg, an SSH_CHANNEL_DIRECT_TCPIP open request. */
void	channel_open(struct session *s, ssh_message msg);

/* Post-pump step: handle EOF/CLOSE flags, resume, reap. */
void	channel_post(struct channel *ch);

/* Frees at once (session teardown): no packets are sent. */
void	channel_teardown(struct channel *ch);

#endif
