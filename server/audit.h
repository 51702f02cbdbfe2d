/*
 * audit.h: the JSON audit log, one object per line.
 *
 * Events: auth.success, auth.failure, channel.open, channel.deny,
 * channel.close (the schema is in README, "Audit log").  Workers format
 * a line and queue it; a writer thread of this module writes the queue,
 * so a slow disk or a full stdout pipe never stalls a worker.  The queue
 * is bounded (AUDIT_QUEUE_MAX): past it lines are dropped and counted
 * (jumpgate_audit_dropped_total) rather than held.
 */
#ifndef JG_AUDIT_H
#define JG_AUDIT_H

#include <stdint.h>

#define AUDIT_QUEUE_MAX	(4 * 1024 * 1024)

struct session;
struct channel;

/* A certificate's identity, in auth events and the session's channels. */
struct audit_cert {
	char			*ad_id;		/* key id; NULL: a plain key */
	unsigned long long	 ad_serial;
	char			 ad_ca_fp[64];	/* "SHA256:..." of the CA */
};

/*
 * Start-up and SIGHUP (main thread): "none", "stdout" or a path, opened
 * for appending (reopened on every call, for log rotation).  -1 with
 * errno set when the file cannot be opened; the previous sink stays.
 */
int	audit_open(const char *spec);
/* Writes what is queued and stops the writer (exit). */
void	audit_close(void);
/* 1 when events are written: callers skip building them otherwise. */
int	audit_enabled(void);

/*
 * reason: NULL on success, else a short word ("unknown_key", ...); cert
 * NULL for a plain key.
 */
void	audit_auth(const struct session *s, const char *user,
	    const char *keydesc, const struct audit_cert *cert,
	    const char *reason);
/* The channel was confirmed: connected to ch's target. */
void	audit_channel_open(const struct channel *ch);
/*
 * An open refused: host/port as asked, rule the deciding rule or cause
 * text, reason a short word (the metrics label).
 */
void	audit_channel_deny(const struct session *s, const char *orig,
	    int orig_port, const char *host, int port, const char *rule,
	    const char *reason);
/* The channel is gone (after confirmation only). */
void	audit_channel_close(const struct channel *ch);

#endif
