/*
 * session.h: one SSH connection, pumped from libevent.
 *
 * A session owns its libssh session, its message queue and its channels,
 * and lives on one worker thread from accept to free.
 */
#ifndef JG_SESSION_H
#define JG_SESSION_H

#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>

#include "addr.h"
#include "audit.h"
#include "authkeys.h"
#include "policy.h"

struct worker;
struct channel;
struct event;
struct akrun_job;
struct proxy_wait;

enum session_state {
	SESSION_KEX = 0,
	SESSION_AUTH,
	SESSION_OPEN,
	SESSION_DEAD,
};

struct session {
	TAILQ_ENTRY(session)	 s_entry;
	struct worker		*s_worker;
	unsigned long		 s_id;
	ssh_session		 s_ssh;
	int			 s_fd;		/* our dup of libssh's fd */
	struct event		*s_rev;
	struct event		*s_wev;
	struct event		*s_post;	/* deferred post-pump work */
	struct event		*s_grace;	/* LoginGraceTime */
	struct event		*s_alive;	/* ClientAliveInterval */
	struct event		*s_unused;	/* UnusedConnectionTimeout */
	int			 s_alive_missed;	/* probes unanswered */
	uint64_t		 s_alive_seen;	/* in_packets at last tick */
	enum session_state	 s_state;
	int			 s_in_pump;
	int			 s_failures;	/* failed auth attempts */
	int			 s_attempts;	/* auth requests, as sshd's */
	int			 s_invalid_logged;	/* no files for s_authuser */
	int			 s_dropped;	/* we ended it, and said why */
	char			*s_authuser;	/* the one user name tried */
	char			*s_home;	/* its home, if a pattern needs it */
	struct authkeys_acct	 s_acct;	/* its account, for key files */
	int			 s_root_login;	/* enum config_root, for it */
	struct akrun_job	*s_akrun;	/* AuthorizedKeysCommand running */
	ssh_message		 s_auth_msg;	/* the request it answers */
	ssh_message		*s_auth_held;	/* requests waiting behind it */
	int			 s_auth_cert_refused;	/* s_auth_msg's was */
	int			 s_nauth_held;
	int			 s_startup;	/* counted in MaxStartups */
	char			 s_peer[ADDR_STRLEN];
	int			 s_peer_port;
	char			 s_local[ADDR_STRLEN];
	int			 s_local_port;
	/* PROXY protocol: the proxy that spoke for s_peer; "" if direct. */
	char			 s_via[ADDR_STRLEN];
	int			 s_via_port;
	struct proxy_wait	*s_proxy;	/* until its header is read */
	time_t			 s_started;	/* accepted, wall clock */
	struct timespec		 s_started_mono;
	char			*s_user;	/* once authenticated */
	char			 s_keydesc[128];	/* "ED25519 SHA256:..." */
	struct authkey_opts	 s_keyopts;
	char			*s_key_src;	/* "file:line" of the key */
	struct audit_cert	 s_cert;	/* its certificate, if one */
	struct policy_settings	 s_policy;	/* after Match, for this user */
	struct config		*s_config;	/* s_policy points into it */
	struct policy_ctx	 s_policy_ctx;
	struct ssh_counter_struct s_sockcount;
	struct ssh_counter_struct s_rawcount;	/* whole packets */
	uint64_t		 s_drained_at;	/* in_bytes when queue empty */
	struct channel		**s_chans;	/* index = our channel id */
	int			 s_nchans_alloc;
	int			 s_nchans;
	TAILQ_HEAD(, channel)	 s_channels;
};

/* Takes ownership of fd (an accepted, non-blocking socket). */
void	session_accept(struct worker *w, int fd, const struct sockaddr *peer);

/*
 * SSH on fd (owned), once s_peer and s_local are final: proxyconn.c calls
 * it after a PROXY header.  May free s.
 */
void	session_start(struct session *s, int fd);

/* Frees a session refused before SSH started (the caller logged why). */
void	session_discard(struct session *s);

/* Asks for post-pump work (flags, blocked channels, reaping) soon. */
void	session_schedule(struct session *s);

/* Arms write interest if libssh holds unsent output. */
void	session_update_io(struct session *s);

/*
 * Brackets a libssh call made outside the pump (from a target or DNS
 * event): io_done schedules a post if the call read from the socket, and
 * arms write interest if output is left.
 */
uint64_t session_io_mark(struct session *s);
void	session_io_done(struct session *s, uint64_t mark);

/* 1 while libssh holds unsent output for the socket. */
int	session_write_pending(struct session *s);

/*
 * Lowest free channel id, or -1 when a channel cap (MaxChannelsPerSession,
 * MaxPendingChannels, MaxChannelsPerUser, MaxChannelsPerSource) is
 * reached; why then names it.  A channel counts until detached.
 */
int	session_channel_attach(struct session *s, struct channel *ch,
	    char *why, size_t whylen);
void	session_channel_detach(struct session *s, struct channel *ch);

/* sshd's connection id for log lines: "user alice 127.0.0.1 port 5". */
void	session_remote_id(struct session *s, char *buf, size_t len);

/*
 * An admin request (uid: who asked) ends the session from its worker's
 * thread, outside any pump: logged, and freed from the post-pump step.
 */
void	session_close_admin(struct session *s, unsigned long uid);

/* Frees every session of the worker (shutdown). */
void	session_free_all(struct worker *w);

#endif
