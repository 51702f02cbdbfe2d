/*
 * test_policy.c: the forwarding decision for one direct-tcpip open.
 *
 * Table-driven: each row names a fixture (configuration lines as
 * jumpgate.conf would hold them, an authorized_keys option string and our
 * listening endpoints), a request, optionally the address it resolved
 * to, and the exact verdict plus a piece of pr_rule, so a row reads like
 * the question an operator asks with --explain.  The fixture builder
 * applies config's rules (first value wins, rules accumulate) itself, so
 * these tests do not depend on the config parser's own tests.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <libssh/libssh.h>

#include "authkeys.h"
#include "policy.h"
#include "testutil.h"

#define KEYSRC	"/home/alice/.ssh/authorized_keys:3"

/* ----- fixtures ---------------------------------------------------- */

struct fixture {
	const char	*conf[6];	/* "Keyword args", line N+1 */
	const char	*key;		/* authorized_keys options */
	const char	*self[4];	/* "addr port" we listen on */
};

enum {
	FX_DEFAULT, FX_ATF_NO, FX_ATF_REMOTE, FX_ATF_LOCAL, FX_ATF_ALL,
	FX_ATF_YES, FX_ATF_FIRST_NO, FX_ATF_FIRST_YES, FX_DIS, FX_DIS_NO,
	FX_DIS_ATF, FX_K_NOPF, FX_K_RESTRICT, FX_K_RESTRICT_PF,
	FX_K_PF_RESTRICT, FX_K_NOPF_PF, FX_K_RESTRICT_PO, FX_K_RESTRICT_PF_PO,
	FX_K_PO_LOCALHOST, FX_K_PO_V6, FX_K_PO_STAR, FX_K_PO_ANYPORT,
	FX_K_PO_TWO, FX_K_PO_METADATA, FX_A_ANY, FX_A_NONE, FX_A_LIST,
	FX_A_FIRST, FX_A_STAR, FX_X_INTERSECT, FX_X_STARS, FX_X_NONE_KEY,
	FX_D_NAME, FX_P_NAME, FX_P_ADDR, FX_P_BOTH, FX_DENY_FIRST, FX_RANGE,
	FX_SELF, FX_SELF_OFF, FX_SPECIAL_OFF, FX_SPECIAL_FIRST, FX_P_MAPPED,
	FX_D_LOOP, FX_P_SPECIAL_ADDR, FX_P_METADATA_NAME, FX_A_SELF_NAME,
	FX_P_V6, FX_K_PO_META_ADDR, FX_K_PO_SELF, FX_X_PO_SELF,
};

static const struct fixture fixtures[] = {
	[FX_DEFAULT] = { { NULL }, "", { NULL } },
	[FX_ATF_NO] = { { "AllowTcpForwarding no" }, "", { NULL } },
	[FX_ATF_REMOTE] = { { "AllowTcpForwarding remote" }, "", { NULL } },
	[FX_ATF_LOCAL] = { { "AllowTcpForwarding local" }, "", { NULL } },
	[FX_ATF_ALL] = { { "AllowTcpForwarding all" }, "", { NULL } },
	[FX_ATF_YES] = { { "AllowTcpForwarding yes" }, "", { NULL } },
	[FX_ATF_FIRST_NO] = { { "AllowTcpForwarding no",
	    "AllowTcpForwarding yes" }, "", { NULL } },
	[FX_ATF_FIRST_YES] = { { "AllowTcpForwarding yes",
	    "AllowTcpForwarding no" }, "", { NULL } },
	[FX_DIS] = { { "DisableForwarding yes" }, "", { NULL } },
	[FX_DIS_NO] = { { "DisableForwarding no" }, "", { NULL } },
	[FX_DIS_ATF] = { { "AllowTcpForwarding yes", "PermitOpen *:*",
	    "DisableForwarding yes" }, "permitopen=\"h:1\"", { NULL } },
	[FX_K_NOPF] = { { NULL }, "no-port-forwarding", { NULL } },
	[FX_K_RESTRICT] = { { NULL }, "restrict", { NULL } },
	[FX_K_RESTRICT_PF] = { { NULL }, "restrict,port-forwarding", { NULL } },
	[FX_K_PF_RESTRICT] = { { NULL }, "port-forwarding,restrict", { NULL } },
	[FX_K_NOPF_PF] = { { NULL }, "no-port-forwarding,port-forwarding",
	    { NULL } },
	[FX_K_RESTRICT_PO] = { { NULL }, "restrict,permitopen=\"h:1\"",
	    { NULL } },
	[FX_K_RESTRICT_PF_PO] = { { NULL },
	    "restrict,port-forwarding,permitopen=\"h:1\"", { NULL } },
	[FX_K_PO_LOCALHOST] = { { NULL }, "permitopen=\"localhost:22\"",
	    { NULL } },
	[FX_K_PO_V6] = { { NULL }, "permitopen=\"[::1]:2300\"", { NULL } },
	[FX_K_PO_STAR] = { { NULL }, "permitopen=\"*:22\"", { NULL } },
	[FX_K_PO_ANYPORT] = { { NULL }, "PERMITOPEN=\"h:*\"", { NULL } },
	[FX_K_PO_TWO] = { { NULL }, "permitopen=\"a:1\",permitopen=\"b:2\"",
	    { NULL } },
	[FX_K_PO_METADATA] = { { NULL },
	    "permitopen=\"metadata.google.internal:80\",permitopen=\"*:81\"",
	    { NULL } },
	[FX_A_ANY] = { { "PermitOpen any" }, "", { NULL } },
	[FX_A_NONE] = { { "PermitOpen none" }, "", { NULL } },
	[FX_A_LIST] = { { "PermitOpen db:5432 [::1]:22 127.0.0.1:80" }, "",
	    { NULL } },
	[FX_A_FIRST] = { { "PermitOpen a:1", "PermitOpen b:2" }, "",
	    { NULL } },
	[FX_A_STAR] = { { "PermitOpen *:443 db:*" }, "", { NULL } },
	[FX_X_INTERSECT] = { { "PermitOpen a:1 b:2" },
	    "permitopen=\"b:2\",permitopen=\"c:3\"", { NULL } },
	[FX_X_STARS] = { { "PermitOpen *:443" }, "permitopen=\"web:*\"",
	    { NULL } },
	[FX_X_NONE_KEY] = { { "PermitOpen none" }, "permitopen=\"h:1\"",
	    { NULL } },
	[FX_D_NAME] = { { "DenyDestination *.internal:*",
	    "DenyDestination secret.example.com:22",
	    "DenyDestination db?.corp:5432" }, "", { NULL } },
	[FX_P_NAME] = { { "PermitDestination db.example.com:5432",
	    "PermitDestination *.web.example.com:80-443" }, "", { NULL } },
	[FX_P_ADDR] = { { "PermitDestination 10.0.0.0/8:*",
	    "PermitDestination [2001:db8::/32]:443",
	    "PermitDestination db.example.com:5432" }, "", { NULL } },
	[FX_P_BOTH] = { { "PermitOpen db.example.com:5432",
	    "PermitDestination *.example.com:*" },
	    "permitopen=\"db.example.com:5432\"", { NULL } },
	[FX_DENY_FIRST] = { { "PermitDestination *:*",
	    "PermitDestination 0.0.0.0/0:*",
	    "DenyDestination evil.example.com:*",
	    "DenyDestination 10.1.0.0/16:*",
	    "DenyDestination [2001:db8:bad::/48]:*" }, "", { NULL } },
	[FX_RANGE] = { { "PermitDestination h:1000-2000",
	    "DenyDestination h:1500-1500" }, "", { NULL } },
	[FX_SELF] = { { NULL }, "", { "0.0.0.0 2222", "192.0.2.10 22",
	    ":: 3333", "::ffff:198.51.100.7 4444" } },
	[FX_SELF_OFF] = { { "DenySpecialDestinations no" }, "",
	    { "0.0.0.0 2222" } },
	[FX_SPECIAL_OFF] = { { "DenySpecialDestinations no" }, "", { NULL } },
	[FX_SPECIAL_FIRST] = { { "DenySpecialDestinations yes",
	    "DenySpecialDestinations no" }, "", { NULL } },
	[FX_P_MAPPED] = { { "PermitDestination [::ffff:10.0.0.0/104]:*" }, "",
	    { NULL } },
	[FX_D_LOOP] = { { "DenyDestination 127.0.0.0/8:*",
	    "DenyDestination [::1]:*", "DenyDestination localhost:*" }, "",
	    { NULL } },
	[FX_P_SPECIAL_ADDR] = { { "PermitDestination 169.254.0.0/16:*" }, "",
	    { NULL } },
	[FX_P_METADATA_NAME] = { {
	    "PermitDestination metadata.google.internal:80",
	    "PermitDestination 0.0.0.0/0:*" }, "", { "0.0.0.0 80" } },
	[FX_A_SELF_NAME] = { { "PermitOpen localhost:2222 *:2222" }, "",
	    { "0.0.0.0 2222" } },
	[FX_P_V6] = { { "PermitDestination [fe80::/10]:*",
	    "PermitDestination [::/0]:22" }, "", { NULL } },
	[FX_K_PO_META_ADDR] = { { NULL }, "permitopen=\"169.254.169.254:80\"",
	    { NULL } },
	[FX_K_PO_SELF] = { { NULL }, "permitopen=\"127.0.0.1:2222\"",
	    { "0.0.0.0 2222" } },
	[FX_X_PO_SELF] = { { "PermitOpen 127.0.0.1:2222" },
	    "permitopen=\"127.0.0.1:2222\"", { "0.0.0.0 2222" } },
};

