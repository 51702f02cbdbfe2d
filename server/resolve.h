/*
 * resolve.h: resolving a forward's target and checking every address,
 * one code path for the daemon's channels and for --explain.
 *
 *   resolve_dns_new  the evdns base, configured the same way everywhere;
 *   resolve_start    the lookup (AddressFamily, no search list);
 *   resolve_check    the per-address policy walk over the answer.
 */
#ifndef JG_RESOLVE_H
#define JG_RESOLVE_H

#include <stddef.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "policy.h"

struct config;
struct event_base;

/*
 * A base for evdns_getaddrinfo: the nameservers and options of the
 * config's ResolvConf file, no search list, and /etc/hosts.  NULL with
 * err set when the file cannot be used.
 */
struct evdns_base *resolve_dns_new(struct event_base *base,
	    const struct config *cf, char *err, size_t errlen);

/*
 * Starts the lookup of host:port for family (AF_UNSPEC, AF_INET or
 * AF_INET6).  cb may run before this returns (addresses, /etc/hosts, an
 * empty host); the request is returned only while it is still pending.
 */
struct evdns_getaddrinfo_request *resolve_start(struct evdns_base *dns,
	    const char *host, int port, int family, evdns_getaddrinfo_cb cb,
	    void *arg);

/* Told each distinct address of the answer and its verdict. */
typedef void	(*resolve_each_cb)(const struct evutil_addrinfo *ai,
		    const struct policy_result *res, void *arg);

/*
 * Checks every address of addrs in order, skipping repeats, and keeps
 * the first max that passed in allowed.  *denied receives the first
 * denial.  Returns how many were kept.
 */
int	resolve_check(const struct policy_ctx *pc,
	    const struct policy_result *byname, int port,
	    struct evutil_addrinfo *addrs, struct evutil_addrinfo **allowed,
	    int max, struct policy_result *denied, resolve_each_cb each,
	    void *arg);

#endif
