/*
 * liveness.c: the keywords that bound how long a client, a channel or a
 * target connect may last, and the transport settings handed to libssh:
 * ClientAliveInterval, ClientAliveCountMax, TCPKeepAlive (KeepAlive),
 * ChannelTimeout, UnusedConnectionTimeout, ConnectTimeout and
 * ShutdownGraceTime (jumpgate's own), RekeyLimit and Compression.
 *
 * Apart from config.c because none of them is a plain one-value keyword
 * and together they would push that file far past a readable size.  As
 * everywhere in config/, the first value obtained wins and errors read
 * "FILE:LINE: message", in sshd's words where sshd has some.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "pattern.h"
#include "str.h"

enum liveness_kw {
	LV_ALIVE_INTERVAL,
	LV_ALIVE_COUNT,
	LV_TCP_KEEPALIVE,
	LV_COMPRESSION,
	LV_REKEY,
	LV_CHAN_TIMEOUT,
	LV_UNUSED_TIMEOUT,
	LV_CONNECT_TIMEOUT,
	LV_SHUTDOWN_GRACE,
};

static const struct {
	const char		*lk_name;
	enum liveness_kw	 lk_kw;
} liveness_keywords[] = {
	{ "ClientAliveInterval",	LV_ALIVE_INTERVAL },
	{ "ClientAliveCountMax",	LV_ALIVE_COUNT },
	{ "TCPKeepAlive",		LV_TCP_KEEPALIVE },
	{ "KeepAlive",			LV_TCP_KEEPALIVE },
	{ "Compression",		LV_COMPRESSION },
	{ "RekeyLimit",			LV_REKEY },
	{ "ChannelTimeout",		LV_CHAN_TIMEOUT },
	{ "UnusedConnectionTimeout",	LV_UNUSED_TIMEOUT },
	{ "ConnectTimeout",		LV_CONNECT_TIMEOUT },
	{ "ShutdownGraceTime",		LV_SHUTDOWN_GRACE },
};

/* Where the line came from, for error text. */
struct liveness_ctx {
	const char	*lx_file;
	int		 lx_line;
	const char	*lx_kw;		/* as written */
	char		*lx_err;
	size_t		 lx_errlen;
};