#define MAXE	8

/* What the builder made: settings, key options, endpoints. */
struct built {
	struct policy_settings	 ps;
	struct permit_entry	 po[MAXE];
	struct dest_rule	 permit[MAXE], deny[MAXE];
	char			 src[6][32];
	struct authkey_opts	 key;
	struct policy_endpoint	 self[4];
	struct policy_ctx	 pc;
};

static void
tp_rule(const char *s, int deny, struct dest_rule *dr, int line)
{
	char buf[256], *host, *ports, *slash, *dash;
	unsigned int i, max;

	memset(dr, 0, sizeof(*dr));
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == '[') {
		host = buf + 1;
		assert_non_null(ports = strchr(host, ']'));
		*ports++ = '\0';
	} else {
		host = buf;
		assert_non_null(ports = strrchr(host, ':'));
	}
	assert_int_equal(*ports, ':');
	*ports++ = '\0';
	if (strcmp(ports, "*") == 0) {
		dr->dr_port_lo = 0;
		dr->dr_port_hi = 65535;
	} else {
		dr->dr_port_lo = dr->dr_port_hi = atoi(ports);
		if ((dash = strchr(ports, '-')) != NULL)
			dr->dr_port_hi = atoi(dash + 1);
	}
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	dr->dr_kind = DEST_ADDR;
	if (inet_pton(AF_INET, host, dr->dr_addr) == 1)
		dr->dr_family = AF_INET;
	else if (inet_pton(AF_INET6, host, dr->dr_addr) == 1)
		dr->dr_family = AF_INET6;
	else {
		/* As config stores names: lowercase, no trailing dot. */
		dr->dr_kind = DEST_NAME;
		for (i = 0; host[i] != '\0'; i++)
			host[i] = (char)tolower((unsigned char)host[i]);
		if (i > 1 && host[i - 1] == '.')
			host[i - 1] = '\0';
		dr->dr_host = strdup(host);
	}
	max = dr->dr_family == AF_INET ? 32 : 128;
	dr->dr_prefix = slash != NULL ? atoi(slash) : (int)max;
	for (i = (unsigned int)dr->dr_prefix; dr->dr_kind == DEST_ADDR &&
	    i < max; i++)
		dr->dr_addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
	dr->dr_deny = deny;
	dr->dr_text = strdup(s);
	dr->dr_file = "jumpgate.conf";
	dr->dr_line = line;
}

static void
tp_entry(const char *s, struct permit_entry *pe)
{
	char buf[256], *host = buf, *port;

	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[0] == '[') {
		host++;
		assert_non_null(port = strchr(host, ']'));
		*port++ = '\0';
	} else
		assert_non_null(port = strrchr(host, ':'));
	*port++ = '\0';
	pe->pe_host = strdup(host);
	pe->pe_port = strcmp(port, "*") == 0 ? AUTHKEYS_PERMIT_ANY_PORT :
	    atoi(port);
}

static int
tp_yes(const char *v)
{
	return strcasecmp(v, "yes") == 0;
}

/* Applies the fixture's lines as config would: the first value wins. */
static void
tp_build(const struct fixture *fx, struct built *b)
{
	struct policy_settings *ps = &b->ps;
	char line[256], *kw, *arg, *save = NULL, *sp;
	char err[128], host[64];
	int i, port;
	static const char *fwd[] = { "all", "local", "remote", "no" };

	memset(b, 0, sizeof(*b));
	ps->ps_allow_tcp = ps->ps_disable = ps->ps_deny_special = -1;
	ps->ps_permitopen = b->po;
	ps->ps_permit = b->permit;
	ps->ps_deny = b->deny;
	for (i = 0; i < 6 && fx->conf[i] != NULL; i++) {
		snprintf(b->src[i], sizeof(b->src[i]), "jumpgate.conf:%d", i + 1);
		snprintf(line, sizeof(line), "%s", fx->conf[i]);
		kw = line;
		arg = line + strcspn(line, " ");
		*arg++ = '\0';
		if (strcasecmp(kw, "AllowTcpForwarding") == 0) {
			if (ps->ps_allow_tcp != -1)
				continue;
			ps->ps_allow_tcp = strcasecmp(arg, "yes") == 0 ?
			    POLICY_FWD_ALL : -1;
			for (port = 0; port < 4; port++)
				if (strcasecmp(arg, fwd[port]) == 0)
					ps->ps_allow_tcp = port;
			ps->ps_allow_tcp_src = b->src[i];
		} else if (strcasecmp(kw, "DisableForwarding") == 0) {
			if (ps->ps_disable != -1)
				continue;
			ps->ps_disable = tp_yes(arg);
			ps->ps_disable_src = b->src[i];
		} else if (strcasecmp(kw, "DenySpecialDestinations") == 0) {
			if (ps->ps_deny_special != -1)
				continue;
			ps->ps_deny_special = tp_yes(arg);
			ps->ps_deny_special_src = b->src[i];
		} else if (strcasecmp(kw, "PermitOpen") == 0) {
			if (ps->ps_permitopen_set)
				continue;
			ps->ps_permitopen_set = 1;
			ps->ps_permitopen_src = b->src[i];
			if (strcmp(arg, "none") == 0)
				ps->ps_permitopen_none = 1;
			else if (strcmp(arg, "any") != 0)
				for (sp = strtok_r(arg, " ", &save); sp != NULL;
				    sp = strtok_r(NULL, " ", &save))
					tp_entry(sp, &b->po[ps->ps_npermitopen++]);
		} else if (strcasecmp(kw, "PermitDestination") == 0)
			tp_rule(arg, 0, &b->permit[ps->ps_npermit++], i + 1);
		else if (strcasecmp(kw, "DenyDestination") == 0)
			tp_rule(arg, 1, &b->deny[ps->ps_ndeny++], i + 1);
		else
			fail_msg("fixture: unknown keyword %s", kw);
	}
	if (authkeys_parse_options(fx->key, &b->key, NULL, err,
	    sizeof(err)) != 0)
		fail_msg("fixture key \"%s\": %s", fx->key, err);
	for (i = 0; i < 4 && fx->self[i] != NULL; i++) {
		assert_int_equal(sscanf(fx->self[i], "%63s %d", host, &port), 2);
		b->self[i].pe_port = port;
		b->self[i].pe_family = strchr(host, ':') ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(b->self[i].pe_family, host,
		    b->self[i].pe_addr), 1);
	}
	b->pc.pc_set = ps;
	b->pc.pc_key = &b->key;
	b->pc.pc_key_src = KEYSRC;
	b->pc.pc_self = b->self;
	b->pc.pc_nself = i;
}

