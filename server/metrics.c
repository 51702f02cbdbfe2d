/*
 * metrics.c: what /metrics shows, summed over the workers on demand.
 *
 * Nothing here runs on the data path but metrics_add (inline, in the
 * header) and metrics_observe: rendering walks the workers' counters from
 * the admin thread with relaxed loads, so a scrape may see one counter a
 * moment ahead of another, which Prometheus tolerates, and never takes a
 * lock a worker could wait on.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "version.h"
#include "worker.h"

static const double metrics_bounds[METRICS_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

static const char *const metrics_auth_names[MAF_NREASONS] = {
	[MAF_UNKNOWN_KEY] = "unknown_key",
	[MAF_INVALID_USER] = "invalid_user",
	[MAF_ROOT_REFUSED] = "root_refused",
	[MAF_BAD_SIGNATURE] = "bad_signature",
	[MAF_METHOD] = "method",
	[MAF_TOO_MANY] = "too_many_attempts",
	[MAF_AKC_FAILED] = "akc_failed",
	[MAF_CERT] = "certificate",
	[MAF_REVOKED] = "revoked_key",
};

static const char *const metrics_deny_names[MDN_NREASONS] = {
	[MDN_POLICY] = "policy",
	[MDN_LIMIT] = "limit",
	[MDN_RESOLVE] = "resolve",
	[MDN_CONNECT] = "connect",
	[MDN_TYPE] = "channel_type",
	[MDN_STOPPING] = "stopping",
	[MDN_PROTOCOL] = "protocol",
};

static uint64_t metrics_reloads_ok;
static uint64_t metrics_reloads_failed;
static uint64_t metrics_audit_drops;
static time_t metrics_started;

const char *
metrics_auth_fail_name(enum metrics_auth_fail why)
{
	return metrics_auth_names[why];
}

const char *
metrics_deny_name(enum metrics_deny why)
{
	return metrics_deny_names[why];
}

void
metrics_observe(struct metrics_hist *h, const struct timespec *t0,
    const struct timespec *t1)
{
	int64_t span = (int64_t)(t1->tv_sec - t0->tv_sec) * 1000000 +
	    (t1->tv_nsec - t0->tv_nsec) / 1000;
	uint64_t usecs = span > 0 ? (uint64_t)span : 0;
	int i;

	for (i = 0; i < METRICS_NBUCKETS; i++)
		if ((double)usecs <= metrics_bounds[i] * 1e6)
			break;
	/* Past the last bound: counted in _count only (+Inf). */
	if (i < METRICS_NBUCKETS)
		metrics_add(&h->mh_bucket[i], 1);
	metrics_add(&h->mh_count, 1);
	metrics_add(&h->mh_sum_us, usecs);
}

void
metrics_init(void)
{
	metrics_started = time(NULL);
}

void
metrics_reload(int ok)
{
	__atomic_add_fetch(ok ? &metrics_reloads_ok : &metrics_reloads_failed,
	    1, __ATOMIC_RELAXED);
}

void
metrics_audit_dropped(uint64_t lines)
{
	__atomic_add_fetch(&metrics_audit_drops, lines, __ATOMIC_RELAXED);
}

static uint64_t
metrics_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* One counter's sum over the workers, by its offset in struct metrics. */
static uint64_t
metrics_sum(struct worker *ws, int n, size_t off)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v += metrics_load((const uint64_t *)(const void *)
		    ((const char *)&ws[i].w_metrics + off));
	return v;
}

#define METRICS_SUM(ws, n, field) \
	metrics_sum((ws), (n), offsetof(struct metrics, field))

static void
metrics_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

static void
metrics_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(b, name, type, help);
	evbuffer_add_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* A counter array, one sample per reason label. */
static void
metrics_by_reason(struct evbuffer *b, struct worker *ws, int n,
    const char *name, const char *help, size_t off,
    const char *const *names, int nnames)
{
	int k;

	metrics_head(b, name, "counter", help);
	for (k = 0; k < nnames; k++)
		evbuffer_add_printf(b, "%s{reason=\"%s\"} %llu\n", name,
		    names[k], (unsigned long long)metrics_sum(ws, n,
		    off + (size_t)k * sizeof(uint64_t)));
}

