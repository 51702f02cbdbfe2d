/*
 * explain.c: "jumpgate --explain", the policy answered for an operator.
 *
 *   jumpgate -f CONFIG --explain user=alice,addr=203.0.113.7,key=FILE host port
 *
 * runs the very functions the daemon runs for a channel open (the same
 * authorized_keys lookup, Match evaluation, name check, resolution and
 * per-address check) and prints the verdict with the rule, config
 * file:line or authorized_keys file:line that decided it.  Resolution is
 * the daemon's too (resolve.c: evdns, its configuration, its walk), on
 * an event loop of our own run until the answer is in; glibc's resolver
 * would accept names evdns refuses ("127.1") and order answers its own
 * way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <libssh/libssh.h>

#include "account.h"
#include "addr.h"
#include "authkeys.h"
#include "config.h"
#include "explain.h"
#include "listen.h"
#include "log.h"
#include "policy.h"
#include "resolve.h"
#include "str.h"

/* One lookup's answer, and what the walk over it found. */
struct explain_answer {
	struct event_base	*ea_base;
	int			 ea_done;
	int			 ea_err;
	struct evutil_addrinfo	*ea_addrs;
	char			 ea_via[ADDR_STRLEN];
	struct policy_result	 ea_rule;	/* what allowed the first */
	const struct policy_result *ea_byname;
};

static void
explain_on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct explain_answer *ea = arg;

	ea->ea_done = 1;
	ea->ea_err = err;
	ea->ea_addrs = res;
	event_base_loopbreak(ea->ea_base);
}

/* One line per address, as the daemon checks them. */
static void
explain_on_addr(const struct evutil_addrinfo *ai,
    const struct policy_result *res, void *arg)
{
	struct explain_answer *ea = arg;
	char ntop[ADDR_STRLEN];
	int port;

	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	if (res->pr_verdict != POLICY_ALLOW) {
		printf("address %s: denied by %s\n", ntop, res->pr_rule);
		return;
	}
	printf("address %s: allowed\n", ntop);
	if (ea->ea_via[0] == '\0') {
		str_lcpy(ea->ea_via, ntop, sizeof(ea->ea_via));
		ea->ea_rule = ea->ea_byname->pr_need_addr ? *res :
		    *ea->ea_byname;
	}
}

static void
explain_print(int allowed, const struct config_conninfo *ci, const char *host,
    long port, const char *via, const char *rule)
{
	printf("%s: user %s from %s to %s port %ld%s%s\n",
	    allowed ? "allowed" : "denied", ci->ci_user, ci->ci_addr, host,
	    port, via ? " via " : "", via ? via : "");
	printf("rule: %s\n", rule);
}

