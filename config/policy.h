/*
 * policy.h: the forwarding decision, as pure functions with no I/O.
 *
 * Given what the key's authorized_keys line allows and what the client
 * asks for, say whether a direct-tcpip open may proceed.  Matching is
 * sshd's open_match: a case-sensitive literal host compare ("*" matches
 * any host) and a numeric port compare ("*" any port), before any DNS.
 */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include "authkeys.h"

enum policy_verdict {
	POLICY_ALLOW = 0,
	POLICY_FORWARDING_OFF,	/* "refused local port forward: ..." */
	POLICY_NOT_PERMITTED,	/* "... but the request was denied." */
};

enum policy_verdict policy_check_open(const struct authkey_opts *key,
	    const char *host, int port);

/* One permitopen entry against a request; 1 on match. */
int	policy_entry_match(const struct permit_entry *pe, const char *host,
	    int port);

#endif
