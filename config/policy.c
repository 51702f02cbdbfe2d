/*
 * policy.c: the forwarding decision for one direct-tcpip open, and the
 * pure matchers behind it.
 *
 * Nothing here does I/O or allocates, so every rule can be unit-tested
 * and fuzzed on its own, and the decision can run on the event loop for
 * every channel open.  Two phases (see policy.h): policy_check_name
 * applies sshd's switches and permitopen lists exactly as sshd does, then
 * jumpgate's name rules; policy_check_addr applies jumpgate's address
 * rules and the special-destination guard to each resolved address.
 *
 * The from= matcher for authorized_keys (authkeys_match_from, declared in
 * authkeys.h next to the options it reads) lives here too: it is the same
 * kind of rule.  Its lists are sshd's, shared with Match in pattern.c,
 * whose address parsing calls getaddrinfo(AI_NUMERICHOST) as sshd does.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "authkeys.h"
#include "pattern.h"
#include "policy.h"

static const unsigned char policy_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* ----- patterns ------------------------------------------------------ */

/* Kept for callers outside config/ (and the fuzzers) under its old name. */
int
policy_glob(const char *pattern, const char *s, int nocase)
{
	return pattern_match(pattern, s, nocase);
}

/* ----- addresses ----------------------------------------------------- */

static int
policy_addr_from_raw(int af, const unsigned char *raw,
    struct pattern_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (af == AF_INET)
		memcpy(out->pa_a, raw, 4);
	else if (af == AF_INET6)
		memcpy(out->pa_a, raw, 16);
	else
		return -1;
	out->pa_af = af;
	pattern_addr_unmap(out);
	return 0;
}

static int
policy_addr_from_sa(const struct sockaddr *sa, struct pattern_addr *out)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return -1;
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		return policy_addr_from_raw(AF_INET,
		    (const unsigned char *)&sin->sin_addr, out);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		return policy_addr_from_raw(AF_INET6,
		    (const unsigned char *)&sin6->sin6_addr, out);
	}
	return -1;
}

/*
 * The NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): a translator on
 * the path turns 64:ff9b::a.b.c.d into a connection to a.b.c.d.  Fills
 * v4 with the embedded address; 1 if a is such an address.
 */
static int
policy_nat64_v4(const struct pattern_addr *a, struct pattern_addr *v4)
{
	static const unsigned char wkp[12] = { 0x00, 0x64, 0xff, 0x9b };

	if (a->pa_af != AF_INET6 || memcmp(a->pa_a, wkp, sizeof(wkp)) != 0)
		return 0;
	memset(v4, 0, sizeof(*v4));
	v4->pa_af = AF_INET;
	memcpy(v4->pa_a, a->pa_a + 12, 4);
	return 1;
}

static int
policy_in_v4(const struct pattern_addr *a, unsigned char b0, unsigned char b1,
    unsigned char b2, unsigned char b3, unsigned int bits)
{
	struct pattern_addr net = { .pa_af = AF_INET,
	    .pa_a = { b0, b1, b2, b3 } };

	return pattern_addr_netmatch(a, &net, bits);
}

static int
policy_is_special(const struct pattern_addr *a)
{
	/* fd00:ec2::254, the AWS metadata service over IPv6. */
	static const struct pattern_addr ec2v6 = { .pa_af = AF_INET6,
	    .pa_a = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	    0x54 } };
	static const struct pattern_addr fe80 = { .pa_af = AF_INET6,
	    .pa_a = { 0xfe, 0x80 } };

	if (a->pa_af == AF_INET)
		return policy_in_v4(a, 169, 254, 0, 0, 16) ||	/* link-local,
								   AWS/GCP/OCI */
		    policy_in_v4(a, 100, 100, 100, 200, 32) ||	/* Alibaba */
		    policy_in_v4(a, 168, 63, 129, 16, 32);	/* Azure */
	return pattern_addr_netmatch(a, &fe80, 10) ||
	    pattern_addr_netmatch(a, &ec2v6, 128);
}

