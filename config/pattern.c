/*
 * pattern.c: sshd's globs, pattern lists and address lists.
 *
 * Match User/Address/LocalAddress and authorized_keys from= are the same
 * matchers in sshd (match_pattern_list, addr_match_list), so they are
 * one copy here.  Lists are never copied: entries are matched in place,
 * and only an entry short enough to be an address is copied to parse it.
 * Address parsing goes through getaddrinfo(AI_NUMERICHOST) as sshd's
 * addr_pton does, which is what gives "127.1" and "fe80::1%1" their sshd
 * meaning for Match.  from= asks for strict parsing instead (inet_pton:
 * "127.1" stays a glob that no peer matches, no scope ids), which is what
 * its tests pin; the flag keeps that one difference out of a second copy.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>

#include "pattern.h"
#include "str.h"

/* sshd's sub[1024] in match_pattern_list and addrbuf[64] in addr.c. */
#define PATTERN_SUB_MAX		1024
#define PATTERN_ADDR_MAX	64

/* ----- globs --------------------------------------------------------- */

/*
 * Only the last star is retried, which is enough for '*' and '?' and
 * keeps the cost linear-ish on hostile input (no recursion, no deep
 * backtracking).  Lengths rather than NULs bound both sides, so list
 * entries need no copy.
 */
int
pattern_match_len(const char *pat, size_t plen, const char *s, size_t slen,
    int nocase)
{
	size_t p = 0, i = 0, star = SIZE_MAX, retry = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			retry = i;
		} else if (p < plen && (pat[p] == '?' || (nocase ?
		    tolower((unsigned char)pat[p]) ==
		    tolower((unsigned char)s[i]) : pat[p] == s[i]))) {
			p++;
			i++;
		} else if (star != SIZE_MAX) {
			p = star + 1;
			i = ++retry;
		} else
			return 0;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

int
pattern_match(const char *pattern, const char *s, int nocase)
{
	if (pattern == NULL || s == NULL)
		return 0;
	return pattern_match_len(pattern, strlen(pattern), s, strlen(s),
	    nocase);
}

/*
 * sshd lowercases the subject for host lists and not for User, hence
 * nocase.  Like sshd, an entry of 1023 bytes or more makes the whole
 * list fail: sshd copies entries into sub[1024] and gives up on one that
 * does not fit.
 */
int
pattern_match_list(const char *s, const char *list, int nocase)
{
	const char *p, *end;
	size_t len;
	int neg, ret = 0;

	if (s == NULL || list == NULL)
		return 0;
	for (p = list; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		if ((neg = *p == '!'))
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if (len >= PATTERN_SUB_MAX - 1)
			return 0;
		if (pattern_match_len(p, len, s, strlen(s), nocase)) {
			if (neg)
				return -1;
			ret = 1;
		}
	}
	return ret;
}

/* ----- addresses ----------------------------------------------------- */

/* inet_pton(3) only: dotted quads and plain IPv6, no scope. */
static int
pattern_addr_pton_strict(const char *s, struct pattern_addr *out)
{
	if (inet_pton(AF_INET, s, out->pa_a) == 1) {
		out->pa_af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->pa_a) == 1) {
		out->pa_af = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

int
pattern_addr_pton(const char *s, struct pattern_addr *out, int strict)
{
	struct addrinfo hints, *ai;
	const struct sockaddr_in6 *sin6;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -1;
	if (strict)
		return pattern_addr_pton_strict(s, out);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &ai) != 0)
		return -1;
	if (ai == NULL || ai->ai_addr == NULL) {
		if (ai != NULL)
			freeaddrinfo(ai);
		return -1;
	}
	out->pa_af = ai->ai_addr->sa_family;
	if (out->pa_af == AF_INET)
		memcpy(out->pa_a, &((const struct sockaddr_in *)(const void *)
		    ai->ai_addr)->sin_addr, 4);
	else if (out->pa_af == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
		memcpy(out->pa_a, &sin6->sin6_addr, 16);
		out->pa_scope = sin6->sin6_scope_id;
	} else
		out->pa_af = 0;
	freeaddrinfo(ai);
	return out->pa_af == 0 ? -1 : 0;
}

/*
 * An IPv4 peer on a dual-stack socket is the IPv4 address it carries:
 * sshd's ipv64_normalise_mapped(), and where the kernel connects it.
 */
int
pattern_addr_unmap(struct pattern_addr *pa)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (pa->pa_af != AF_INET6 ||
	    memcmp(pa->pa_a, mapped, sizeof(mapped)) != 0)
		return 0;
	memmove(pa->pa_a, pa->pa_a + 12, 4);
	memset(pa->pa_a + 4, 0, 12);
	pa->pa_af = AF_INET;
	pa->pa_scope = 0;
	return 1;
}

