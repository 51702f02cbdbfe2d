/*
 * admit.c: MaxStartups, PerSourceMaxStartups and the channel caps that
 * span sessions, shared by every worker.
 *
 * sshd counts unauthenticated connections in its one listening process;
 * ours are spread over worker threads that accept on their own sockets,
 * so a per-worker share would let a client that lands on a busy worker be
 * dropped while another has room (and SO_REUSEPORT picks the worker by a
 * hash the client controls).  One budget behind a mutex keeps sshd's
 * meaning.  The lock is taken once at accept and once at authentication
 * or close, and for the channel tables once at channel attach and detach,
 * never on the data path.
 *
 * Counts by key (netblock, user, source address) live in small chained
 * hash tables whose entries go when their count returns to zero, so
 * memory follows what is open, not what was ever seen.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "admit.h"
#include "config.h"
#include "log.h"
#include "str.h"

#define ADMIT_BUCKETS		1024
/* sshd repeats "in MaxStartups throttling" at most this often. */
#define ADMIT_LOG_INTERVAL	(5 * 60)
/* "a.b.c.d/32" or an IPv6 address and "/128". */
#define ADMIT_KEYLEN		(ADDR_STRLEN + 8)

struct admit_count {
	struct admit_count	*ac_next;
	int			 ac_n;
	char			 ac_key[];
};

struct admit_table {
	struct admit_count	*at_bucket[ADMIT_BUCKETS];
};

static struct {
	pthread_mutex_t		 a_mtx;		/* startups and netblocks */
	int			 a_begin;	/* MaxStartups start:rate:full */
	int			 a_rate;
	int			 a_full;
	int			 a_persource;	/* INT_MAX: none */
	int			 a_mask4;
	int			 a_mask6;
	int			 a_startups;	/* unauthenticated now */
	time_t			 a_first_drop;	/* 0: not throttling */
	time_t			 a_last_drop;
	unsigned int		 a_ndropped;
	struct admit_table	 a_blocks;

	pthread_mutex_t		 a_chmtx;	/* the two channel tables */
	int			 a_user_cap;	/* INT_MAX: none, not counted */
	int			 a_src_cap;
	struct admit_table	 a_users;
	struct admit_table	 a_sources;
} admit = {
	.a_mtx = PTHREAD_MUTEX_INITIALIZER,
	.a_chmtx = PTHREAD_MUTEX_INITIALIZER,
};