int
policy_addr_special(const struct sockaddr *sa)
{
	struct pattern_addr a, v4;

	if (policy_addr_from_sa(sa, &a) == -1)
		return 0;
	return policy_is_special(&a) ||
	    (policy_nat64_v4(&a, &v4) && policy_is_special(&v4));
}

static int
policy_is_loopback(const struct pattern_addr *a)
{
	static const struct pattern_addr lo6 = { .pa_af = AF_INET6,
	    .pa_a = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };

	if (a->pa_af == AF_INET)
		return a->pa_a[0] == 127;
	return memcmp(a->pa_a, lo6.pa_a, 16) == 0;
}

static int
policy_is_unspec(const struct pattern_addr *a)
{
	static const unsigned char zero[16];

	return memcmp(a->pa_a, zero, a->pa_af == AF_INET ? 4 : 16) == 0;
}

/*
 * Is a:port one of our own listeners?  A wildcard listener answers on
 * loopback and on the unspecified address itself (connect(2) to 0.0.0.0
 * reaches the local host); "::" may be dual-stack, so it also stands for
 * the IPv4 forms.  Other local interface addresses are not known here.
 */
static int
policy_is_self(const struct policy_ctx *pc, const struct pattern_addr *a,
    int port)
{
	struct pattern_addr ep;
	int i;

	for (i = 0; i < pc->pc_nself; i++) {
		if (pc->pc_self[i].pe_port != port)
			continue;
		if (policy_addr_from_raw(pc->pc_self[i].pe_family,
		    pc->pc_self[i].pe_addr, &ep) == -1)
			continue;
		if (policy_is_unspec(&ep)) {
			if (ep.pa_af == AF_INET && a->pa_af != AF_INET)
				continue;
			if (policy_is_loopback(a) || policy_is_unspec(a))
				return 1;
			continue;
		}
		if (ep.pa_af == a->pa_af &&
		    memcmp(ep.pa_a, a->pa_a, a->pa_af == AF_INET ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}

/* ----- single entries ------------------------------------------------ */

int
policy_entry_match(const struct permit_entry *pe, const char *host, int port)
{
	/*
	 * sshd's open_match(): literal, case-sensitive, before any DNS.  A
	 * NULL host is the "PermitOpen none" sentinel, matching nothing.
	 */
	if (pe == NULL || pe->pe_host == NULL || host == NULL)
		return 0;
	if (pe->pe_port != AUTHKEYS_PERMIT_ANY_PORT && pe->pe_port != port)
		return 0;
	return strcmp(pe->pe_host, "*") == 0 || strcmp(pe->pe_host, host) == 0;
}

static int
policy_port_in(const struct dest_rule *dr, int port)
{
	return port >= dr->dr_port_lo && port <= dr->dr_port_hi;
}

int
policy_dest_match_name(const struct dest_rule *dr, const char *host,
    int port)
{
	size_t len;

	if (dr == NULL || host == NULL || dr->dr_kind != DEST_NAME ||
	    dr->dr_host == NULL || !policy_port_in(dr, port))
		return 0;
	/*
	 * Broader than sshd on purpose: "DB.internal." reaches the same
	 * host as "db.internal", and a denial must not be dodged by
	 * spelling.  Rules are stored lowercase without the dot, except
	 * a lone ".", which config keeps as it is (found by fuzz_permitopen).
	 */
	len = strlen(host);
	if (len > 1 && host[len - 1] == '.')
		len--;
	return pattern_match_len(dr->dr_host, strlen(dr->dr_host), host, len,
	    1);
}

static int
policy_dest_match_pa(const struct dest_rule *dr, const struct pattern_addr *a,
    int port)
{
	struct pattern_addr net;
	int bits;

	if (dr == NULL || dr->dr_kind != DEST_ADDR || !policy_port_in(dr, port))
		return 0;
	memset(&net, 0, sizeof(net));
	net.pa_af = dr->dr_family;
	if (net.pa_af == AF_INET)
		memcpy(net.pa_a, dr->dr_addr, 4);
	else if (net.pa_af == AF_INET6)
		memcpy(net.pa_a, dr->dr_addr, 16);
	else
		return 0;
	bits = dr->dr_prefix;
	/* A rule written as ::ffff:10.0.0.0/104 is the rule 10.0.0.0/8. */
	if (net.pa_af == AF_INET6 && bits >= 96 &&
	    memcmp(net.pa_a, policy_mapped_prefix, 12) == 0) {
		pattern_addr_unmap(&net);
		bits -= 96;
	}
	if (bits < 0)
		return 0;
	return pattern_addr_netmatch(a, &net, (unsigned int)bits);
}

int
policy_dest_match_addr(const struct dest_rule *dr,
    const struct sockaddr *sa, int port)
{
	struct pattern_addr a;

	if (policy_addr_from_sa(sa, &a) == -1)
		return 0;
	return policy_dest_match_pa(dr, &a, port);
}

/* ----- naming what decided ------------------------------------------- */

/* "SRC: what", or "what" when nothing says where it came from. */
static void __attribute__((format(printf, 3, 4)))
policy_say(struct policy_result *out, const char *src, const char *fmt, ...)
{
	size_t off = 0;
	int n;
	va_list ap;

	out->pr_rule[0] = '\0';
	if (src != NULL) {
		n = snprintf(out->pr_rule, sizeof(out->pr_rule), "%s: ", src);
		if (n < 0 || (size_t)n >= sizeof(out->pr_rule))
			return;
		off = (size_t)n;
	}
	va_start(ap, fmt);
	vsnprintf(out->pr_rule + off, sizeof(out->pr_rule) - off, fmt, ap);
	va_end(ap);
}

static void
policy_say_rule(struct policy_result *out, const struct dest_rule *dr)
{
	const char *kw = dr->dr_deny ? "DenyDestination" : "PermitDestination";
	const char *text = dr->dr_text != NULL ? dr->dr_text :
	    (dr->dr_host != NULL ? dr->dr_host : "?");

	if (dr->dr_file != NULL)
		snprintf(out->pr_rule, sizeof(out->pr_rule), "%s:%d: %s %s",
		    dr->dr_file, dr->dr_line, kw, text);
	else
		snprintf(out->pr_rule, sizeof(out->pr_rule), "%s %s", kw, text);
}

/* ----- the decision -------------------------------------------------- */

static const struct policy_settings policy_defaults = {
	.ps_allow_tcp = -1,
	.ps_disable = -1,
	.ps_deny_special = -1,
};

static void
policy_result_init(struct policy_result *out, enum policy_verdict v)
{
	out->pr_verdict = v;
	out->pr_rule[0] = '\0';
	out->pr_by_name = 0;
	out->pr_need_addr = 0;
}

/*
 * Step 1: sshd refuses direct-tcpip unless AllowTcpForwarding includes
 * local, DisableForwarding is off and the key kept port-forwarding.  The
 * administrator's switches are named first: they are why the key's
 * setting does not matter.
 */
static int
policy_forwarding_on(const struct policy_ctx *pc,
    const struct policy_settings *ps, struct policy_result *out)
{
	const struct authkey_opts *key = pc->pc_key;
	const char *ksrc = pc->pc_key_src != NULL ? pc->pc_key_src : "key";

	if (ps->ps_disable > 0) {
		policy_say(out, ps->ps_disable_src, "DisableForwarding yes");
		return 0;
	}
	if (ps->ps_allow_tcp == POLICY_FWD_NO ||
	    ps->ps_allow_tcp == POLICY_FWD_REMOTE) {
		policy_say(out, ps->ps_allow_tcp_src, "AllowTcpForwarding %s",
		    ps->ps_allow_tcp == POLICY_FWD_NO ? "no" : "remote");
		return 0;
	}
	if (key == NULL) {
		policy_say(out, NULL, "no authorized key");
		return 0;
	}
	if (!key->ao_port_forwarding) {
		/* Flags cannot tell which came last when restrict is there. */
		policy_say(out, ksrc, "%s", (key->ao_flags &
		    AUTHKEYS_OPT_RESTRICT) ? "no-port-forwarding/restrict" :
		    "no-port-forwarding");
		return 0;
	}
	return 1;
}

void
policy_check_name(const struct policy_ctx *pc, const char *host, int port,
    struct policy_result *out)
{
	const struct policy_settings *ps = pc->pc_set != NULL ? pc->pc_set :
	    &policy_defaults;
	const struct authkey_opts *key = pc->pc_key;
	const struct permit_entry *kmatch = NULL, *amatch = NULL;
	const struct dest_rule *dr;
	const char *ksrc = pc->pc_key_src != NULL ? pc->pc_key_src : "key";
	char ent[300];
	int i, have_addr = 0;

	policy_result_init(out, POLICY_FORWARDING_OFF);
	if (!policy_forwarding_on(pc, ps, out))
		return;

	/* Step 2: both of sshd's lists must agree (they intersect). */
	out->pr_verdict = POLICY_NOT_PERMITTED;
	if (host == NULL) {
		policy_say(out, NULL, "no destination host");
		return;
	}
	if (key->ao_npermitopen > 0) {
		for (i = 0; i < key->ao_npermitopen && kmatch == NULL; i++)
			if (policy_entry_match(&key->ao_permitopen[i], host,
			    port))
				kmatch = &key->ao_permitopen[i];
		if (kmatch == NULL) {
			policy_say(out, ksrc, "no permitopen entry of the key "
			    "matched");
			return;
		}
	}
	if (ps->ps_permitopen_set && ps->ps_permitopen_none) {
		policy_say(out, ps->ps_permitopen_src, "PermitOpen none");
		return;
	}
	if (ps->ps_permitopen_set && ps->ps_npermitopen > 0) {
		for (i = 0; i < ps->ps_npermitopen && amatch == NULL; i++)
			if (policy_entry_match(&ps->ps_permitopen[i], host,
			    port))
				amatch = &ps->ps_permitopen[i];
		if (amatch == NULL) {
			policy_say(out, ps->ps_permitopen_src, "no PermitOpen "
			    "entry matched");
			return;
		}
	}
	/*
	 * An administrator's entry that spells the host out vouches for
	 * the name.  The key's own permitopen= does not: authorized_keys may
	 * live in the user's home, and a user must not be able to write
	 * their way to the metadata service.
	 */
	if (amatch != NULL && strcmp(amatch->pe_host, "*") != 0)
		out->pr_by_name = 1;

	/* Step 3: jumpgate's name denials, before any permit. */
	out->pr_verdict = POLICY_DENIED;
	for (i = 0; i < ps->ps_ndeny; i++) {
		dr = &ps->ps_deny[i];
		if (policy_dest_match_name(dr, host, port)) {
			policy_say_rule(out, dr);
			return;
		}
	}

	/* Step 4: PermitDestination, by name now or by address later. */
	out->pr_verdict = POLICY_ALLOW;
	for (i = 0; i < ps->ps_npermit; i++) {
		dr = &ps->ps_permit[i];
		if (policy_dest_match_name(dr, host, port)) {
			out->pr_by_name = 1;
			policy_say_rule(out, dr);
			return;
		}
		if (dr->dr_kind == DEST_ADDR)
			have_addr = 1;
	}
	if (ps->ps_npermit > 0 && !have_addr) {
		out->pr_verdict = POLICY_DENIED;
		policy_say(out, NULL, "no PermitDestination rule matched");
		return;
	}
	if (have_addr) {
		out->pr_need_addr = 1;
		policy_say(out, NULL, "PermitDestination address rules decide "
		    "after resolution");
	} else if (amatch != NULL) {
		authkeys_permit_format(amatch, ent, sizeof(ent));
		policy_say(out, ps->ps_permitopen_src, "PermitOpen %s", ent);
	} else if (kmatch != NULL) {
		authkeys_permit_format(kmatch, ent, sizeof(ent));
		policy_say(out, ksrc, "permitopen=\"%s\"", ent);
	} else
		policy_say(out, NULL, "default: forwarding allowed");
}

void
policy_check_addr(const struct policy_ctx *pc,
    const struct policy_result *byname, int port, const struct sockaddr *sa,
    struct policy_result *out)
{
	const struct policy_settings *ps = pc->pc_set != NULL ? pc->pc_set :
	    &policy_defaults;
	const struct dest_rule *dr;
	struct pattern_addr a, v4;
	int i, nat64;

	/* Phase 2 only narrows what phase 1 allowed. */
	*out = *byname;
	if (byname->pr_verdict != POLICY_ALLOW)
		return;
	out->pr_verdict = POLICY_DENIED;
	if (policy_addr_from_sa(sa, &a) == -1) {
		policy_say(out, NULL, "not an IPv4 or IPv6 address");
		return;
	}
	/*
	 * A NAT64 address reaches the IPv4 address it embeds: denials and
	 * the guard see both, so neither is dodged through a translator.
	 * Permits see only the address as resolved: a rule allowing
	 * 10.0.0.0/8 says nothing about a path through a translator.
	 */
	nat64 = policy_nat64_v4(&a, &v4);
	for (i = 0; i < ps->ps_ndeny; i++) {
		dr = &ps->ps_deny[i];
		if (policy_dest_match_pa(dr, &a, port) ||
		    (nat64 && policy_dest_match_pa(dr, &v4, port))) {
			policy_say_rule(out, dr);
			return;
		}
	}
	/*
	 * A name that resolves to the metadata service or back to us is
	 * the classic SSRF; an entry that named the host outright is the
	 * administrator saying it is meant.
	 */
	if (ps->ps_deny_special != 0 && !byname->pr_by_name) {
		if (policy_is_special(&a) ||
		    (nat64 && policy_is_special(&v4))) {
			policy_say(out, ps->ps_deny_special_src,
			    "DenySpecialDestinations: link-local or metadata "
			    "address");
			return;
		}
		if (policy_is_self(pc, &a, port) ||
		    (nat64 && policy_is_self(pc, &v4, port))) {
			policy_say(out, ps->ps_deny_special_src,
			    "DenySpecialDestinations: jumpgate's own listener");
			return;
		}
	}
	if (byname->pr_need_addr) {
		for (i = 0; i < ps->ps_npermit; i++) {
			dr = &ps->ps_permit[i];
			if (policy_dest_match_pa(dr, &a, port)) {
				out->pr_verdict = POLICY_ALLOW;
				policy_say_rule(out, dr);
				return;
			}
		}
		policy_say(out, NULL, "no PermitDestination rule matched");
		return;
	}
	/* Allowed as phase 1 said, and for the reason it gave. */
	out->pr_verdict = POLICY_ALLOW;
}

/* ----- from= --------------------------------------------------------- */

int
authkeys_match_from(const char *patterns, const char *ip)
{
	struct in_addr v4;
	int mip, mhost;

	if (patterns == NULL || ip == NULL)
		return 0;
	/*
	 * sshd sees a v4 client on a dual-stack socket as plain v4.  The
	 * address list unmaps on its own; the host list below needs the
	 * plain text too.
	 */
	if (strncasecmp(ip, "::ffff:", 7) == 0 &&
	    inet_pton(AF_INET, ip + 7, &v4) == 1)
		ip += 7;
	if ((mip = pattern_addr_list(ip, patterns, 1)) < 0)
		return mip;
	/* With UseDNS no, sshd's host name is the address again. */
	if ((mhost = pattern_match_list(ip, patterns, 1)) == -1)
		return -1;
	return mip == 1 || mhost == 1;
}
