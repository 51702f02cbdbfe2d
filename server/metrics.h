/*
 * metrics.h: the counters behind /metrics.
 *
 * Each worker owns one struct metrics and is its only writer, so the
 * data path pays a plain add (a relaxed atomic store, no lock prefix);
 * the admin thread sums every worker's with relaxed loads when scraped.
 * Gauges are kept as opened/closed counter pairs for the same reason.
 * What the main thread counts (reloads) and what any thread may count
 * (audit lines dropped) are global atomics.
 */
#ifndef JG_METRICS_H
#define JG_METRICS_H

#include <stdint.h>
#include <time.h>

struct evbuffer;
struct worker;

/* Why an authentication attempt failed (label reason=). */
enum metrics_auth_fail {
	MAF_UNKNOWN_KEY = 0,	/* no authorized_keys line for it */
	MAF_INVALID_USER,	/* no keys file, or refused by the lists */
	MAF_ROOT_REFUSED,	/* PermitRootLogin */
	MAF_BAD_SIGNATURE,
	MAF_METHOD,		/* not publickey (none, password, ...) */
	MAF_TOO_MANY,		/* MaxAuthTries reached: disconnected */
	MAF_AKC_FAILED,		/* AuthorizedKeysCommand failed or timed out */
	MAF_CERT,		/* a certificate refused (CA, validity, ...) */
	MAF_REVOKED,		/* RevokedKeys, or it could not be read */
	MAF_NREASONS
};

/* Why a channel open was refused (label reason=). */
enum metrics_deny {
	MDN_POLICY = 0,		/* the forwarding policy */
	MDN_LIMIT,		/* a channel cap */
	MDN_RESOLVE,		/* the name did not resolve */
	MDN_CONNECT,		/* every allowed address failed */
	MDN_TYPE,		/* not direct-tcpip */
	MDN_STOPPING,		/* the server is draining */
	MDN_PROTOCOL,		/* a malformed or hostile open */
	MDN_NREASONS
};

/* Upper bounds of the latency histograms, in seconds. */
#define METRICS_NBUCKETS	12

struct metrics_hist {
	uint64_t	mh_bucket[METRICS_NBUCKETS];	/* not cumulative */
	uint64_t	mh_count;
	uint64_t	mh_sum_us;
};

struct metrics {
	uint64_t	m_conns_opened;
	uint64_t	m_conns_closed;
	uint64_t	m_auth_ok;
	uint64_t	m_auth_fail[MAF_NREASONS];
	uint64_t	m_chans_opened;		/* confirmed */
	uint64_t	m_chans_closed;
	uint64_t	m_denied[MDN_NREASONS];
	uint64_t	m_bytes_up;		/* client -> target */
	uint64_t	m_bytes_down;		/* target -> client */
	uint64_t	m_proxy_refused;	/* PROXY header missing or bad */
	struct metrics_hist m_connect;		/* target TCP connect */
	struct metrics_hist m_handshake;	/* accept to keys exchanged */
};

/* The label values, also the audit's "reason" words. */
const char *metrics_auth_fail_name(enum metrics_auth_fail why);
const char *metrics_deny_name(enum metrics_deny why);

/* Single-writer add: the owner thread only. */
static inline void
metrics_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

/* One observation, from t0 to t1 (monotonic; owner thread only). */
void	metrics_observe(struct metrics_hist *h, const struct timespec *t0,
	    const struct timespec *t1);

/* Before any worker starts: the process start time. */
void	metrics_init(void);
/* Any thread. */
void	metrics_reload(int ok);
void	metrics_audit_dropped(uint64_t lines);

/*
 * The Prometheus text exposition (format 0.0.4) of every worker's
 * counters and the global ones; ready is what /readyz says.
 */
void	metrics_render(struct evbuffer *out, struct worker *workers,
	    int nworkers, int ready);

#endif
