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

#include <libssh/libssh.h>
#include <libssh/callbacks.h>

struct session;
struct policy_result;

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
	CHAN_DEAD,
};

struct channel {
	TAILQ_ENTRY(channel)	 ch_entry;
	struct session		*ch_session;
	int			 ch_id;
	enum channel_phase	 ch_phase;
	ssh_message		 ch_msg;	/* the open, until answered */
	ssh_channel		 ch_ssh;
	struct ssh_channel_callbacks_struct ch_cb;
	char			*ch_host;
	int			 ch_port;
	char			*ch_orig;
	int			 ch_orig_port;
	struct evdns_getaddrinfo_request *ch_dnsreq;
	struct policy_result	*ch_policy;	/* until confirmed */
	struct evutil_addrinfo	*ch_addrs;
	struct evutil_addrinfo	*ch_allowed[CHANNEL_MAX_ADDRS];
	int			 ch_nallowed;	/* addresses that passed */
	int			 ch_next_addr;
	int			 ch_connect_errno;
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
	uint64_t		 ch_bytes_in;	/* client -> target */
	uint64_t		 ch_bytes_out;	/* target -> client */
};

/* Takes ownership of msg, an SSH_CHANNEL_DIRECT_TCPIP open request. */
void	channel_open(struct session *s, ssh_message msg);

/* Post-pump step: handle EOF/CLOSE flags, resume, reap. */
void	channel_post(struct channel *ch);

/* Frees at once (session teardown): no packets are sent. */
void	channel_teardown(struct channel *ch);

#endif