static void
tp_free(struct built *b)
{
	int i;

	for (i = 0; i < b->ps.ps_npermitopen; i++)
		free(b->po[i].pe_host);
	for (i = 0; i < b->ps.ps_npermit; i++) {
		free(b->permit[i].dr_host);
		free(b->permit[i].dr_text);
	}
	for (i = 0; i < b->ps.ps_ndeny; i++) {
		free(b->deny[i].dr_host);
		free(b->deny[i].dr_text);
	}
	authkeys_opts_free(&b->key);
}

static void
tp_sockaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	}
}

/* ----- the table --------------------------------------------------- */

#define ALLOW	POLICY_ALLOW
#define OFF	POLICY_FORWARDING_OFF
#define NOTP	POLICY_NOT_PERMITTED
#define DENY	POLICY_DENIED

#define SPECIAL	"DenySpecialDestinations: link-local or metadata address"
#define SELF	"DenySpecialDestinations: jumpgate's own listener"
#define NOPERM	"no PermitDestination rule matched"
#define DEFOK	"default: forwarding allowed"

struct policy_case {
	const char		*what;
	int			 fx;
	const char		*host;
	int			 port;
	const char		*addr;	/* resolved to, or NULL: phase 1 only */
	enum policy_verdict	 want;
	const char		*rule;	/* must occur in pr_rule */
};

