/*
 * pattern.h: sshd's pattern lists and address lists (OpenSSH match.c,
 * addr.c), shared by Match criteria and authorized_keys from=.
 *
 * One copy, so that "Match Address" and from= cannot drift apart: both
 * are documented by sshd as the same matcher.
 */
#ifndef JG_PATTERN_H
#define JG_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* An address reduced to what sshd compares (addr_cmp): family, bytes, scope. */
struct pattern_addr {
	int		 pa_af;
	unsigned char	 pa_a[16];
	uint32_t	 pa_scope;	/* IPv6 scope id, 0 when none */
};

/* '*' and '?' glob; 1 on match.  NULL on either side matches nothing. */
int	pattern_match(const char *pattern, const char *s, int nocase);
/* The same over the first plen/slen bytes, for callers that trim. */
int	pattern_match_len(const char *pattern, size_t plen, const char *s,
	    size_t slen, int nocase);
/* sshd's match_pattern_list: 1, 0, or -1 when a negated entry matched. */
int	pattern_match_list(const char *s, const char *list, int nocase);

/*
 * sshd's addr_pton: numeric only, scope ids kept; 0 or -1.  With strict,
 * only what inet_pton(3) takes: no "127.1", no "%scope".
 */
int	pattern_addr_pton(const char *s, struct pattern_addr *out,
	    int strict);
/* ::ffff:a.b.c.d becomes a.b.c.d; 1 when it was mapped. */
int	pattern_addr_unmap(struct pattern_addr *pa);
/* 1 when the first bits of a and net agree (family and scope too). */
int	pattern_addr_netmatch(const struct pattern_addr *a,
	    const struct pattern_addr *net, unsigned int bits);
/*
 * sshd's addr_match_list: 1 match, 0 none, -1 a negated entry matched,
 * -2 the list is invalid.  With addr NULL it only checks the list.
 * strict parses the peer and the entries as pattern_addr_pton does.
 */
int	pattern_addr_list(const char *addr, const char *list, int strict);
/*
 * sshd's addr_match_cidr_list, for a certificate's source-address: only
 * numeric CIDR entries (inet_pton(3) forms), no globs, no negation.  1
 * match, 0 none, -1 the list is invalid.  With addr NULL it only checks
 * the list.
 */
int	pattern_addr_cidr_list(const char *addr, const char *list);

#endif
