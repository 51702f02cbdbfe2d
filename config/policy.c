/*
 * policy.c: the pure matching functions behind jumpgate's decisions.
 *
 * Nothing here does I/O, so every rule can be unit-tested and fuzzed on
 * its own: whether a key's options let a direct-tcpip open through, and
 * whether the client address satisfies a key's from= list (declared in
 * authkeys.h, next to the options it reads, but it is the same kind of
 * pure rule as the rest of this file).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "authkeys.h"
#include "policy.h"
#include "str.h"

int
policy_entry_match(const struct permit_entry *pe, const char *host, int port)
{
	/* sshd's open_match(): literal, case-sensitive, before any DNS. */
	if (pe->pe_port != AUTHKEYS_PERMIT_ANY_PORT && pe->pe_port != port)
		return 0;
	return strcmp(pe->pe_host, "*") == 0 || strcmp(pe->pe_host, host) == 0;
}

enum policy_verdict
policy_check_open(const struct authkey_opts *key, const char *host, int port)
{
	int i;

	if (key == NULL || !key->ao_port_forwarding)
		return POLICY_FORWARDING_OFF;
	if (key->ao_npermitopen == 0)
		return POLICY_ALLOW;
	if (host == NULL)
		return POLICY_NOT_PERMITTED;
	for (i = 0; i < key->ao_npermitopen; i++)
		if (policy_entry_match(&key->ao_permitopen[i], host, port))
			return POLICY_ALLOW;
	return POLICY_NOT_PERMITTED;
}

/* ----- from= ------------------------------------------------------- */

/* '*' and '?' glob; the last star is retried, so no deep backtracking. */
static int
policy_glob(const char *s, const char *pat, int fold)
{
	const char *star = NULL, *retry = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			retry = s;
		} else if (*pat != '\0' && (*pat == '?' || (fold ?
		    tolower((unsigned char)*pat) == tolower((unsigned char)*s) :
		    *pat == *s))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++retry;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

struct policy_addr {
	int		 af;
	unsigned char	 a[16];
};

static int
policy_pton(const char *s, struct policy_addr *out)
{
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->af = AF_INET6;
		return 0;
	}
	return -1;
}

/* 1: a/len within net, 0: not. */
static int
policy_netmatch(const struct policy_addr *a,
    const struct policy_addr *net, unsigned int bits)
{
	unsigned int i, nbytes = bits / 8, rem = bits % 8;
	unsigned char mask;

	if (a->af != net->af)
		return 0;
	for (i = 0; i < nbytes; i++)
		if (a->a[i] != net->a[i])
			return 0;
	if (rem == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rem));
	return (a->a[nbytes] & mask) == net->a[nbytes];
}

/*
 * sshd's addr_pton_cidr(): 0 with net/bits set, -1 when the entry is not
 * an address (it is then used as a glob), -2 when it is an address with a
 * bad mask length or with bits set past the mask.
 */
static int
policy_cidr(const char *entry, struct policy_addr *net,
    unsigned int *bits)
{
	char buf[64], *slash;
	unsigned int i, max;
	long len = -1;

	if (str_lcpy(buf, entry, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (str_to_long(slash, 0, INT_MAX, &len) == -1)
			return -1;
	}
	if (policy_pton(buf, net) == -1)
		return -1;
	max = net->af == AF_INET ? 32 : 128;
	if (len == -1)
		len = max;
	if (len > (long)max)
		return -2;
	*bits = (unsigned int)len;
	for (i = *bits; i < max; i++)
		if (net->a[i / 8] & (0x80 >> (i % 8)))
			return -2;
	return 0;
}

/* sshd's addr_match_list(): 1, 0, -1 negated, -2 invalid list. */
static int
policy_addr_list(const char *ip, const char *list)
{
	struct policy_addr try, net;
	const char *p = list, *end;
	char entry[1024];
	unsigned int bits;
	size_t len;
	int neg, r, ret = 0;

	if (policy_pton(ip, &try) == -1)
		return 0;
	for (;;) {
		end = p + strcspn(p, ",");
		neg = *p == '!';
		if (neg)
			p++;
		len = (size_t)(end - p);
		if (len == 0)
			return -2;
		/* Far longer than any address: it can only be a glob. */
		if (len >= sizeof(entry))
			r = 1;
		else {
			memcpy(entry, p, len);
			entry[len] = '\0';
			r = policy_cidr(entry, &net, &bits);
		}
		if (r == -2)
			return -2;
		if ((r == 0 && policy_netmatch(&try, &net, bits)) ||
		    (r == -1 && policy_glob(ip, entry, 0))) {
			if (neg)
				return -1;
			ret = 1;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return ret;
}

/* sshd's match_hostname(): the same list as globs, case-insensitively. */
static int
policy_host_list(const char *host, const char *list)
{
	const char *p = list, *end;
	char sub[1024];
	size_t len;
	int neg, ret = 0;

	while (*p != '\0') {
		neg = *p == '!';
		if (neg)
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		/* sshd gives up on an over-long entry: no match at all. */
		if (len >= sizeof(sub) - 1)
			return 0;
		memcpy(sub, p, len);
		sub[len] = '\0';
		if (policy_glob(host, sub, 1)) {
			if (neg)
				return -1;
			ret = 1;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return ret;
}

int
authkeys_match_from(const char *patterns, const char *ip)
{
	struct in_addr v4;
	int mip, mhost;

	if (patterns == NULL || ip == NULL)
		return 0;
	/* sshd sees a v4 client on a dual-stack socket as plain v4. */
	if (strncasecmp(ip, "::ffff:", 7) == 0 &&
	    inet_pton(AF_INET, ip + 7, &v4) == 1)
		ip += 7;
	if ((mip = policy_addr_list(ip, patterns)) < 0)
		return mip;
	/* With UseDNS no, sshd's "host name" is the address again. */
	if ((mhost = policy_host_list(ip, patterns)) == -1)
		return -1;
	return mip == 1 || mhost == 1;
}