static const struct policy_case cases[] = {
	/* The switches. */
	{ "defaults allow", FX_DEFAULT, "example.com", 22, NULL, ALLOW, DEFOK },
	{ "defaults allow v6 host", FX_DEFAULT, "::1", 65535, NULL, ALLOW,
	    DEFOK },
	{ "defaults allow after DNS", FX_DEFAULT, "example.com", 443,
	    "93.184.216.34", ALLOW, DEFOK },
	{ "ATF no", FX_ATF_NO, "h", 1, NULL, OFF,
	    "jumpgate.conf:1: AllowTcpForwarding no" },
	{ "ATF remote", FX_ATF_REMOTE, "h", 1, NULL, OFF,
	    "jumpgate.conf:1: AllowTcpForwarding remote" },
	{ "ATF local", FX_ATF_LOCAL, "h", 1, NULL, ALLOW, DEFOK },
	{ "ATF all", FX_ATF_ALL, "h", 1, NULL, ALLOW, DEFOK },
	{ "ATF yes", FX_ATF_YES, "h", 1, NULL, ALLOW, DEFOK },
	{ "ATF first no wins", FX_ATF_FIRST_NO, "h", 1, NULL, OFF,
	    "jumpgate.conf:1: AllowTcpForwarding no" },
	{ "ATF first yes wins", FX_ATF_FIRST_YES, "h", 1, NULL, ALLOW, DEFOK },
	{ "DisableForwarding yes", FX_DIS, "h", 1, NULL, OFF,
	    "jumpgate.conf:1: DisableForwarding yes" },
	{ "DisableForwarding no", FX_DIS_NO, "h", 1, NULL, ALLOW, DEFOK },
	{ "DisableForwarding beats all", FX_DIS_ATF, "h", 1, NULL, OFF,
	    "jumpgate.conf:3: DisableForwarding yes" },
	/* The key's flag, left to right. */
	{ "no-port-forwarding", FX_K_NOPF, "h", 1, NULL, OFF,
	    KEYSRC ": no-port-forwarding" },
	{ "restrict", FX_K_RESTRICT, "h", 1, NULL, OFF,
	    KEYSRC ": no-port-forwarding/restrict" },
	{ "restrict,port-forwarding", FX_K_RESTRICT_PF, "h", 1, NULL, ALLOW,
	    DEFOK },
	{ "port-forwarding,restrict", FX_K_PF_RESTRICT, "h", 1, NULL, OFF,
	    "restrict" },
	{ "no-pf,pf", FX_K_NOPF_PF, "h", 1, NULL, ALLOW, DEFOK },
	{ "restrict,permitopen", FX_K_RESTRICT_PO, "h", 1, NULL, OFF,
	    KEYSRC },
	{ "restrict,pf,permitopen hit", FX_K_RESTRICT_PF_PO, "h", 1, NULL,
	    ALLOW, KEYSRC ": permitopen=\"h:1\"" },
	{ "restrict,pf,permitopen port", FX_K_RESTRICT_PF_PO, "h", 2, NULL,
	    NOTP, KEYSRC ": no permitopen entry of the key matched" },
	{ "restrict,pf,permitopen host", FX_K_RESTRICT_PF_PO, "H", 1, NULL,
	    NOTP, KEYSRC },
	/* Key permitopen is sshd's open_match: literal, case-sensitive. */
	{ "key localhost", FX_K_PO_LOCALHOST, "localhost", 22, NULL, ALLOW,
	    "permitopen=\"localhost:22\"" },
	{ "key LOCALHOST", FX_K_PO_LOCALHOST, "LOCALHOST", 22, NULL, NOTP,
	    KEYSRC },
	{ "key localhost.", FX_K_PO_LOCALHOST, "localhost.", 22, NULL, NOTP,
	    KEYSRC },
	{ "key localhost vs 127.0.0.1", FX_K_PO_LOCALHOST, "127.0.0.1", 22,
	    NULL, NOTP, KEYSRC },
	{ "key localhost wrong port", FX_K_PO_LOCALHOST, "localhost", 23,
	    NULL, NOTP, KEYSRC },
	{ "key [::1] as ::1", FX_K_PO_V6, "::1", 2300, NULL, ALLOW,
	    "permitopen=\"[::1]:2300\"" },
	{ "key [::1] as [::1]", FX_K_PO_V6, "[::1]", 2300, NULL, NOTP,
	    KEYSRC },
	{ "key [::1] long form", FX_K_PO_V6, "0:0:0:0:0:0:0:1", 2300, NULL,
	    NOTP, KEYSRC },
	{ "key *:22 any host", FX_K_PO_STAR, "anything.example", 22, NULL,
	    ALLOW, "permitopen=\"*:22\"" },
	{ "key *:22 other port", FX_K_PO_STAR, "anything.example", 23, NULL,
	    NOTP, KEYSRC },
	{ "key h:* high port", FX_K_PO_ANYPORT, "h", 65535, NULL, ALLOW,
	    "permitopen=\"h:*\"" },
	{ "key h:* port 0", FX_K_PO_ANYPORT, "h", 0, NULL, ALLOW,
	    "permitopen=\"h:*\"" },
	{ "key h:* other host", FX_K_PO_ANYPORT, "g", 1, NULL, NOTP, KEYSRC },
	{ "key two, second", FX_K_PO_TWO, "b", 2, NULL, ALLOW,
	    "permitopen=\"b:2\"" },
	{ "key two, first", FX_K_PO_TWO, "a", 1, NULL, ALLOW,
	    "permitopen=\"a:1\"" },
	{ "key two, crossed", FX_K_PO_TWO, "a", 2, NULL, NOTP, KEYSRC },
	/* Admin PermitOpen. */
	{ "PermitOpen any", FX_A_ANY, "x", 9, NULL, ALLOW, DEFOK },
	{ "PermitOpen none", FX_A_NONE, "x", 9, NULL, NOTP,
	    "jumpgate.conf:1: PermitOpen none" },
	{ "PermitOpen none, star", FX_A_NONE, "*", 9, NULL, NOTP,
	    "PermitOpen none" },
	{ "PermitOpen db", FX_A_LIST, "db", 5432, NULL, ALLOW,
	    "jumpgate.conf:1: PermitOpen db:5432" },
	{ "PermitOpen DB", FX_A_LIST, "DB", 5432, NULL, NOTP,
	    "jumpgate.conf:1: no PermitOpen entry matched" },
	{ "PermitOpen db.", FX_A_LIST, "db.", 5432, NULL, NOTP, "PermitOpen" },
	{ "PermitOpen [::1]", FX_A_LIST, "::1", 22, NULL, ALLOW,
	    "PermitOpen [::1]:22" },
	{ "PermitOpen ::1 long", FX_A_LIST, "0:0:0:0:0:0:0:1", 22, NULL, NOTP,
	    "PermitOpen" },
	{ "PermitOpen 127.0.0.1", FX_A_LIST, "127.0.0.1", 80, NULL, ALLOW,
	    "PermitOpen 127.0.0.1:80" },
	{ "PermitOpen 127.1", FX_A_LIST, "127.1", 80, NULL, NOTP,
	    "PermitOpen" },
	{ "PermitOpen localhost", FX_A_LIST, "localhost", 80, NULL, NOTP,
	    "PermitOpen" },
	{ "PermitOpen first line wins", FX_A_FIRST, "a", 1, NULL, ALLOW,
	    "jumpgate.conf:1: PermitOpen a:1" },
	{ "PermitOpen second ignored", FX_A_FIRST, "b", 2, NULL, NOTP,
	    "jumpgate.conf:1:" },
	{ "PermitOpen *:443", FX_A_STAR, "anything", 443, NULL, ALLOW,
	    "PermitOpen *:443" },
	{ "PermitOpen *:443 port", FX_A_STAR, "anything", 444, NULL, NOTP,
	    "PermitOpen" },
	{ "PermitOpen db:*", FX_A_STAR, "db", 1, NULL, ALLOW,
	    "PermitOpen db:*" },
	/* The two lists intersect. */
	{ "both lists", FX_X_INTERSECT, "b", 2, NULL, ALLOW,
	    "PermitOpen b:2" },
	{ "admin only", FX_X_INTERSECT, "a", 1, NULL, NOTP,
	    KEYSRC ": no permitopen entry of the key matched" },
	{ "key only", FX_X_INTERSECT, "c", 3, NULL, NOTP,
	    "jumpgate.conf:1: no PermitOpen entry matched" },
	{ "neither", FX_X_INTERSECT, "d", 4, NULL, NOTP, KEYSRC },
	{ "key host, admin port", FX_X_STARS, "web", 443, NULL, ALLOW,
	    "PermitOpen *:443" },
	{ "key host, other port", FX_X_STARS, "web", 80, NULL, NOTP,
	    "no PermitOpen entry matched" },
	{ "other host, admin port", FX_X_STARS, "api", 443, NULL, NOTP,
	    KEYSRC },
	{ "none beats the key", FX_X_NONE_KEY, "h", 1, NULL, NOTP,
	    "PermitOpen none" },
	/* DenyDestination names: case, dot and glob do not dodge it. */
	{ "deny glob", FX_D_NAME, "db.internal", 5432, NULL, DENY,
	    "jumpgate.conf:1: DenyDestination *.internal:*" },
	{ "deny glob upper", FX_D_NAME, "DB.INTERNAL", 5432, NULL, DENY,
	    "DenyDestination *.internal:*" },
	{ "deny glob dot", FX_D_NAME, "db.internal.", 1, NULL, DENY,
	    "DenyDestination *.internal" },
	{ "deny glob two dots", FX_D_NAME, "db.internal..", 1, NULL, ALLOW,
	    DEFOK },
	{ "deny glob bare", FX_D_NAME, "internal", 1, NULL, ALLOW, DEFOK },
	{ "deny glob suffix", FX_D_NAME, "db.internal.example.com", 1, NULL,
	    ALLOW, DEFOK },
	{ "deny exact", FX_D_NAME, "secret.example.com", 22, NULL, DENY,
	    "jumpgate.conf:2: DenyDestination secret.example.com:22" },
	{ "deny exact mixed", FX_D_NAME, "SeCrEt.Example.COM.", 22, NULL,
	    DENY, "jumpgate.conf:2:" },
	{ "deny exact other port", FX_D_NAME, "secret.example.com", 23, NULL,
	    ALLOW, DEFOK },
	{ "deny exact prefix", FX_D_NAME, "xsecret.example.com", 22, NULL,
	    ALLOW, DEFOK },
	{ "deny exact short", FX_D_NAME, "secret.example.co", 22, NULL,
	    ALLOW, DEFOK },
	{ "deny ?", FX_D_NAME, "db1.corp", 5432, NULL, DENY,
	    "DenyDestination db?.corp:5432" },
	{ "deny ? upper", FX_D_NAME, "DBX.CORP", 5432, NULL, DENY, "db?.corp" },
	{ "deny ? two chars", FX_D_NAME, "db12.corp", 5432, NULL, ALLOW,
	    DEFOK },
	{ "deny ? none", FX_D_NAME, "db.corp", 5432, NULL, ALLOW, DEFOK },
	/* PermitDestination by name. */
	{ "permit name", FX_P_NAME, "db.example.com", 5432, NULL, ALLOW,
	    "jumpgate.conf:1: PermitDestination db.example.com:5432" },
	{ "permit name case", FX_P_NAME, "DB.Example.com", 5432, NULL, ALLOW,
	    "PermitDestination db.example.com" },
	{ "permit name dot", FX_P_NAME, "db.example.com.", 5432, NULL, ALLOW,
	    "PermitDestination db.example.com" },
	{ "permit name port", FX_P_NAME, "db.example.com", 5433, NULL, DENY,
	    NOPERM },
	{ "permit other", FX_P_NAME, "www.example.com", 80, NULL, DENY,
	    NOPERM },
	{ "permit glob lo", FX_P_NAME, "a.web.example.com", 80, NULL, ALLOW,
	    "jumpgate.conf:2: PermitDestination *.web.example.com:80-443" },
	{ "permit glob hi", FX_P_NAME, "a.b.web.example.com", 443, NULL,
	    ALLOW, "*.web.example.com" },
	{ "permit glob below", FX_P_NAME, "a.web.example.com", 79, NULL, DENY,
	    NOPERM },
	{ "permit glob above", FX_P_NAME, "a.web.example.com", 444, NULL,
	    DENY, NOPERM },
	{ "permit name, addr ignored", FX_P_NAME, "db.example.com", 5432,
	    "10.9.9.9", ALLOW, "PermitDestination db.example.com:5432" },
	{ "permit IP literal as name", FX_P_NAME, "10.0.0.1", 5432, NULL,
	    DENY, NOPERM },
	/* PermitDestination by address: phase 2 decides. */
	{ "addr pending", FX_P_ADDR, "app.example.com", 80, NULL, ALLOW,
	    "decide after resolution" },
	{ "addr v4 in", FX_P_ADDR, "app.example.com", 80, "10.2.3.4", ALLOW,
	    "jumpgate.conf:1: PermitDestination 10.0.0.0/8:*" },
	{ "addr v4 edge lo", FX_P_ADDR, "h", 1, "10.0.0.0", ALLOW,
	    "10.0.0.0/8" },
	{ "addr v4 edge hi", FX_P_ADDR, "h", 1, "10.255.255.255", ALLOW,
	    "10.0.0.0/8" },
	{ "addr v4 out", FX_P_ADDR, "h", 80, "11.0.0.1", DENY, NOPERM },
	{ "addr v4 out below", FX_P_ADDR, "h", 80, "9.255.255.255", DENY,
	    NOPERM },
	{ "addr v4 mapped in", FX_P_ADDR, "h", 80, "::ffff:10.1.1.1", ALLOW,
	    "10.0.0.0/8" },
	{ "addr v4 mapped out", FX_P_ADDR, "h", 80, "::ffff:11.1.1.1", DENY,
	    NOPERM },
	{ "addr v4 compat is not v4", FX_P_ADDR, "h", 80, "::10.1.1.1", DENY,
	    NOPERM },
	{ "addr v6 in", FX_P_ADDR, "h", 443, "2001:db8::5", ALLOW,
	    "jumpgate.conf:2: PermitDestination [2001:db8::/32]:443" },
	{ "addr v6 in long", FX_P_ADDR, "h", 443,
	    "2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff", ALLOW, "2001:db8::/32" },
	{ "addr v6 port", FX_P_ADDR, "h", 80, "2001:db8::5", DENY, NOPERM },
	{ "addr v6 out", FX_P_ADDR, "h", 443, "2001:db9::", DENY, NOPERM },
	{ "addr name wins", FX_P_ADDR, "db.example.com", 5432, "192.0.2.1",
	    ALLOW, "PermitDestination db.example.com:5432" },
	{ "addr name wrong port", FX_P_ADDR, "db.example.com", 5433,
	    "192.0.2.1", DENY, NOPERM },
	{ "addr mapped rule", FX_P_MAPPED, "h", 1, "10.9.9.9", ALLOW,
	    "[::ffff:10.0.0.0/104]" },
	{ "addr mapped rule mapped", FX_P_MAPPED, "h", 1, "::ffff:10.9.9.9",
	    ALLOW, "[::ffff:10.0.0.0/104]" },
	{ "addr mapped rule out", FX_P_MAPPED, "h", 1, "11.9.9.9", DENY,
	    NOPERM },
	{ "addr v6 rule, v6 any", FX_P_V6, "h", 22, "2001:db8::1", ALLOW,
	    "[::/0]:22" },
	{ "addr ::/0 not v4", FX_P_V6, "h", 22, "192.0.2.1", DENY, NOPERM },
	/* Deny before allow, by name and by address. */
	{ "deny name over permit", FX_DENY_FIRST, "evil.example.com", 443,
	    NULL, DENY, "jumpgate.conf:3: DenyDestination evil.example.com:*" },
	{ "deny addr over permit", FX_DENY_FIRST, "fine.example.com", 443,
	    "10.1.2.3", DENY, "jumpgate.conf:4: DenyDestination 10.1.0.0/16:*" },
	{ "deny addr mapped", FX_DENY_FIRST, "h", 443, "::ffff:10.1.2.3",
	    DENY, "10.1.0.0/16" },
	{ "deny addr sibling ok", FX_DENY_FIRST, "h", 443, "10.2.0.1", ALLOW,
	    "PermitDestination *:*" },
	{ "deny v6", FX_DENY_FIRST, "h", 443, "2001:db8:bad:1::1", DENY,
	    "jumpgate.conf:5: DenyDestination [2001:db8:bad::/48]:*" },
	{ "deny v6 sibling", FX_DENY_FIRST, "h", 443, "2001:db8:bae::1",
	    ALLOW, "PermitDestination *:*" },
	/* Port ranges are inclusive; a deny inside a permit range. */
	{ "range below", FX_RANGE, "h", 999, NULL, DENY, NOPERM },
	{ "range lo", FX_RANGE, "h", 1000, NULL, ALLOW, "h:1000-2000" },
	{ "range mid", FX_RANGE, "h", 1499, NULL, ALLOW, "h:1000-2000" },
	{ "range hole", FX_RANGE, "h", 1500, NULL, DENY,
	    "jumpgate.conf:2: DenyDestination h:1500-1500" },
	{ "range after hole", FX_RANGE, "h", 1501, NULL, ALLOW, "h:1000-2000" },
	{ "range hi", FX_RANGE, "h", 2000, NULL, ALLOW, "h:1000-2000" },
	{ "range above", FX_RANGE, "h", 2001, NULL, DENY, NOPERM },
	/* Aliases: names are literal, addresses catch what they reach. */
	{ "deny localhost name", FX_D_LOOP, "localhost", 22, NULL, DENY,
	    "DenyDestination localhost:*" },
	{ "deny LOCALHOST. name", FX_D_LOOP, "LOCALHOST.", 22, NULL, DENY,
	    "DenyDestination localhost:*" },
	{ "127.1 reaches 127.0.0.1", FX_D_LOOP, "127.1", 22, "127.0.0.1",
	    DENY, "DenyDestination 127.0.0.0/8:*" },
	{ "127.0.0.1 by addr", FX_D_LOOP, "127.0.0.1", 22, "127.0.0.1", DENY,
	    "127.0.0.0/8" },
	{ "127.255.255.254", FX_D_LOOP, "x", 22, "127.255.255.254", DENY,
	    "127.0.0.0/8" },
	{ "long ::1 reaches ::1", FX_D_LOOP, "0:0:0:0:0:0:0:1", 22, "::1",
	    DENY, "DenyDestination [::1]:*" },
	{ "mapped loopback", FX_D_LOOP, "x", 22, "::ffff:127.0.0.1", DENY,
	    "127.0.0.0/8" },
	{ "128.0.0.1 fine", FX_D_LOOP, "x", 22, "128.0.0.1", ALLOW, DEFOK },
	{ "::2 fine", FX_D_LOOP, "x", 22, "::2", ALLOW, DEFOK },
	/* The special-destination guard, every range and mapped form. */
	{ "metadata v4", FX_DEFAULT, "x", 80, "169.254.169.254", DENY,
	    SPECIAL },
	{ "link-local lo", FX_DEFAULT, "x", 80, "169.254.0.0", DENY, SPECIAL },
	{ "link-local hi", FX_DEFAULT, "x", 80, "169.254.255.255", DENY,
	    SPECIAL },
	{ "below link-local", FX_DEFAULT, "x", 80, "169.253.255.255", ALLOW,
	    DEFOK },
	{ "above link-local", FX_DEFAULT, "x", 80, "169.255.0.0", ALLOW,
	    DEFOK },
	{ "alibaba", FX_DEFAULT, "x", 80, "100.100.100.200", DENY, SPECIAL },
	{ "alibaba neighbour", FX_DEFAULT, "x", 80, "100.100.100.201", ALLOW,
	    DEFOK },
	{ "azure", FX_DEFAULT, "x", 80, "168.63.129.16", DENY, SPECIAL },
	{ "azure neighbour", FX_DEFAULT, "x", 80, "168.63.129.17", ALLOW,
	    DEFOK },
	{ "fe80::1", FX_DEFAULT, "x", 80, "fe80::1", DENY, SPECIAL },
	{ "febf:: in /10", FX_DEFAULT, "x", 80, "febf:ffff::1", DENY,
	    SPECIAL },
	{ "fec0:: out of /10", FX_DEFAULT, "x", 80, "fec0::1", ALLOW, DEFOK },
	{ "fe7f:: out of /10", FX_DEFAULT, "x", 80, "fe7f::1", ALLOW, DEFOK },
	{ "ec2 v6", FX_DEFAULT, "x", 80, "fd00:ec2::254", DENY, SPECIAL },
	{ "ec2 v6 long", FX_DEFAULT, "x", 80, "fd00:0ec2:0:0:0:0:0:0254", DENY,
	    SPECIAL },
	{ "ec2 v6 neighbour", FX_DEFAULT, "x", 80, "fd00:ec2::253", ALLOW,
	    DEFOK },
	{ "mapped metadata", FX_DEFAULT, "x", 80, "::ffff:169.254.169.254",
	    DENY, SPECIAL },
	{ "mapped link-local", FX_DEFAULT, "x", 80, "::ffff:169.254.1.1",
	    DENY, SPECIAL },
	{ "mapped alibaba", FX_DEFAULT, "x", 80, "::ffff:100.100.100.200",
	    DENY, SPECIAL },
	{ "mapped azure", FX_DEFAULT, "x", 80, "::ffff:168.63.129.16", DENY,
	    SPECIAL },
	{ "mapped ordinary", FX_DEFAULT, "x", 80, "::ffff:192.0.2.1", ALLOW,
	    DEFOK },
	/* NAT64's well-known prefix embeds IPv4 too (RFC 6052). */
	{ "nat64 metadata", FX_DEFAULT, "x", 80, "64:ff9b::169.254.169.254",
	    DENY, SPECIAL },
	{ "nat64 metadata hex", FX_DEFAULT, "x", 80, "64:ff9b::a9fe:a9fe",
	    DENY, SPECIAL },
	{ "nat64 alibaba", FX_DEFAULT, "x", 80, "64:ff9b::100.100.100.200",
	    DENY, SPECIAL },
	{ "nat64 azure", FX_DEFAULT, "x", 80, "64:ff9b::168.63.129.16", DENY,
	    SPECIAL },
	{ "nat64 ordinary", FX_DEFAULT, "x", 80, "64:ff9b::192.0.2.1", ALLOW,
	    DEFOK },
	{ "nat64 /96 only", FX_DEFAULT, "x", 80, "64:ff9b:0:0:1::a9fe:a9fe",
	    ALLOW, DEFOK },
	{ "nat64 self", FX_SELF, "x", 22, "64:ff9b::192.0.2.10", DENY, SELF },
	{ "nat64 deny v4 rule", FX_DENY_FIRST, "h", 443, "64:ff9b::10.1.2.3",
	    DENY, "jumpgate.conf:4: DenyDestination 10.1.0.0/16:*" },
	{ "nat64 permit v4 rule not", FX_P_ADDR, "h", 80, "64:ff9b::10.1.1.1",
	    DENY, NOPERM },
	{ "nat64 guard off", FX_SPECIAL_OFF, "x", 80,
	    "64:ff9b::169.254.169.254", ALLOW, DEFOK },
	{ "guard off", FX_SPECIAL_OFF, "x", 80, "169.254.169.254", ALLOW,
	    DEFOK },
	{ "guard off v6", FX_SPECIAL_OFF, "x", 80, "fe80::1", ALLOW, DEFOK },
	{ "guard first yes wins", FX_SPECIAL_FIRST, "x", 80, "169.254.169.254",
	    DENY, "jumpgate.conf:1: " SPECIAL },
	{ "guard before addr permit", FX_P_SPECIAL_ADDR, "x", 80,
	    "169.254.169.254", DENY, SPECIAL },
	{ "addr permit still narrows", FX_P_SPECIAL_ADDR, "x", 80, "10.0.0.1",
	    DENY, NOPERM },
	/*
	 * By name, an administrator's entry lifts the guard; the key's own
	 * permitopen= never does (authorized_keys may be the user's).
	 */
	{ "key names metadata", FX_K_PO_METADATA, "metadata.google.internal",
	    80, "169.254.169.254", DENY, SPECIAL },
	{ "key names metadata address", FX_K_PO_META_ADDR, "169.254.169.254",
	    80, "169.254.169.254", DENY, SPECIAL },
	{ "key names own listener", FX_K_PO_SELF, "127.0.0.1", 2222,
	    "127.0.0.1", DENY, SELF },
	{ "key and admin name it", FX_X_PO_SELF, "127.0.0.1", 2222,
	    "127.0.0.1", ALLOW, "jumpgate.conf:1: PermitOpen 127.0.0.1:2222" },
	{ "key * does not", FX_K_PO_METADATA, "evil.example", 81,
	    "169.254.169.254", DENY, SPECIAL },
	{ "permit name lifts guard", FX_P_METADATA_NAME,
	    "metadata.google.internal", 80, "169.254.169.254", ALLOW,
	    "PermitDestination metadata.google.internal:80" },
	{ "permit addr does not", FX_P_METADATA_NAME, "other", 80,
	    "169.254.169.254", DENY, SPECIAL },
	{ "permit name lifts self", FX_P_METADATA_NAME,
	    "metadata.google.internal", 80, "127.0.0.1", ALLOW,
	    "metadata.google.internal" },
	{ "permit addr, self", FX_P_METADATA_NAME, "other", 80, "127.0.0.1",
	    DENY, SELF },
	{ "admin names localhost", FX_A_SELF_NAME, "localhost", 2222,
	    "127.0.0.1", ALLOW, "PermitOpen localhost:2222" },
	{ "admin * does not", FX_A_SELF_NAME, "sneaky", 2222, "127.0.0.1",
	    DENY, SELF },
	/* Our own listeners. */
	{ "self v4 wildcard lo", FX_SELF, "x", 2222, "127.0.0.1", DENY, SELF },
	{ "self v4 wildcard 127/8", FX_SELF, "x", 2222, "127.5.5.5", DENY,
	    SELF },
	{ "self v4 wildcard explicit", FX_SELF, "x", 2222, "0.0.0.0", DENY,
	    SELF },
	{ "self v4 wildcard mapped", FX_SELF, "x", 2222, "::ffff:127.0.0.1",
	    DENY, SELF },
	{ "self v4 wildcard not ::1", FX_SELF, "x", 2222, "::1", ALLOW, DEFOK },
	{ "self v4 wildcard remote", FX_SELF, "x", 2222, "10.0.0.1", ALLOW,
	    DEFOK },
	{ "self v4 wildcard port", FX_SELF, "x", 2223, "127.0.0.1", ALLOW,
	    DEFOK },
	{ "self exact", FX_SELF, "x", 22, "192.0.2.10", DENY, SELF },
	{ "self exact mapped", FX_SELF, "x", 22, "::ffff:192.0.2.10", DENY,
	    SELF },
	{ "self exact neighbour", FX_SELF, "x", 22, "192.0.2.11", ALLOW,
	    DEFOK },
	{ "self exact port", FX_SELF, "x", 23, "192.0.2.10", ALLOW, DEFOK },
	{ "self exact not loopback", FX_SELF, "x", 22, "127.0.0.1", ALLOW,
	    DEFOK },
	{ "self v6 wildcard ::1", FX_SELF, "x", 3333, "::1", DENY, SELF },
	{ "self v6 wildcard long", FX_SELF, "x", 3333, "0:0:0:0:0:0:0:1",
	    DENY, SELF },
	{ "self v6 wildcard ::", FX_SELF, "x", 3333, "::", DENY, SELF },
	{ "self v6 wildcard dual v4", FX_SELF, "x", 3333, "127.0.0.1", DENY,
	    SELF },
	{ "self v6 wildcard remote", FX_SELF, "x", 3333, "2001:db8::1", ALLOW,
	    DEFOK },
	{ "self mapped endpoint", FX_SELF, "x", 4444, "198.51.100.7", DENY,
	    SELF },
	{ "self mapped endpoint other", FX_SELF, "x", 4444, "198.51.100.8",
	    ALLOW, DEFOK },
	{ "self guard off", FX_SELF_OFF, "x", 2222, "127.0.0.1", ALLOW, DEFOK },
};

