/*
 * fuzz_match.c: the matchers on their own, with both sides hostile.
 *
 * The input is "pattern NUL subject" (or the whole input twice when
 * there is no NUL): the pattern is used as a glob, a from= list and a
 * destination rule; the subject as a host name, a client address, and,
 * through its first bytes, a raw IPv4/IPv6 address to match rules and
 * the special-address test against.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include "authkeys.h"
#include "config.h"
#include "fuzz.h"
#include "policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct dest_rule dr;
	char *buf = fuzz_string(data, size), *pat = buf, *subj, err[256];
	size_t plen = strlen(buf);
	int port = size > 0 ? data[size - 1] * 257 : 0, r;

	fuzz_quiet();
	/* fuzz_string copied everything, the NUL and what follows too. */
	subj = plen < size ? buf + plen + 1 : buf;
	(void)policy_glob(pat, subj, 0);
	(void)policy_glob(pat, subj, 1);
	/* Everything matches "*"; a string without '*' '?' matches itself. */
	if (!policy_glob("*", subj, 0) ||
	    (strpbrk(subj, "*?") == NULL && !policy_glob(subj, subj, 0)))
		abort();
	r = authkeys_match_from(pat, "192.0.2.1");
	if (r < -2 || r > 1)
		abort();
	(void)authkeys_match_from(pat, "2001:db8::1");
	(void)authkeys_match_from(pat, "::ffff:10.0.0.1");
	(void)authkeys_match_from(pat, subj);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, subj, strlen(subj) < 4 ? strlen(subj) : 4);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, subj, strlen(subj) < 16 ? strlen(subj) : 16);
	(void)policy_addr_special((struct sockaddr *)&sin);
	(void)policy_addr_special((struct sockaddr *)&sin6);

	memset(&dr, 0, sizeof(dr));
	if (config_parse_dest(pat, 0, &dr, err, sizeof(err)) == 0) {
		(void)policy_dest_match_name(&dr, subj, port);
		(void)policy_dest_match_addr(&dr, (struct sockaddr *)&sin,
		    port);
		(void)policy_dest_match_addr(&dr, (struct sockaddr *)&sin6,
		    port);
		config_dest_free(&dr);
	}
	free(buf);
	return 0;
}