int
explain_run(const struct config *cf, char *spec, const char *host,
    const char *portstr)
{
	struct config_conninfo ci;
	struct config_login lg;
	struct authkey_match match;
	struct policy_settings ps;
	struct policy_endpoint self[LISTEN_MAX_ENDPOINTS];
	struct policy_ctx pc;
	struct policy_result byname, denied;
	struct evutil_addrinfo *allowed[1];
	struct explain_answer ea;
	struct evdns_base *dns = NULL;
	const char *keyfile = NULL;
	char err[CONFIG_ERR_MAX], keysrc[sizeof(match.am_file) + 16];
	struct authkeys_acct acct;
	struct account ac;
	char why[512];
	ssh_key key = NULL;
	long port;
	int rc = EXPLAIN_ERROR, found = 0;

	memset(&match, 0, sizeof(match));
	memset(&ps, 0, sizeof(ps));
	memset(&ea, 0, sizeof(ea));
	memset(&ac, 0, sizeof(ac));
	if (config_parse_conninfo(spec, &ci, &keyfile, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "--explain: %s\n", err);
		goto out;
	}
	if (ci.ci_user == NULL || ci.ci_addr == NULL || keyfile == NULL) {
		fprintf(stderr, "--explain needs user=, addr= and key=\n");
		goto out;
	}
	if (str_to_long(portstr, 0, 65535, &port) == -1) {
		fprintf(stderr, "--explain: bad port %s\n", portstr);
		goto out;
	}
	if (ssh_pki_import_pubkey_file(keyfile, &key) != SSH_OK) {
		fprintf(stderr, "--explain: cannot read public key %s\n",
		    keyfile);
		goto out;
	}

	rc = EXPLAIN_DENIED;
	/* The daemon's first-request checks, in its order (auth.c). */
	account_lookup(ci.ci_user, config_access_needs_groups(cf, &ci), &ac);
	acct.aa_home = ac.ac_home;
	acct.aa_uid = ac.ac_uid;
	acct.aa_gid = ac.ac_gid;
	acct.aa_account = ac.ac_exists;
	acct.aa_strict = cf->c_strict_modes;
	if (!authkeys_user_known_home(cf->c_akfiles, cf->c_nakfiles,
	    ci.ci_user, ac.ac_home)) {
		explain_print(0, &ci, host, port, NULL, "unknown user: none of "
		    "its AuthorizedKeysFile files exists");
		goto out;
	}
	if (!account_usable(&ac, ci.ci_user, cf->c_use_pam)) {
		explain_print(0, &ci, host, port, NULL, "account: refused (see "
		    "the log line above)");
		goto out;
	}
	if (!config_access_allowed(cf, &ci, ci.ci_addr, ac.ac_groups,
	    ac.ac_ngroups, why, sizeof(why))) {
		explain_print(0, &ci, host, port, NULL, why);
		goto out;
	}
	if (authkeys_find_acct(cf->c_akfiles, cf->c_nakfiles, ci.ci_user,
	    &acct, key, NULL, ci.ci_addr, &match) != 1) {
		explain_print(0, &ci, host, port, NULL, "authentication: no "
		    "usable line for this key (see the log lines above)");
		goto out;
	}
	found = 1;
	config_effective_login(cf, &ci, &lg);
	if (!config_root_allowed(lg.lg_root, ci.ci_user)) {
		explain_print(0, &ci, host, port, NULL, "authentication: "
		    "PermitRootLogin refuses root (ROOT LOGIN REFUSED)");
		goto out;
	}
	snprintf(keysrc, sizeof(keysrc), "%s:%d", match.am_file,
	    match.am_line);

	config_effective_policy(cf, &ci, &ps);
	memset(&pc, 0, sizeof(pc));
	pc.pc_set = &ps;
	pc.pc_key = &match.am_opts;
	pc.pc_key_src = keysrc;
	pc.pc_self = self;
	pc.pc_nself = listen_endpoints(cf, self, LISTEN_MAX_ENDPOINTS);

	policy_check_name(&pc, host, (int)port, &byname);
	if (byname.pr_verdict != POLICY_ALLOW) {
		explain_print(0, &ci, host, port, NULL, byname.pr_rule);
		goto out;
	}
	rc = EXPLAIN_ERROR;
	if ((ea.ea_base = event_base_new()) == NULL) {
		fprintf(stderr, "--explain: event_base_new failed\n");
		goto out;
	}
	if ((dns = resolve_dns_new(ea.ea_base, cf, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "--explain: %s\n", err);
		goto out;
	}
	rc = EXPLAIN_DENIED;
	resolve_start(dns, host, (int)port, cf->c_address_family,
	    explain_on_resolved, &ea);
	/* Runs until the answer (a timeout is an answer too). */
	if (!ea.ea_done)
		event_base_dispatch(ea.ea_base);
	if (!ea.ea_done) {
		fprintf(stderr, "--explain: the lookup never finished\n");
		rc = EXPLAIN_ERROR;
		goto out;
	}
	if (ea.ea_err != 0) {
		snprintf(err, sizeof(err), "connect_to %.100s: unknown host "
		    "(%s)", host, evutil_gai_strerror(ea.ea_err));
		explain_print(0, &ci, host, port, NULL, err);
		goto out;
	}
	/* Every address the daemon would check, in the daemon's order. */
	ea.ea_byname = &byname;
	if (resolve_check(&pc, &byname, (int)port, ea.ea_addrs, allowed, 1,
	    &denied, explain_on_addr, &ea) == 0) {
		explain_print(0, &ci, host, port, NULL, denied.pr_rule);
		goto out;
	}
	explain_print(1, &ci, host, port, ea.ea_via, ea.ea_rule.pr_rule);
	rc = EXPLAIN_ALLOWED;
out:
	if (ea.ea_addrs != NULL)
		evutil_freeaddrinfo(ea.ea_addrs);
	if (dns != NULL)
		evdns_base_free(dns, 1);
	if (ea.ea_base != NULL)
		event_base_free(ea.ea_base);
	if (found) {
		config_policy_release(&ps);
		authkeys_match_free(&match);
	}
	ssh_key_free(key);
	account_free(&ac);
	return rc;
}