static void
test_policy_table(void **state)
{
	const struct policy_case *c;
	struct policy_result byname, res;
	struct sockaddr_storage ss;
	struct built b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		tp_build(&fixtures[c->fx], &b);
		policy_check_name(&b.pc, c->host, c->port, &byname);
		res = byname;
		if (c->addr != NULL && byname.pr_verdict == POLICY_ALLOW) {
			tp_sockaddr(c->addr, c->port, &ss);
			policy_check_addr(&b.pc, &byname, c->port,
			    (struct sockaddr *)&ss, &res);
		}
		if (res.pr_verdict != c->want ||
		    strstr(res.pr_rule, c->rule) == NULL)
			fail_msg("row %zu \"%s\": %s:%d%s%s: got %d \"%s\", "
			    "want %d \"%s\"", i, c->what, c->host, c->port,
			    c->addr ? " at " : "", c->addr ? c->addr : "",
			    res.pr_verdict, res.pr_rule, c->want, c->rule);
		tp_free(&b);
	}
	print_message("%zu policy rows\n", i);
	assert_true(i >= 150);
}

/* ----- Match: a second policy_settings overrides the first ---------- */

/* config_effective_policy's rule: a set Match value wins, denies add. */
static void
tp_merge(const struct policy_settings *g, const struct policy_settings *m,
    struct policy_settings *out, struct dest_rule *deny)
{
	int i;

