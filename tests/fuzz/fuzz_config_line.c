/*
 * fuzz_config_line.c: jumpgate.conf lines, one input = one file.
 *
 * Each input is split into lines and fed to config_parse_line on a fresh
 * struct config, so first-value-wins, Match blocks and accumulating
 * rules all get exercised; then the effective policy for a fixed
 * connection is computed and asked about a request, so whatever the
 * parser stores is also what the policy engine reads.
 */
#include <stdio.h>

#include "config.h"
#include "fuzz.h"
#include "policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cf;
	struct config_conninfo ci = { "alice", "192.0.2.1", "192.0.2.10", 22,
	    NULL };
	struct policy_settings ps;
	struct authkey_opts key;
	struct policy_ctx pc;
	struct policy_result r;
	char *text = fuzz_string(data, size), *line, *next, err[CONFIG_ERR_MAX];
	int lineno = 0;

	fuzz_quiet();
	config_init(&cf);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* A real file stops at the first bad line. */
		if (config_parse_line(&cf, line, "fuzz.conf", ++lineno, err,
		    sizeof(err)) == -1)
			break;
	}
	config_effective_policy(&cf, &ci, &ps);
	memset(&key, 0, sizeof(key));
	key.ao_port_forwarding = 1;
	memset(&pc, 0, sizeof(pc));
	pc.pc_set = &ps;
	pc.pc_key = &key;
	policy_check_name(&pc, "db.example.com", 5432, &r);
	if (memchr(r.pr_rule, '\0', sizeof(r.pr_rule)) == NULL)
		abort();
	config_policy_release(&ps);
	config_free(&cf);
	free(text);
	return 0;
}