int
pattern_addr_netmatch(const struct pattern_addr *a,
    const struct pattern_addr *net, unsigned int bits)
{
	unsigned int i, nbytes = bits / 8, rem = bits % 8;
	unsigned char mask;

	if (a->pa_af != net->pa_af || a->pa_scope != net->pa_scope)
		return 0;
	if (bits > (a->pa_af == AF_INET ? 32U : 128U))
		return 0;
	for (i = 0; i < nbytes; i++)
		if (a->pa_a[i] != net->pa_a[i])
			return 0;
	if (rem == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rem));
	return (a->pa_a[nbytes] & mask) == (net->pa_a[nbytes] & mask);
}

/*
 * sshd's addr_pton_cidr() on the len bytes at entry: 0 with net/bits
 * set, -1 when the entry is not an address (it is then a glob), -2 for
 * an address with a bad mask length or with host bits set past the mask.
 */
static int
pattern_addr_cidr(const char *entry, size_t len, int strict,
    struct pattern_addr *net, unsigned int *bits)
{
	char buf[PATTERN_ADDR_MAX], *slash;
	unsigned int i, max;
	long masklen = -1;

	/* sshd's addrbuf: anything longer can only be a glob. */
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, entry, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		/* strtonum(0, INT_MAX): anything else makes it a glob. */
		if (str_to_long(slash, 0, INT_MAX, &masklen) == -1)
			return -1;
	}
	if (pattern_addr_pton(buf, net, strict) == -1)
		return -1;
	max = net->pa_af == AF_INET ? 32 : 128;
	if (masklen == -1)
		masklen = max;
	if (masklen > (long)max)
		return -2;
	*bits = (unsigned int)masklen;
	for (i = *bits; i < max; i++)
		if (net->pa_a[i / 8] & (0x80 >> (i % 8)))
			return -2;
	return 0;
}

/*
 * CIDR first, glob otherwise; a negated hit vetoes at once, and an
 * invalid entry fails the list unless a veto came first, as in sshd.
 * Entries of the list are left as written; only the peer is unmapped.
 */
int
pattern_addr_list(const char *addr, const char *list, int strict)
{
	struct pattern_addr try, net;
	char text[INET6_ADDRSTRLEN];
	const char *p, *end;
	unsigned int bits;
	size_t len, alen = 0;
	int neg, r, hit, ret = 0;

	if (list == NULL)
		return 0;
	if (addr != NULL) {
		/* An unparsable peer matches nothing, not even "*". */
		if (pattern_addr_pton(addr, &try, strict) == -1)
			return 0;
		/* Globs see the address as sshd's log lines show it. */
		if (pattern_addr_unmap(&try) && inet_ntop(AF_INET, try.pa_a,
		    text, sizeof(text)) != NULL)
			addr = text;
		alen = strlen(addr);
	}
	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		if ((neg = *p == '!'))
			p++;
		len = (size_t)(end - p);
		if (len == 0)
			return -2;
		if ((r = pattern_addr_cidr(p, len, strict, &net,
		    &bits)) == -2)
			return -2;
		if (addr != NULL) {
			hit = r == 0 ? pattern_addr_netmatch(&try, &net, bits) :
			    pattern_match_len(p, len, addr, alen, 0);
			if (hit && neg)
				return -1;
			if (hit)
				ret = 1;
		}
		if (*end == '\0')
			break;
	}
	return ret;
}

/*
 * Unlike pattern_addr_list, any bad entry fails the whole list, even
 * after a match: the list comes signed in a certificate, and sshd
 * refuses a certificate whose list it cannot read.
 */
int
pattern_addr_cidr_list(const char *addr, const char *list)
{
	struct pattern_addr try, net;
	const char *p, *end;
	unsigned int bits;
	size_t len;
	int ret = 0;

	if (list == NULL)
		return -1;
	if (addr != NULL) {
		if (pattern_addr_pton(addr, &try, 0) == -1)
			return 0;
		pattern_addr_unmap(&try);
	}
	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		/* sshd's INET6_ADDRSTRLEN + 3 and VALID_CIDR_CHARS. */
		if (len == 0 || len > INET6_ADDRSTRLEN + 3 ||
		    strspn(p, "0123456789abcdefABCDEF.:/") < len)
			return -1;
		if (pattern_addr_cidr(p, len, 1, &net, &bits) != 0)
			return -1;
		if (addr != NULL && pattern_addr_netmatch(&try, &net, bits))
			ret = 1;
		if (*end == '\0')
			break;
	}
	return ret;
}
