/*
 * explain.c: "jumpgate --explain", the policy answered for an operator.
 *
 *   jumpgate -f CONFIG --explain user=alice,addr=203.0.113.7,key=FILE host port
 *
 * runs the very functions the daemon runs for a channel open (the same
 * authorized_keys lookup, Match evaluation, name check, resolution and
 * per-address check) and prints the verdict with the rule, config
 * file:line or authorized_keys file:line that decided it.  Resolution is
 * blocking here: this is a command, not the event loop.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "addr.h"
#include "authkeys.h"
#include "config.h"
#include "explain.h"
#include "listen.h"
#include "log.h"
#include "policy.h"
#include "str.h"

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
	struct authkey_match match;
	struct policy_settings ps;
	struct policy_endpoint self[LISTEN_MAX_ENDPOINTS];
	struct policy_ctx pc;
	struct policy_result byname, res;
	struct addrinfo hints, *addrs = NULL, *ai;
	const char *keyfile = NULL;
	char err[CONFIG_ERR_MAX], keysrc[sizeof(match.am_file) + 16];
	char ntop[ADDR_STRLEN], via[1024] = "";
	ssh_key key = NULL;
	long port;
	int rc = EXPLAIN_ERROR, found = 0, nport, gai;

	memset(&match, 0, sizeof(match));
	memset(&ps, 0, sizeof(ps));
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
	if (!authkeys_user_known(cf->c_akfiles, cf->c_nakfiles, ci.ci_user)) {
		explain_print(0, &ci, host, port, NULL, "unknown user: none of "
		    "its AuthorizedKeysFile files exists");
		goto out;
	}
	if (authkeys_find(cf->c_akfiles, cf->c_nakfiles, ci.ci_user, key,
	    ci.ci_addr, &match) != 1) {
		explain_print(0, &ci, host, port, NULL, "authentication: no "
		    "usable line for this key (see the log lines above)");
		goto out;
	}
	found = 1;
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
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, portstr, &hints, &addrs)) != 0) {
		snprintf(err, sizeof(err), "connect_to %.100s: unknown host "
		    "(%s)", host, gai_strerror(gai));
		explain_print(0, &ci, host, port, NULL, err);
		goto out;
	}
	/* Every address the daemon would check, in the daemon's order. */
	memcpy(&res, &byname, sizeof(res));
	for (ai = addrs; ai != NULL; ai = ai->ai_next) {
		struct policy_result one;

		policy_check_addr(&pc, &byname, (int)port, ai->ai_addr, &one);
		addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &nport);
		if (one.pr_verdict != POLICY_ALLOW) {
			printf("address %s: denied by %s\n", ntop, one.pr_rule);
			if (via[0] == '\0')
				memcpy(&res, &one, sizeof(res));
			continue;
		}
		printf("address %s: allowed\n", ntop);
		if (via[0] == '\0') {
			str_lcpy(via, ntop, sizeof(via));
			memcpy(&res, byname.pr_need_addr ? &one : &byname,
			    sizeof(res));
		}
	}
	if (via[0] == '\0') {
		explain_print(0, &ci, host, port, NULL, res.pr_rule);
		goto out;
	}
	explain_print(1, &ci, host, port, via, res.pr_rule);
	rc = EXPLAIN_ALLOWED;
out:
	if (addrs != NULL)
		freeaddrinfo(addrs);
	if (found) {
		config_policy_release(&ps);
		authkeys_match_free(&match);
	}
	ssh_key_free(key);
	return rc;
}