static void
metrics_hist(struct evbuffer *b, struct worker *ws, int n, size_t off,
    const char *name, const char *help)
{
	const struct metrics_hist *h;
	uint64_t bucket[METRICS_NBUCKETS] = { 0 }, count = 0, sum = 0, cum;
	int i, k;

	for (i = 0; i < n; i++) {
		h = (const struct metrics_hist *)(const void *)
		    ((const char *)&ws[i].w_metrics + off);
		for (k = 0; k < METRICS_NBUCKETS; k++)
			bucket[k] += metrics_load(&h->mh_bucket[k]);
		count += metrics_load(&h->mh_count);
		sum += metrics_load(&h->mh_sum_us);
	}
	metrics_head(b, name, "histogram", help);
	for (k = 0, cum = 0; k < METRICS_NBUCKETS; k++) {
		cum += bucket[k];
		/* Read apart from count: never let a bucket pass +Inf. */
		if (cum > count)
			count = cum;
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    metrics_bounds[k], (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)count);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name,
	    (double)sum / 1e6, name, (unsigned long long)count);
}

void
metrics_render(struct evbuffer *b, struct worker *ws, int n, int ready)
{
	uint64_t opened, closed;

	metrics_head(b, "jumpgate_build_info", "gauge",
	    "Always 1; the version is a label.");
	evbuffer_add_printf(b, "jumpgate_build_info{version=\"%s\"} 1\n",
	    JUMPGATE_VERSION);
	metrics_one(b, "jumpgate_ready", "gauge",
	    "1 while accepting connections, 0 while draining.",
	    (uint64_t)(ready != 0));
	metrics_one(b, "jumpgate_workers", "gauge", "Worker threads.",
	    (uint64_t)n);

	opened = METRICS_SUM(ws, n, m_conns_opened);
	closed = METRICS_SUM(ws, n, m_conns_closed);
	metrics_one(b, "jumpgate_connections", "gauge",
	    "SSH connections open now.", opened > closed ? opened - closed : 0);
	metrics_one(b, "jumpgate_connections_total", "counter",
	    "SSH connections accepted.", opened);
	metrics_one(b, "jumpgate_proxy_refused_total", "counter",
	    "Connections closed for a missing, bad or untrusted PROXY header.",
	    METRICS_SUM(ws, n, m_proxy_refused));
	metrics_one(b, "jumpgate_auth_success_total", "counter",
	    "Successful authentications.", METRICS_SUM(ws, n, m_auth_ok));
	metrics_by_reason(b, ws, n, "jumpgate_auth_failures_total",
	    "Failed authentication attempts, by reason.",
	    offsetof(struct metrics, m_auth_fail), metrics_auth_names,
	    MAF_NREASONS);
	opened = METRICS_SUM(ws, n, m_chans_opened);
	closed = METRICS_SUM(ws, n, m_chans_closed);
	metrics_one(b, "jumpgate_channels", "gauge",
	    "Forwarding channels open now.", opened > closed ?
	    opened - closed : 0);
	metrics_one(b, "jumpgate_channels_total", "counter",
	    "Forwarding channels opened (target connected, open confirmed).",
	    opened);
	metrics_by_reason(b, ws, n, "jumpgate_channel_opens_denied_total",
	    "Channel opens refused, by reason.",
	    offsetof(struct metrics, m_denied), metrics_deny_names,
	    MDN_NREASONS);
	metrics_head(b, "jumpgate_bytes_total", "counter",
	    "Bytes relayed: up is client to target, down target to client.");
	evbuffer_add_printf(b, "jumpgate_bytes_total{direction=\"up\"} %llu\n"
	    "jumpgate_bytes_total{direction=\"down\"} %llu\n",
	    (unsigned long long)METRICS_SUM(ws, n, m_bytes_up),
	    (unsigned long long)METRICS_SUM(ws, n, m_bytes_down));
	metrics_hist(b, ws, n, offsetof(struct metrics, m_connect),
	    "jumpgate_target_connect_seconds",
	    "Time from the first connect() to the target to the open "
	    "confirmation.");
	metrics_hist(b, ws, n, offsetof(struct metrics, m_handshake),
	    "jumpgate_handshake_seconds",
	    "Time from accept to the end of the first key exchange.");

	metrics_head(b, "jumpgate_reloads_total", "counter",
	    "SIGHUP reloads, by result.");
	evbuffer_add_printf(b, "jumpgate_reloads_total{result=\"ok\"} %llu\n"
	    "jumpgate_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_load(&metrics_reloads_ok),
	    (unsigned long long)metrics_load(&metrics_reloads_failed));
	metrics_one(b, "jumpgate_audit_dropped_total", "counter",
	    "Audit lines dropped because the writer fell behind.",
	    metrics_load(&metrics_audit_drops));
	metrics_one(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch, in seconds.",
	    (uint64_t)metrics_started);
}