	*out = *g;
	if (m->ps_allow_tcp != -1) {
		out->ps_allow_tcp = m->ps_allow_tcp;
		out->ps_allow_tcp_src = m->ps_allow_tcp_src;
	}
	if (m->ps_disable != -1) {
		out->ps_disable = m->ps_disable;
		out->ps_disable_src = m->ps_disable_src;
	}
	if (m->ps_permitopen_set) {
		out->ps_permitopen_set = 1;
		out->ps_permitopen_none = m->ps_permitopen_none;
		out->ps_permitopen = m->ps_permitopen;
		out->ps_npermitopen = m->ps_npermitopen;
		out->ps_permitopen_src = m->ps_permitopen_src;
	}
	if (m->ps_npermit > 0) {
		out->ps_permit = m->ps_permit;
		out->ps_npermit = m->ps_npermit;
	}
	out->ps_ndeny = 0;
	for (i = 0; i < g->ps_ndeny; i++)
		deny[out->ps_ndeny++] = g->ps_deny[i];
	for (i = 0; i < m->ps_ndeny; i++)
		deny[out->ps_ndeny++] = m->ps_deny[i];
	out->ps_deny = deny;
}

static const struct fixture fx_global = { { "AllowTcpForwarding no",
    "PermitOpen a:1", "DenyDestination *.bad:*" }, "", { NULL } };
