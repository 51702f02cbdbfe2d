/*
 * resolve.c: a forward's target resolved, and every address checked.
 *
 * The daemon's channels and --explain both come here, so the operator's
 * question and the daemon's answer cannot drift apart: the same evdns
 * configuration, the same hints, the same walk over the answer.  (explain
 * once used glibc's getaddrinfo, which reads "127.1" as 127.0.0.1 where
 * evdns does not.)
 *
 * Names are resolved exactly as given: resolv.conf's search list is not
 * loaded, so "pg" is never turned into "pg.payments.internal" behind the
 * back of a DenyDestination name rule that the client's spelling dodged.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "config.h"
#include "resolve.h"

struct evdns_base *
resolve_dns_new(struct event_base *base, const struct config *cf, char *err,
    size_t errlen)
{
	struct evdns_base *dns;
	int rc;

	if ((dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) ==
	    NULL) {
		snprintf(err, errlen, "evdns_base_new failed");
		return NULL;
	}
	/*
	 * Nameservers and options only: no DNS_OPTION_SEARCH, so neither the
	 * file's "search"/"domain" lines nor the host's own domain are ever
	 * appended to a name.  No nameservers (6) leaves evdns its default,
	 * as glibc; a missing /etc/resolv.conf (1) is a bare container,
	 * where /etc/hosts still works.
	 */
	rc = evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS |
	    DNS_OPTION_MISC, cf->c_resolv_conf);
	if (rc != 0 && rc != 6 && !(rc == 1 &&
	    strcmp(cf->c_resolv_conf, CONFIG_DEFAULT_RESOLV_CONF) == 0)) {
		snprintf(err, errlen, "ResolvConf %s: %s", cf->c_resolv_conf,
		    rc == 1 ? "cannot open" : "cannot read");
		evdns_base_free(dns, 0);
		return NULL;
	}
	/*
	 * Name the file: with NULL, libevent adds its own localhost entries
	 * on top, and the daemon would resolve differently from the system.
	 */
	evdns_base_load_hosts(dns, "/etc/hosts");
	return dns;
}

struct evdns_getaddrinfo_request *
resolve_start(struct evdns_base *dns, const char *host, int port, int family,
    evdns_getaddrinfo_cb cb, void *arg)
{
	struct evutil_addrinfo hints;
	char portstr[16];

	if (host[0] == '\0') {
		/* getaddrinfo("") would mean "this host": sshd refuses. */
		cb(EVUTIL_EAI_NONAME, NULL, arg);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(portstr, sizeof(portstr), "%d", port);
	return evdns_getaddrinfo(dns, host, portstr, &hints, cb, arg);
}

/*
 * evdns can answer the same address twice (/etc/hosts and its own
 * entries); getaddrinfo does not.
 */
static int
resolve_seen(const struct evutil_addrinfo *list,
    const struct evutil_addrinfo *ai)
{
	const struct evutil_addrinfo *p;

	for (p = list; p != ai; p = p->ai_next)
		if (p->ai_addrlen == ai->ai_addrlen &&
		    memcmp(p->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

int
resolve_check(const struct policy_ctx *pc, const struct policy_result *byname,
    int port, struct evutil_addrinfo *addrs, struct evutil_addrinfo **allowed,
    int max, struct policy_result *denied, resolve_each_cb each, void *arg)
{
	struct policy_result res;
	struct evutil_addrinfo *ai;
	int n = 0, ndenied = 0;

	*denied = *byname;
	for (ai = addrs; ai != NULL; ai = ai->ai_next) {
		if (resolve_seen(addrs, ai))
			continue;
		policy_check_addr(pc, byname, port, ai->ai_addr, &res);
		if (each != NULL)
			each(ai, &res, arg);
		if (res.pr_verdict != POLICY_ALLOW) {
			/* The first denial explains a total refusal. */
			if (ndenied++ == 0)
				*denied = res;
			continue;
		}
		if (n < max)
			allowed[n++] = ai;
	}
	return n;
}