/* FNV-1a: keys are short and chosen by peers, but only bucket choice. */
static struct admit_count **
admit_slot(struct admit_table *at, const char *key)
{
	struct admit_count **pp;
	uint32_t h = 2166136261u;
	const char *p;

	for (p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (pp = &at->at_bucket[h % ADMIT_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->ac_next)
		if (strcmp((*pp)->ac_key, key) == 0)
			break;
	return pp;
}

static int
admit_count_of(struct admit_table *at, const char *key)
{
	struct admit_count **pp = admit_slot(at, key);

	return *pp != NULL ? (*pp)->ac_n : 0;
}

static void
admit_add(struct admit_table *at, const char *key, int delta)
{
	struct admit_count **pp = admit_slot(at, key), *ac;
	size_t len;

	if ((ac = *pp) == NULL) {
		if (delta < 0)
			return;
		len = strlen(key) + 1;
		ac = xcalloc(1, sizeof(*ac) + len);
		memcpy(ac->ac_key, key, len);
		*pp = ac;
	}
	if ((ac->ac_n += delta) <= 0) {
		*pp = ac->ac_next;
		free(ac);
	}
}

static void
admit_table_free(struct admit_table *at)
{
	struct admit_count *ac;
	int i;

	for (i = 0; i < ADMIT_BUCKETS; i++)
		while ((ac = at->at_bucket[i]) != NULL) {
			at->at_bucket[i] = ac->ac_next;
			free(ac);
		}
}

/* A limit read outside its lock: only its "none" is, and it is fixed. */
static int
admit_load(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
admit_init(const struct config *cf)
{
	admit.a_begin = cf->c_max_startups_begin;
	admit.a_rate = cf->c_max_startups_rate;
	admit.a_full = cf->c_max_startups;
	admit.a_persource = cf->c_persource_max;
	admit.a_mask4 = cf->c_persource_mask4;
	admit.a_mask6 = cf->c_persource_mask6;
	admit.a_user_cap = cf->c_max_chans_user;
	admit.a_src_cap = cf->c_max_chans_source;
}

/*
 * SIGHUP: new limits, same counts.  A limit lowered below what is open
 * stops new connections and channels until enough close; none is cut.
 * What decides which keys are counted cannot change with entries in the
 * tables (the netblock size, or a cap going between none and a number):
 * an entry would be released under another key than it was taken.
 */
/*
 * A cap's new value, unless it moves between none (INT_MAX) and a number:
 * that changes what is counted, and counts already kept would be wrong.
 */
static void
admit_cap_update(int *cap, int want, const char *keyword)
{
	if ((*cap == INT_MAX) == (want == INT_MAX))
		__atomic_store_n(cap, want, __ATOMIC_RELAXED);
	else
		log_info("admit_reconfigure: %s between none and a number "
		    "takes effect at restart", keyword);
}

void
admit_reconfigure(const struct config *cf)
{
	pthread_mutex_lock(&admit.a_mtx);
	admit.a_begin = cf->c_max_startups_begin;
	admit.a_rate = cf->c_max_startups_rate;
	admit.a_full = cf->c_max_startups;
	admit_cap_update(&admit.a_persource, cf->c_persource_max,
	    "PerSourceMaxStartups");
	if (admit.a_mask4 != cf->c_persource_mask4 ||
	    admit.a_mask6 != cf->c_persource_mask6)
		log_info("%s: PerSourceNetBlockSize takes effect at restart",
		    __func__);
	pthread_mutex_unlock(&admit.a_mtx);

	pthread_mutex_lock(&admit.a_chmtx);
	admit_cap_update(&admit.a_user_cap, cf->c_max_chans_user,
	    "MaxChannelsPerUser");
	admit_cap_update(&admit.a_src_cap, cf->c_max_chans_source,
	    "MaxChannelsPerSource");
	pthread_mutex_unlock(&admit.a_chmtx);
}

void
admit_free(void)
{
	admit_table_free(&admit.a_blocks);
	admit_table_free(&admit.a_users);
	admit_table_free(&admit.a_sources);
}

/*
 * peer's PerSourceNetBlockSize netblock as "addr/len"; 0 when peer is not
 * a numeric address (then, as in sshd, it is not limited per source).
 */
static int
admit_netblock(const char *peer, char *key, size_t keylen)
{
	unsigned char a[16];
	char buf[ADDR_STRLEN];
	int af, bits, alen, i;

	if (inet_pton(AF_INET, peer, a) == 1) {
		af = AF_INET;
		alen = 4;
		bits = admit.a_mask4;
	} else if (inet_pton(AF_INET6, peer, a) == 1) {
		af = AF_INET6;
		alen = 16;
		bits = admit.a_mask6;
	} else
		return 0;
	for (i = 0; i < alen; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		a[i] &= bits > 8 * i ? (unsigned char)(0xff00 >> (bits - 8 * i))
		    : 0;
	}
	if (inet_ntop(af, a, buf, sizeof(buf)) == NULL)
		return 0;
	snprintf(key, keylen, "%s/%d", buf, bits);
	return 1;
}

/* sshd's random early drop, drawn while startups are unauthenticated. */
static int
admit_should_drop(int startups)
{
	long p;

	if (startups < admit.a_begin)
		return 0;
	if (startups >= admit.a_full || admit.a_rate == 100)
		return 1;
	/* rate% at start, rising linearly to 100% at full. */
	p = 100 - admit.a_rate;
	p *= startups - admit.a_begin;
	p /= admit.a_full - admit.a_begin;
	p += admit.a_rate;
	return (long)arc4random_uniform(100) < p;
}

/* sshd's time span format: "00:04:10", "2d03h05m", "01w2d03h". */
static void
admit_timeframe(time_t t, char *buf, size_t len)
{
	unsigned long long w = (unsigned long long)t;
	unsigned int sec, min, hrs, day;

	sec = w % 60;
	w /= 60;
	min = w % 60;
	w /= 60;
	hrs = w % 24;
	w /= 24;
	day = w % 7;
	w /= 7;
	if (w > 0)
		snprintf(buf, len, "%02lluw%01ud%02uh", w, day, hrs);
	else if (day > 0)
		snprintf(buf, len, "%01ud%02uh%02um", day, hrs, min);
	else
		snprintf(buf, len, "%02u:%02u:%02u", hrs, min, sec);
}

static time_t
admit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int
admit_startup(int fd, const char *peer, int pport, const char *local,
    int lport)
{
	static const char notice[] = "Exceeded MaxStartups\r\n";
	char block[ADMIT_KEYLEN], span[32];
	time_t now = admit_now();
	int startups, drop, has_block, begin = 0, periodic = 0, exited = 0;
	unsigned int ndropped;
	ssize_t n;

	has_block = admit_load(&admit.a_persource) != INT_MAX &&
	    admit_netblock(peer, block, sizeof(block));
	pthread_mutex_lock(&admit.a_mtx);
	startups = admit.a_startups;
	drop = admit_should_drop(startups) || (has_block &&
	    admit_count_of(&admit.a_blocks, block) >= admit.a_persource);
	if (!drop) {
		admit.a_startups++;
		if (has_block)
			admit_add(&admit.a_blocks, block, 1);
		/* sshd's hysteresis: well below start before we say so. */
		if (admit.a_last_drop != 0 && startups < admit.a_begin - 1) {
			exited = 1;
			admit.a_last_drop = 0;
		}
	} else {
		if (admit.a_last_drop == 0) {
			begin = 1;
			admit.a_first_drop = now;
			admit.a_ndropped = 0;
		} else if (admit.a_last_drop + ADMIT_LOG_INTERVAL < now)
			periodic = 1;
		admit.a_last_drop = now;
		admit.a_ndropped++;
	}
	ndropped = admit.a_ndropped;
	admit_timeframe(now - admit.a_first_drop, span, sizeof(span));
	pthread_mutex_unlock(&admit.a_mtx);

	if (exited)
		log_info("exited MaxStartups throttling after %s, %u "
		    "connections dropped", span, ndropped);
	if (!drop)
		return 0;
	if (begin)
		log_error("beginning MaxStartups throttling");
	else if (periodic)
		log_error("in MaxStartups throttling for %s, %u connections "
		    "dropped", span, ndropped);
	log_msg(begin || periodic ? LOG_LVL_INFO : LOG_LVL_VERBOSE,
	    "drop connection #%d from [%s]:%d on [%s]:%d past MaxStartups",
	    startups, peer, pport, local, lport);
	/* Best effort, as sshd: a fresh socket's buffer has room. */
	n = write(fd, notice, sizeof(notice) - 1);
	(void)n;
	return -1;
}

void
admit_startup_done(const char *peer)
{
	char block[ADMIT_KEYLEN];
	int has_block;

	has_block = admit_load(&admit.a_persource) != INT_MAX &&
	    admit_netblock(peer, block, sizeof(block));
	pthread_mutex_lock(&admit.a_mtx);
	admit.a_startups--;
	if (has_block)
		admit_add(&admit.a_blocks, block, -1);
	pthread_mutex_unlock(&admit.a_mtx);
}

int
admit_channel_attach(const char *user, const char *src, char *why,
    size_t whylen)
{
	int ret = -1;

	if (admit_load(&admit.a_user_cap) == INT_MAX &&
	    admit_load(&admit.a_src_cap) == INT_MAX)
		return 0;
	pthread_mutex_lock(&admit.a_chmtx);
	if (admit.a_user_cap != INT_MAX &&
	    admit_count_of(&admit.a_users, user) >= admit.a_user_cap) {
		snprintf(why, whylen, "MaxChannelsPerUser %d reached for "
		    "user %.100s", admit.a_user_cap, user);
		goto out;
	}
	if (admit.a_src_cap != INT_MAX &&
	    admit_count_of(&admit.a_sources, src) >= admit.a_src_cap) {
		snprintf(why, whylen, "MaxChannelsPerSource %d reached for "
		    "%s", admit.a_src_cap, src);
		goto out;
	}
	if (admit.a_user_cap != INT_MAX)
		admit_add(&admit.a_users, user, 1);
	if (admit.a_src_cap != INT_MAX)
		admit_add(&admit.a_sources, src, 1);
	ret = 0;
out:
	pthread_mutex_unlock(&admit.a_chmtx);
	return ret;
}

void
admit_channel_detach(const char *user, const char *src)
{
	if (admit_load(&admit.a_user_cap) == INT_MAX &&
	    admit_load(&admit.a_src_cap) == INT_MAX)
		return;
	pthread_mutex_lock(&admit.a_chmtx);
	if (admit.a_user_cap != INT_MAX)
		admit_add(&admit.a_users, user, -1);
	if (admit.a_src_cap != INT_MAX)
		admit_add(&admit.a_sources, src, -1);
	pthread_mutex_unlock(&admit.a_chmtx);
}