static const struct fixture fx_match = { { "AllowTcpForwarding yes",
    "PermitOpen b:2 x.bad:2", "DenyDestination b:*" }, "", { NULL } };
static const struct fixture fx_match_unset = { { "DenyDestination c:*" },
    "", { NULL } };

static void
test_policy_match_override(void **state)
{
	struct built g, m;
	struct policy_settings eff;
	struct dest_rule deny[2 * MAXE];
	struct policy_ctx pc;
	struct policy_result r;

	tp_build(&fx_global, &g);
	tp_build(&fx_match, &m);
	/* The global section alone. */
	policy_check_name(&g.pc, "a", 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_FORWARDING_OFF);
	assert_string_equal(r.pr_rule, "jumpgate.conf:1: AllowTcpForwarding no");
	/* With the Match block: its AllowTcpForwarding and PermitOpen. */
	tp_merge(&g.ps, &m.ps, &eff, deny);
	pc = g.pc;
	pc.pc_set = &eff;
	policy_check_name(&pc, "a", 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_NOT_PERMITTED);
	policy_check_name(&pc, "b", 2, &r);
	/* The Match's own deny adds to the global one, never lifts it. */
	assert_int_equal(r.pr_verdict, POLICY_DENIED);
	assert_string_equal(r.pr_rule, "jumpgate.conf:3: DenyDestination b:*");
	policy_check_name(&pc, "x.bad", 2, &r);
	assert_int_equal(r.pr_verdict, POLICY_DENIED);
	assert_non_null(strstr(r.pr_rule, "*.bad:*"));
	tp_free(&m);
	/* A Match that sets nothing leaves the global values. */
	tp_build(&fx_match_unset, &m);
	tp_merge(&g.ps, &m.ps, &eff, deny);
	policy_check_name(&pc, "a", 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_FORWARDING_OFF);
	tp_free(&m);
	tp_free(&g);
}

/* ----- flags phase 2 relies on -------------------------------------- */

static void
test_policy_flags(void **state)
{
	struct built b;
	struct policy_result r;

	tp_build(&fixtures[FX_K_PO_METADATA], &b);
	policy_check_name(&b.pc, "metadata.google.internal", 80, &r);
	assert_int_equal(r.pr_verdict, POLICY_ALLOW);
	assert_int_equal(r.pr_by_name, 0);	/* the key's entry: no */
	assert_int_equal(r.pr_need_addr, 0);
	policy_check_name(&b.pc, "x", 81, &r);
	assert_int_equal(r.pr_verdict, POLICY_ALLOW);
	assert_int_equal(r.pr_by_name, 0);
	tp_free(&b);
	tp_build(&fixtures[FX_P_ADDR], &b);
	policy_check_name(&b.pc, "x", 81, &r);
	assert_int_equal(r.pr_need_addr, 1);
	assert_int_equal(r.pr_by_name, 0);
	policy_check_name(&b.pc, "db.example.com", 5432, &r);
	assert_int_equal(r.pr_need_addr, 0);
	assert_int_equal(r.pr_by_name, 1);
	tp_free(&b);
	/* No settings and no key: sshd's defaults, and no key no forward. */
	memset(&b, 0, sizeof(b));
	policy_check_name(&b.pc, "h", 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_FORWARDING_OFF);
	tp_build(&fixtures[FX_DEFAULT], &b);
	b.pc.pc_set = NULL;
	policy_check_name(&b.pc, "h", 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_ALLOW);
	policy_check_name(&b.pc, NULL, 1, &r);
	assert_int_equal(r.pr_verdict, POLICY_NOT_PERMITTED);
	/* Phase 2 never turns a refusal into an allow. */
	r.pr_verdict = POLICY_DENIED;
	snprintf(r.pr_rule, sizeof(r.pr_rule), "earlier");
	{
		struct sockaddr_storage ss;
		struct policy_result r2;

		tp_sockaddr("192.0.2.1", 1, &ss);
		policy_check_addr(&b.pc, &r, 1, (struct sockaddr *)&ss, &r2);
		assert_int_equal(r2.pr_verdict, POLICY_DENIED);
		assert_string_equal(r2.pr_rule, "earlier");
		/* Not an inet address at all. */
		policy_check_name(&b.pc, "h", 1, &r);
		ss.ss_family = AF_UNIX;
		policy_check_addr(&b.pc, &r, 1, (struct sockaddr *)&ss, &r2);
		assert_int_equal(r2.pr_verdict, POLICY_DENIED);
	}
	tp_free(&b);
}

/* ----- the single matchers ------------------------------------------ */