static int	liveness_fail(struct liveness_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	liveness_size(const char *, long long *);
static int	liveness_chan_timeouts(struct config *, struct liveness_ctx *,
		    char **, int);
static int	liveness_rekey(struct config *, struct liveness_ctx *,
		    char **, int);

static int
liveness_fail(struct liveness_ctx *lx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verrf(lx->lx_err, lx->lx_errlen, lx->lx_file, lx->lx_line, fmt,
	    ap);
	va_end(ap);
	return -1;
}


/*
 * RekeyLimit's size: a number with an optional K, M, G or T suffix
 * (powers of 1024, as sshd's scan_scaled).  0 or -1.
 */
static int
liveness_size(const char *s, long long *out)
{
	long long v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > (1LL << 50))
			return -1;
	}
	switch (*p) {
	case '\0':			break;
	case 'k': case 'K':	mult = 1LL << 10; p++; break;
	case 'm': case 'M':	mult = 1LL << 20; p++; break;
	case 'g': case 'G':	mult = 1LL << 30; p++; break;
	case 't': case 'T':	mult = 1LL << 40; p++; break;
	default:		return -1;
	}
	if (*p != '\0' || v > (1LL << 62) / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/*
 * ChannelTimeout "type=interval ..." or "none" alone.  sshd's "global"
 * (all channels taken together) is refused: jumpgate times channels out
 * one by one only.
 */
static int
liveness_chan_timeouts(struct config *cf, struct liveness_ctx *lx, char **av,
    int ac)
{
	struct config_chan_timeout *ct;
	const char *kw = lx->lx_kw;
	char *eq;
	int i, secs;

	if (strcasecmp(av[0], "none") == 0 && ac > 1)
		return liveness_fail(lx, "%s: \"none\" argument must appear "
		    "alone", kw);
	ct = xcalloc((size_t)ac, sizeof(*ct));
	for (i = 0; i < ac; i++) {
		if (ac == 1 && strcasecmp(av[0], "none") == 0) {
			ac = 0;
			break;
		}
		if ((eq = strchr(av[i], '=')) == NULL || eq == av[i] ||
		    (secs = config_convtime(eq + 1)) == -1) {
			liveness_fail(lx, "%s: invalid channel timeout %s", kw,
			    av[i]);
			goto fail;
		}
		if ((size_t)(eq - av[i]) == strlen("global") &&
		    strncmp(av[i], "global", strlen("global")) == 0 &&
		    secs != 0) {
			liveness_fail(lx, "Unsupported option %s %s: jumpgate "
			    "does not enforce it yet", kw, av[i]);
			goto fail;
		}
		ct[i].ct_type = xstrdup(av[i]);
		ct[i].ct_type[eq - av[i]] = '\0';
		ct[i].ct_secs = secs;
	}
	if (cf->c_nchan_timeouts != -1) {
		for (i = 0; i < ac; i++)
			free(ct[i].ct_type);
		free(ct);
		return 0;
	}
	cf->c_chan_timeouts = ct;
	cf->c_nchan_timeouts = ac;
	return 0;
fail:
	while (--i >= 0)
		free(ct[i].ct_type);
	free(ct);
	return -1;
}

int
config_channel_timeout(const struct config *cf, const char *type)
{
	int i;

	for (i = 0; i < cf->c_nchan_timeouts; i++)
		if (pattern_match(cf->c_chan_timeouts[i].ct_type, type, 0))
			return cf->c_chan_timeouts[i].ct_secs;
	return 0;
}

/* RekeyLimit SIZE [TIME]: "default" size is the cipher's, "none" no time. */
static int
liveness_rekey(struct config *cf, struct liveness_ctx *lx, char **av, int ac)
{
	const char *kw = lx->lx_kw;
	long long size;
	int secs = 0;

	if (ac > 2)
		return liveness_fail(lx, "%s: extra arguments at end of line",
		    kw);
	if (strcmp(av[0], "default") == 0)
		size = 0;
	else if (liveness_size(av[0], &size) == -1)
		return liveness_fail(lx, "Bad %s number '%s'", kw, av[0]);
	else if (size != 0 && size < 16)
		return liveness_fail(lx, "%s too small", kw);
	/* libssh keeps the interval in milliseconds, in 32 bits. */
	if (ac == 2 && strcmp(av[1], "none") != 0 &&
	    strcmp(av[1], "default") != 0 &&
	    ((secs = config_convtime(av[1])) == -1 ||
	    secs > (int)(UINT32_MAX / 1000)))
		return liveness_fail(lx, "%s: invalid time value \"%s\"", kw,
		    av[1]);
	if (cf->c_rekey_limit == -1) {
		cf->c_rekey_limit = size;
		cf->c_rekey_interval = secs;
	}
	return 0;
}

int
config_liveness_parse(struct config *cf, const char *kw, char **av, int ac,
    const char *file, int line, char *err, size_t errlen)
{
	struct liveness_ctx lx = { file, line, kw, err, errlen };
	enum liveness_kw k = LV_ALIVE_INTERVAL;
	size_t i;
	long v;
	int n, *ip;

	for (i = 0; i < sizeof(liveness_keywords) /
	    sizeof(liveness_keywords[0]); i++)
		if (strcasecmp(kw, liveness_keywords[i].lk_name) == 0)
			k = liveness_keywords[i].lk_kw;
	if (ac == 0 || av[0][0] == '\0')
		return liveness_fail(&lx, "%s: missing argument", kw);
	if (k == LV_CHAN_TIMEOUT)
		return liveness_chan_timeouts(cf, &lx, av, ac);
	if (k == LV_REKEY)
		return liveness_rekey(cf, &lx, av, ac);
	if (ac > 1)
		return liveness_fail(&lx, "%s: extra arguments at end of line",
		    kw);
	switch (k) {
	case LV_ALIVE_COUNT:
		if (str_to_long(av[0], 0, INT_MAX, &v) == -1)
			return liveness_fail(&lx, "%s: bad number \"%s\"", kw,
			    av[0]);
		if (cf->c_alive_count_max == -1)
			cf->c_alive_count_max = (int)v;
		return 0;
	case LV_TCP_KEEPALIVE:
		if ((n = config_yesno(av[0])) == -1)
			return liveness_fail(&lx, "%s: unsupported option "
			    "\"%s\" (yes or no)", kw, av[0]);
		if (cf->c_tcp_keepalive == -1)
			cf->c_tcp_keepalive = n;
		return 0;
	case LV_COMPRESSION:
		if (strcasecmp(av[0], "delayed") == 0)
			n = CONFIG_COMP_YES;
		else if ((n = config_yesno(av[0])) == -1)
			return liveness_fail(&lx, "%s: unsupported option "
			    "\"%s\" (yes, delayed or no)", kw, av[0]);
		if (cf->c_compression == -1)
			cf->c_compression = n;
		return 0;
	case LV_UNUSED_TIMEOUT:
		ip = &cf->c_unused_timeout;
		break;
	case LV_CONNECT_TIMEOUT:
		ip = &cf->c_connect_timeout;
		break;
	case LV_SHUTDOWN_GRACE:
		ip = &cf->c_shutdown_grace;
		break;
	default:
		ip = &cf->c_alive_interval;
		break;
	}
	/* sshd takes "none" for UnusedConnectionTimeout; we for ours too. */
	if (k != LV_ALIVE_INTERVAL && strcasecmp(av[0], "none") == 0)
		n = 0;
	else if ((n = config_convtime(av[0])) == -1)
		return liveness_fail(&lx, "%s: invalid time value \"%s\"", kw,
		    av[0]);
	if (*ip == -1)
		*ip = n;
	return 0;
}
