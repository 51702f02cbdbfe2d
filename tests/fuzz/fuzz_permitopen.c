/*
 * fuzz_permitopen.c: one PermitOpen entry and one Permit/DenyDestination
 * rule, the two entry grammars of jumpgate.conf.
 *
 * Beyond not crashing, what parses must be self-consistent: a PermitOpen
 * entry admits the host and port it names, a name rule matches its own
 * (stored) name, an address rule contains its own network address, and
 * ports and prefix lengths stay in range.  Any of these failing means
 * the parser stored something the policy engine reads differently.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include "config.h"
#include "fuzz.h"
#include "policy.h"

static void
fuzz_check_dest(const struct dest_rule *dr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char dotted[1100];
	size_t n;

	if (dr->dr_port_lo < 0 || dr->dr_port_hi > 65535 ||
	    dr->dr_port_lo > dr->dr_port_hi || dr->dr_text == NULL)
		abort();
	if (dr->dr_kind == DEST_NAME) {
		if (dr->dr_host == NULL || (n = strlen(dr->dr_host)) == 0 ||
		    n + 2 > sizeof(dotted))
			abort();
		/*
		 * The stored name with one trailing dot is a request the
		 * rule must match at both ends of its range; without the
		 * dot too, unless the stored name itself still ends in one
		 * ("a.." is stored "a.", and only "a.." reaches it).
		 */
		memcpy(dotted, dr->dr_host, n);
		memcpy(dotted + n, ".", 2);
		if (!policy_dest_match_name(dr, dotted, dr->dr_port_lo) ||
		    !policy_dest_match_name(dr, dotted, dr->dr_port_hi))
			abort();
		if ((dr->dr_host[n - 1] != '.' || n == 1) &&
		    !policy_dest_match_name(dr, dr->dr_host, dr->dr_port_lo))
			abort();
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (dr->dr_family == AF_INET) {
		if (dr->dr_prefix < 0 || dr->dr_prefix > 32)
			abort();
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, dr->dr_addr, 4);
	} else if (dr->dr_family == AF_INET6) {
		if (dr->dr_prefix < 0 || dr->dr_prefix > 128)
			abort();
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, dr->dr_addr, 16);
	} else
		abort();
	if (!policy_dest_match_addr(dr, (struct sockaddr *)&ss,
	    dr->dr_port_lo))
		abort();
	(void)policy_addr_special((struct sockaddr *)&ss);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct permit_entry pe;
	struct dest_rule dr;
	char *s = fuzz_string(data, size), err[CONFIG_ERR_MAX];
	int deny;

	fuzz_quiet();
	memset(&pe, 0, sizeof(pe));
	if (config_parse_permitopen(s, &pe, err, sizeof(err)) == 0) {
		if (pe.pe_host == NULL || (pe.pe_port !=
		    AUTHKEYS_PERMIT_ANY_PORT &&
		    (pe.pe_port < 1 || pe.pe_port > 65535)))
			abort();
		if (!policy_entry_match(&pe, pe.pe_host,
		    pe.pe_port == AUTHKEYS_PERMIT_ANY_PORT ? 0 : pe.pe_port))
			abort();
		free(pe.pe_host);
	}
	for (deny = 0; deny <= 1; deny++) {
		memset(&dr, 0, sizeof(dr));
		if (config_parse_dest(s, deny, &dr, err, sizeof(err)) == 0) {
			if (dr.dr_deny != deny)
				abort();
			fuzz_check_dest(&dr);
			config_dest_free(&dr);
		}
	}
	free(s);
	return 0;
}