static void
test_policy_matchers(void **state)
{
	struct permit_entry exact = { "host", 80 }, none = { NULL, 80 };
	struct permit_entry anyport = { "host", AUTHKEYS_PERMIT_ANY_PORT };
	struct permit_entry anyhost = { "*", 80 };
	struct dest_rule name, v4;
	struct sockaddr_storage ss;

	assert_int_equal(policy_entry_match(&exact, "host", 80), 1);
	assert_int_equal(policy_entry_match(&exact, "host", 81), 0);
	assert_int_equal(policy_entry_match(&exact, "Host", 80), 0);
	assert_int_equal(policy_entry_match(&exact, "host ", 80), 0);
	assert_int_equal(policy_entry_match(&exact, NULL, 80), 0);
	assert_int_equal(policy_entry_match(&none, "host", 80), 0);
	assert_int_equal(policy_entry_match(&anyport, "host", 0), 1);
	assert_int_equal(policy_entry_match(&anyport, "host", 443), 1);
	assert_int_equal(policy_entry_match(&anyhost, "whatever", 80), 1);
	assert_int_equal(policy_entry_match(&anyhost, "whatever", 81), 0);

	assert_int_equal(policy_glob("a*b?c", "aXXbYc", 0), 1);
	assert_int_equal(policy_glob("a*b?c", "aXXbc", 0), 0);
	assert_int_equal(policy_glob("A*", "abc", 0), 0);
	assert_int_equal(policy_glob("A*", "abc", 1), 1);
	assert_int_equal(policy_glob("*", "", 0), 1);
	assert_int_equal(policy_glob("?", "", 0), 0);
	assert_int_equal(policy_glob("**a**", "bab", 0), 1);
	assert_int_equal(policy_glob("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa",
	    0), 0);
	assert_int_equal(policy_glob(NULL, "x", 0), 0);

	tp_rule("db.example.com:5432", 0, &name, 1);
	tp_rule("192.0.2.0/24:1-10", 1, &v4, 2);
	assert_int_equal(policy_dest_match_name(&name, "db.example.com", 5432),
	    1);
	assert_int_equal(policy_dest_match_name(&name, "", 5432), 0);
	assert_int_equal(policy_dest_match_name(&name, ".", 5432), 0);
	/* A lone "." stays "." on both sides, as config stores it. */
	free(name.dr_host);
	free(name.dr_text);
	tp_rule(".:5432", 0, &name, 1);
	assert_string_equal(name.dr_host, ".");
	assert_int_equal(policy_dest_match_name(&name, ".", 5432), 1);
	assert_int_equal(policy_dest_match_name(&name, "", 5432), 0);
	assert_int_equal(policy_dest_match_name(&v4, "192.0.2.1", 1), 0);
	tp_sockaddr("192.0.2.200", 10, &ss);
	assert_int_equal(policy_dest_match_addr(&v4, (struct sockaddr *)&ss,
	    10), 1);
	assert_int_equal(policy_dest_match_addr(&v4, (struct sockaddr *)&ss,
	    11), 0);
	assert_int_equal(policy_dest_match_addr(&name, (struct sockaddr *)&ss,
	    5432), 0);
	assert_int_equal(policy_dest_match_addr(&v4, NULL, 10), 0);
	tp_sockaddr("169.254.169.254", 80, &ss);
	assert_int_equal(policy_addr_special((struct sockaddr *)&ss), 1);
	tp_sockaddr("::ffff:169.254.169.254", 80, &ss);
	assert_int_equal(policy_addr_special((struct sockaddr *)&ss), 1);
	tp_sockaddr("64:ff9b::169.254.169.254", 80, &ss);
	assert_int_equal(policy_addr_special((struct sockaddr *)&ss), 1);
	tp_sockaddr("192.0.2.1", 80, &ss);
	assert_int_equal(policy_addr_special((struct sockaddr *)&ss), 0);
	assert_int_equal(policy_addr_special(NULL), 0);
	free(name.dr_host);
	free(name.dr_text);
	free(v4.dr_text);
}

/* ----- from= (authkeys_match_from) ---------------------------------- */

static const struct {
	const char	*pat;
	const char	*ip;
	int		 want;
} from_cases[] = {
	{ "10.0.0.0/8", "10.1.2.3", 1 },
	{ "10.0.0.0/8", "11.1.2.3", 0 },
	{ "10.0.0.0/8,!10.6.6.6", "10.6.6.6", -1 },
	{ "!10.6.6.6,10.0.0.0/8", "10.6.6.6", -1 },
	{ "10.0.0.0/8,!10.6.6.6", "10.6.6.7", 1 },
	{ "!10.6.6.6", "10.6.6.7", 0 },
	{ "192.0.2.*", "192.0.2.77", 1 },
	{ "192.0.2.?", "192.0.2.77", 0 },
	{ "192.0.2.?", "192.0.2.7", 1 },
	{ "*", "2001:db8::1", 1 },
	{ "2001:db8::/32", "2001:db8:1::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::/32,!2001:db8::bad", "2001:db8::bad", -1 },
	{ "10.0.0.0/8", "::ffff:10.1.1.1", 1 },
	{ "!10.0.0.0/8,*", "::ffff:10.1.1.1", -1 },
	{ "10.0.0.1/8", "10.0.0.1", -2 },
	{ "10.0.0.0/33", "10.0.0.1", -2 },
	{ "10.0.0.0/8,,192.0.2.1", "192.0.2.1", -2 },
	{ "localhost", "127.0.0.1", 0 },
	{ "127.0.0.1", "127.0.0.1", 1 },
	{ "127.1", "127.0.0.1", 0 },
	{ "::1", "0:0:0:0:0:0:0:1", 1 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "::/0", "203.0.113.9", 0 },
	{ "203.0.113.9/32", "203.0.113.9", 1 },
};

static void
test_policy_from(void **state)
{
	size_t i;
	int got;

	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		got = authkeys_match_from(from_cases[i].pat, from_cases[i].ip);
		if (got != from_cases[i].want)
			fail_msg("from row %zu: \"%s\" vs %s: got %d want %d",
			    i, from_cases[i].pat, from_cases[i].ip, got,
			    from_cases[i].want);
	}
}

/* ----- option order and expiry decide which options reach policy ---- */

static void
test_policy_key_line(void **state)
{
	struct authkey_match m;
	struct policy_ctx pc;
	struct policy_result r;
	ssh_key key;
	char *b64, *dir, *path, *text, *pat, src[4200];

	assert_int_equal(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key),
	    SSH_OK);
	assert_int_equal(ssh_pki_export_pubkey_base64(key, &b64), SSH_OK);
	dir = tu_mkdtemp();
	/* An expired line that allows everything, then a restricted one. */
	assert_true(asprintf(&text, "expiry-time=\"20000101Z\" ssh-ed25519 "
	    "%s old\nrestrict,port-forwarding,permitopen=\"db:5432\","
	    "expiry-time=\"29991231Z\" ssh-ed25519 %s new\n", b64, b64) > 0);
	path = tu_write(dir, "alice.keys", text);
	assert_true(asprintf(&pat, "%s/%%u.keys", dir) > 0);
	assert_int_equal(authkeys_find(&pat, 1, "alice", key, "192.0.2.1",
	    &m), 1);
	assert_int_equal(m.am_line, 2);
	snprintf(src, sizeof(src), "%s:%d", m.am_file, m.am_line);
	memset(&pc, 0, sizeof(pc));
	pc.pc_key = &m.am_opts;
	pc.pc_key_src = src;
	policy_check_name(&pc, "db", 5432, &r);
	assert_int_equal(r.pr_verdict, POLICY_ALLOW);
	assert_non_null(strstr(r.pr_rule, ":2: permitopen=\"db:5432\""));
	policy_check_name(&pc, "web", 80, &r);
	assert_int_equal(r.pr_verdict, POLICY_NOT_PERMITTED);
	authkeys_match_free(&m);
	free(path);
	free(text);
	/* Only the expired line: no key, so nothing to forward with. */
	assert_true(asprintf(&text, "expiry-time=\"20000101Z\" ssh-ed25519 "
	    "%s old\n", b64) > 0);
	path = tu_write(dir, "alice.keys", text);
	assert_int_equal(authkeys_find(&pat, 1, "alice", key, "192.0.2.1",
	    &m), 0);
	free(path);
	free(text);
	free(pat);
	tu_rmtree(dir);
	ssh_string_free_char(b64);
	ssh_key_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_match_override),
		cmocka_unit_test(test_policy_flags),
		cmocka_unit_test(test_policy_matchers),
		cmocka_unit_test(test_policy_from),
		cmocka_unit_test(test_policy_key_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
