/*
 * fuzz_authkeys_options.c: the options part of an authorized_keys line,
 * the one piece of input a user (not the administrator) writes.
 *
 * A line that parses must say how much it consumed within bounds, and
 * its permitopen list and from= pattern go straight on to the matchers
 * that will read them at connection time.
 */
#include <sys/socket.h>

#include "authkeys.h"
#include "fuzz.h"
#include "policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authkey_opts o;
	struct policy_ctx pc;
	struct policy_result r;
	char *s = fuzz_string(data, size), err[256];
	size_t consumed = 0;
	int i;

	fuzz_quiet();
	if (authkeys_parse_options(s, &o, &consumed, err, sizeof(err)) == 0) {
		if (consumed > strlen(s))
			abort();
		if (o.ao_npermitopen < 0 ||
		    o.ao_npermitopen > AUTHKEYS_MAX_PERMITOPEN)
			abort();
		for (i = 0; i < o.ao_npermitopen; i++) {
			if (o.ao_permitopen[i].pe_host == NULL)
				abort();
			/* An entry always admits what it names. */
			if (o.ao_permitopen[i].pe_port !=
			    AUTHKEYS_PERMIT_ANY_PORT &&
			    !policy_entry_match(&o.ao_permitopen[i],
			    o.ao_permitopen[i].pe_host,
			    o.ao_permitopen[i].pe_port))
				abort();
		}
		if (o.ao_from != NULL) {
			(void)authkeys_match_from(o.ao_from, "192.0.2.1");
			(void)authkeys_match_from(o.ao_from, "2001:db8::1");
		}
		memset(&pc, 0, sizeof(pc));
		pc.pc_key = &o;
		pc.pc_key_src = "fuzz:1";
		policy_check_name(&pc, "db.example.com", 5432, &r);
		if (!o.ao_port_forwarding &&
		    r.pr_verdict != POLICY_FORWARDING_OFF)
			abort();
	} else if (err[0] == '\0')
		abort();
	authkeys_opts_free(&o);
	free(s);
	return 0;
}
