/*
 * auth.c: a session's user authentication, publickey only, as sshd does it.
 *
 * The first request names the user for the whole connection (sshd
 * refuses a change), and that is when the account is looked up, Match
 * applied and the Banner sent.  Every failed request counts toward
 * MaxAuthTries except a first "none"; probes of an authorized key do not
 * fail, so AUTH_ATTEMPTS_MAX bounds them.  A verified signature makes the
 * session authenticated, with the key's options and the forwarding
 * policy in force for it.  Log lines keep sshd's wording.
 *
 * Kept apart from session.c, which pumps the connection and knows
 * nothing of keys or accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libssh/server.h>

#include "account.h"
#include "admit.h"
#include "akrun.h"
#include "audit.h"
#include "auth.h"
#include "authcert.h"
#include "authkeys.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "str.h"
#include "worker.h"

/* Requests of any kind per connection, as sshd's. */
#define AUTH_ATTEMPTS_MAX	1024
/*
 * Requests waiting behind a running AuthorizedKeysCommand: a client
 * waits for each answer, so more than a few is a client flooding us.
 */
#define AUTH_HELD_MAX		16

/* A failed attempt, counted by cause and audited. */
static void
auth_count_failure(struct session *s, const char *user, const char *keydesc,
    const struct audit_cert *cert, enum metrics_auth_fail why)
{
	metrics_add(&s->s_worker->w_metrics.m_auth_fail[why], 1);
	audit_auth(s, user, keydesc, cert, metrics_auth_fail_name(why));
}

/*
 * sshd's Accepted/Failed publickey line, with a certificate's ID, serial
 * and CA after the key; failures are counted too.
 */
static void
auth_log(struct session *s, const char *user, const char *keydesc,
    const struct authcert *ac, int failed, enum metrics_auth_fail why)
{
	const struct audit_cert *cert = ac != NULL && ac->ac_cert != NULL ?
	    &ac->ac_audit : NULL;
	int level = LOG_LVL_VERBOSE;
	int max = s->s_worker->w_config->c_max_auth_tries;
	int accepted = !failed, invalid = failed && why == MAF_INVALID_USER;

	if (failed)
		auth_count_failure(s, user, keydesc, cert, why);
	else {
		metrics_add(&s->s_worker->w_metrics.m_auth_ok, 1);
		audit_auth(s, user, keydesc, cert, NULL);
	}

	/* sshd raises failures to INFO for bad users and repeat offenders. */
	if (accepted || invalid || s->s_failures >= max / 2)
		level = LOG_LVL_INFO;
	log_msg(level, "%s publickey for %s%.100s from %s port %d ssh2: %s%s",
	    accepted ? "Accepted" : "Failed", invalid ? "invalid user " : "",
	    user, s->s_peer, s->s_peer_port, keydesc,
	    cert != NULL ? ac->ac_suffix : "");
}

/*
 * PubkeyAcceptedAlgorithms, checked on the key type so that a probe for
 * a key that could never sign acceptably gets no PK_OK; libssh checks
 * the signature's own algorithm (rsa-sha2-256 or -512) afterwards.
 */
static int
auth_key_allowed(const struct config *cf, ssh_key key)
{
	const char *list = config_algos(cf, ALGOS_PUBKEY);

	switch (ssh_key_type(key)) {
	case SSH_KEYTYPE_ED25519:
		return algos_list_has(list, "ssh-ed25519");
	case SSH_KEYTYPE_ECDSA_P256:
		return algos_list_has(list, "ecdsa-sha2-nistp256");
	case SSH_KEYTYPE_ECDSA_P384:
		return algos_list_has(list, "ecdsa-sha2-nistp384");
	case SSH_KEYTYPE_ECDSA_P521:
		return algos_list_has(list, "ecdsa-sha2-nistp521");
	case SSH_KEYTYPE_RSA:
		return algos_list_has(list, "rsa-sha2-512") ||
		    algos_list_has(list, "rsa-sha2-256");
	case SSH_KEYTYPE_ED25519_CERT01:
		return algos_list_has(list, "ssh-ed25519-cert-v01@openssh.com");
	case SSH_KEYTYPE_ECDSA_P256_CERT01:
		return algos_list_has(list,
		    "ecdsa-sha2-nistp256-cert-v01@openssh.com");
	case SSH_KEYTYPE_ECDSA_P384_CERT01:
		return algos_list_has(list,
		    "ecdsa-sha2-nistp384-cert-v01@openssh.com");
	case SSH_KEYTYPE_ECDSA_P521_CERT01:
		return algos_list_has(list,
		    "ecdsa-sha2-nistp521-cert-v01@openssh.com");
	case SSH_KEYTYPE_RSA_CERT01:
		return algos_list_has(list,
		    "rsa-sha2-512-cert-v01@openssh.com") ||
		    algos_list_has(list, "rsa-sha2-256-cert-v01@openssh.com");
	default:
		return 0;
	}
}

void
auth_keydesc_split(const char *keydesc, char *type, size_t tlen,
    const char **fp)
{
	const char *sp;

	type[0] = '\0';
	*fp = NULL;
	if (keydesc == NULL || keydesc[0] == '\0')
		return;
	if ((sp = strchr(keydesc, ' ')) == NULL) {
		*fp = keydesc;
		return;
	}
	snprintf(type, tlen, "%.*s", (int)(sp - keydesc), keydesc);
	*fp = sp + 1;
}

static void
auth_key_describe(ssh_key key, char *buf, size_t len)
{
	unsigned char *hash = NULL;
	char *fp = NULL;
	size_t hlen = 0;
	const char *type = ssh_key_type_to_char(ssh_key_type(key));
	char utype[32];
	size_t i;

	for (i = 0; type != NULL && type[i] != '\0' && i < sizeof(utype) - 1;
	    i++) {
		char c = type[i];

		utype[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	utype[i] = '\0';
	/* sshd names keys "ED25519", "ECDSA", "RSA". */
	if (strncmp(utype, "SSH-", 4) == 0)
		memmove(utype, utype + 4, strlen(utype + 4) + 1);
	if (strncmp(utype, "ECDSA", 5) == 0)
		utype[5] = '\0';
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
	snprintf(buf, len, "%s %s", utype, fp != NULL ? fp : "UNKNOWN");
	ssh_clean_pubkey_hash(&hash);
	ssh_string_free_char(fp);
}

/* The connection as Match sees it, for this user name. */
static void
auth_conninfo(const struct session *s, const char *user,
    struct config_conninfo *ci)
{
	ci->ci_user = user;
	ci->ci_addr = s->s_peer;
	ci->ci_laddr = s->s_local;
	ci->ci_lport = s->s_local_port;
	ci->ci_principal = NULL;
}

/* Match blocks are decided once, now that the user is known. */
static void
auth_policy_init(struct session *s)
{
	struct worker *w = s->s_worker;
	struct config_conninfo ci;

	auth_conninfo(s, s->s_user, &ci);
	ci.ci_principal = s->s_keyopts.ao_cert_principal;
	s->s_config = config_ref(w->w_config);
	config_effective_policy(s->s_config, &ci, &s->s_policy);
	s->s_policy_ctx.pc_set = &s->s_policy;
	s->s_policy_ctx.pc_key = &s->s_keyopts;
	s->s_policy_ctx.pc_key_src = s->s_key_src;
	s->s_policy_ctx.pc_self = w->w_self;
	s->s_policy_ctx.pc_nself = w->w_nself;
}

/*
 * After a reload the worker has a new config: the session's Match
 * result is computed again against it (same user, same addresses), so
 * the channel about to open follows the new policy.  The key's options
 * stay those read at authentication, as in sshd.  A channel still
 * resolving checks its addresses against the new rules too.
 */
void
auth_policy_refresh(struct session *s)
{
	if (s->s_config == s->s_worker->w_config)
		return;
	log_debug("%s: session %lu: policy recomputed for the reloaded "
	    "configuration", __func__, s->s_id);
	config_policy_release(&s->s_policy);
	config_unref(s->s_config);
	auth_policy_init(s);
}

/* sshd's "allow WHO local forwarding to host H port P" ("*" as 0). */
static void
auth_log_permits(const char *who, const struct permit_entry *pe, int n)
{
	int i;

	for (i = 0; i < n; i++)
		log_debug("allow %s local forwarding to host %s port %d", who,
		    pe[i].pe_host, pe[i].pe_port == AUTHKEYS_PERMIT_ANY_PORT ?
		    0 : pe[i].pe_port);
}

/*
 * sshd's process_permitopen() at the first request, after Match for the
 * user: one debug line per PermitOpen entry in force ("*" port as 0).
 */
static void
auth_log_admin_permits(struct session *s, const struct config_conninfo *ci)
{
	struct policy_settings ps;

	config_effective_policy(s->s_worker->w_config, ci, &ps);
	if (!ps.ps_permitopen_none)
		auth_log_permits("admin", ps.ps_permitopen, ps.ps_npermitopen);
	config_policy_release(&ps);
}

/* sshd's set_fwdpermit_from_authopts(), once authenticated. */
static void
auth_log_user_permits(struct session *s)
{
	if (s->s_policy.ps_allow_tcp != -1 &&
	    s->s_policy.ps_allow_tcp != POLICY_FWD_ALL &&
	    s->s_policy.ps_allow_tcp != POLICY_FWD_LOCAL)
		return;
	auth_log_permits("user", s->s_keyopts.ao_permitopen,
	    s->s_keyopts.ao_npermitopen);
}

/*
 * sshd's allowed_user(), for a user that has keys: the account's state
 * when the name is a system account, then the access lists.  A refused
 * user is then treated as an invalid one, as sshd does.
 */
static int
auth_allowed(struct session *s, const struct account *ac,
    const struct config_conninfo *ci)
{
	const struct config *cf = s->s_worker->w_config;
	char why[512];

	if (!account_usable(ac, ci->ci_user, cf->c_use_pam))
		return 0;
	if (!config_access_allowed(cf, ci, s->s_peer, ac->ac_groups,
	    ac->ac_ngroups, why, sizeof(why))) {
		log_info("%s", why);
		return 0;
	}
	return 1;
}

/*
 * The first request names the user for the whole session, as in sshd:
 * the account is looked up and its files checked once, Match applied,
 * the user allowed or not, and the Banner sent before any reply.
 */
static void
auth_start(struct session *s, const char *user)
{
	const struct config *cf = s->s_worker->w_config;
	struct config_conninfo ci;
	struct config_login lg;
	struct account ac;
	ssh_string str;
	char *text;

	auth_conninfo(s, user, &ci);
	s->s_authuser = xstrdup(user);
	account_lookup(user, config_access_needs_groups(cf, &ci), &ac);
	if (ac.ac_home != NULL)
		s->s_home = xstrdup(ac.ac_home);
	s->s_acct.aa_home = s->s_home;
	s->s_acct.aa_uid = ac.ac_uid;
	s->s_acct.aa_gid = ac.ac_gid;
	s->s_acct.aa_account = ac.ac_exists;
	s->s_acct.aa_strict = cf->c_strict_modes;
	/*
	 * A command may know any name, and a CA may certify any: only the
	 * answer or the certificate tells.
	 */
	if (cf->c_akcmd.ak_argv == NULL && cf->c_certs.cc_ca_file == NULL &&
	    !authkeys_user_known_home(cf->c_akfiles, cf->c_nakfiles, user,
	    s->s_home)) {
		log_info("Invalid user %.100s from %s port %d", user,
		    s->s_peer, s->s_peer_port);
		s->s_invalid_logged = 1;
	} else if (!auth_allowed(s, &ac, &ci))
		s->s_invalid_logged = 1;
	account_free(&ac);
	auth_log_admin_permits(s, &ci);
	config_effective_login(cf, &ci, &lg);
	s->s_root_login = lg.lg_root;
	if ((text = config_banner_read(lg.lg_banner)) != NULL) {
		if ((str = ssh_string_from_char(text)) != NULL &&
		    ssh_send_issue_banner(s->s_ssh, str) == SSH_OK)
			log_debug("%s: session %lu: banner %s sent", __func__,
			    s->s_id, lg.lg_banner);
		ssh_string_free(str);
		free(text);
	}
}

/* sshd's auth_maxtries_exceeded(): its two lines, then hang up. */
static void
auth_too_many(struct session *s, const char *user)
{
	auth_count_failure(s, user, NULL, NULL, MAF_TOO_MANY);
	log_error("maximum authentication attempts exceeded for %s%.100s "
	    "from %s port %d ssh2 [preauth]",
	    s->s_invalid_logged ? "invalid user " : "", user, s->s_peer,
	    s->s_peer_port);
	log_info("Disconnecting %s user %.100s %s port %d: Too many "
	    "authentication failures [preauth]",
	    s->s_invalid_logged ? "invalid" : "authenticating", user,
	    s->s_peer, s->s_peer_port);
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
}

static const char *
auth_method_name(int method)
{
	switch (method) {
	case SSH_AUTH_METHOD_NONE:		return "none";
	case SSH_AUTH_METHOD_PASSWORD:		return "password";
	case SSH_AUTH_METHOD_PUBLICKEY:		return "publickey";
	case SSH_AUTH_METHOD_HOSTBASED:		return "hostbased";
	case SSH_AUTH_METHOD_INTERACTIVE:	return "keyboard-interactive";
	case SSH_AUTH_METHOD_GSSAPI_MIC:	return "gssapi-with-mic";
	default:				return "unknown";
	}
}

/* sshd's auth_root_allowed(): jumpgate runs no forced commands. */
static int
auth_root_allowed(struct session *s, const char *user)
{
	if (config_root_allowed(s->s_root_login, user))
		return 1;
	log_info("ROOT LOGIN REFUSED FROM %.200s port %d", s->s_peer,
	    s->s_peer_port);
	return 0;
}

/* sshd's auth_maxtries_exceeded() is the next step past the limit. */
static void
auth_failed(struct session *s, ssh_message msg, const char *user, int method)
{
	const struct config *cf = s->s_worker->w_config;

	/* As sshd: every failure counts but a first "none". */
	if (s->s_attempts > 1 || method != SSH_AUTH_METHOD_NONE)
		s->s_failures++;
	if (s->s_failures < cf->c_max_auth_tries)
		ssh_message_reply_default(msg);
	else
		auth_too_many(s, user);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/*
 * The answer to a publickey request once its key was looked for (in the
 * files, then by AuthorizedKeysCommand): PK_OK for a probe, success for
 * a signature, or a failure counted with its reason.
 */
static void
auth_answer(struct session *s, ssh_message msg, int found,
    struct authkey_match *match, const struct authcert *ac,
    enum metrics_auth_fail why)
{
	const char *user = s->s_authuser;
	ssh_key key = ssh_message_auth_pubkey(msg);
	enum ssh_publickey_state_e state =
	    ssh_message_auth_publickey_state(msg);
	char keysrc[sizeof(match->am_file) + 16], keydesc[128];

	if (ac->ac_cert != NULL)
		str_lcpy(keydesc, ac->ac_keydesc, sizeof(keydesc));
	else
		auth_key_describe(key, keydesc, sizeof(keydesc));
	if (!found) {
		auth_log(s, user, keydesc, ac, 1,
		    state == SSH_PUBLICKEY_STATE_WRONG ? MAF_BAD_SIGNATURE :
		    why);
		goto fail;
	}
	if (state == SSH_PUBLICKEY_STATE_NONE) {
		/* A probe: say the key would do, wait for the signature. */
		log_verbose("Postponed publickey for %.100s from %s port %d "
		    "ssh2 [preauth]", user, s->s_peer, s->s_peer_port);
		ssh_message_auth_reply_pk_ok_simple(msg);
		authkeys_match_free(match);
		return;
	}
	/* SSH_PUBLICKEY_STATE_VALID: libssh verified the signature. */
	if (!auth_root_allowed(s, user)) {
		authkeys_match_free(match);
		auth_log(s, user, keydesc, ac, 1, MAF_ROOT_REFUSED);
		goto fail;
	}
	s->s_user = xstrdup(user);
	s->s_keyopts = match->am_opts;
	memset(&match->am_opts, 0, sizeof(match->am_opts));
	snprintf(keysrc, sizeof(keysrc), "%s:%d", match->am_file,
	    match->am_line);
	s->s_key_src = xstrdup(keysrc);
	authkeys_match_free(match);
	auth_policy_init(s);
	str_lcpy(s->s_keydesc, keydesc, sizeof(s->s_keydesc));
	if (ac->ac_cert != NULL) {
		/* Kept for the channel events of the session. */
		s->s_cert = ac->ac_audit;
		s->s_cert.ad_id = xstrdup(ac->ac_audit.ad_id);
	}
	auth_log(s, user, keydesc, ac, 0, 0);
	auth_log_user_permits(s);
	ssh_message_auth_reply_success(msg, 0);
	s->s_state = SESSION_OPEN;
	admit_startup_done(s->s_peer);
	s->s_startup = 0;
	evtimer_del(s->s_grace);
	return;
fail:
	auth_failed(s, msg, user, SSH_AUTH_METHOD_PUBLICKEY);
}

static int	auth_handle(struct session *, ssh_message);

/*
 * The requests that arrived while the command ran, in order, until one
 * starts another command.
 */
static void
auth_resume(struct session *s)
{
	ssh_message msg;

	while (s->s_auth_msg == NULL && s->s_nauth_held > 0) {
		msg = s->s_auth_held[0];
		memmove(s->s_auth_held, s->s_auth_held + 1,
		    (size_t)--s->s_nauth_held * sizeof(*s->s_auth_held));
		if (s->s_state == SESSION_AUTH) {
			if (auth_handle(s, msg))
				continue;
		} else if (s->s_state != SESSION_DEAD)
			ssh_message_reply_default(msg);
		ssh_message_free(msg);
	}
}

/* akrun's answer: the output read as an authorized_keys file. */
static void
auth_akrun_done(struct session *s, const char *out, size_t len)
{
	const struct config *cf = s->s_worker->w_config;
	ssh_message msg = s->s_auth_msg;
	struct authkey_match match;
	struct authcert ac;
	uint64_t mark = session_io_mark(s);
	int found = 0;

	s->s_auth_msg = NULL;
	memset(&match, 0, sizeof(match));
	/* It parsed before the command was started. */
	(void)authcert_open(ssh_message_auth_pubkey(msg), &ac);
	if (out != NULL && cf->c_akcmd.ak_argv != NULL)
		found = authkeys_find_text(out, len, cf->c_akcmd.ak_argv[0],
		    "AuthorizedKeysCommand", s->s_authuser,
		    ssh_message_auth_pubkey(msg), ac.ac_cert, s->s_peer,
		    &match) == 1;
	auth_answer(s, msg, found, &match, &ac, out == NULL ?
	    MAF_AKC_FAILED : s->s_auth_cert_refused || match.am_cert_refused ?
	    MAF_CERT : MAF_UNKNOWN_KEY);
	authcert_close(&ac);
	ssh_message_free(msg);
	auth_resume(s);
	/* Outside the pump: flush the reply, free a session now dead. */
	session_io_done(s, mark);
}

/*
 * sshd tries the files, then the command.  1 when the command runs and
 * keeps msg until it is done.
 */
static int
auth_try_command(struct session *s, ssh_message msg, ssh_key key,
    const struct cert *cert, struct authkey_match *match, int *found)
{
	const struct config *cf = s->s_worker->w_config;
	char *out;
	size_t len;

	switch (akrun_start(s, key, auth_akrun_done, &out, &len)) {
	case 1:
		s->s_auth_msg = msg;
		return 1;
	case 0:
		*found = authkeys_find_text(out, len, cf->c_akcmd.ak_argv[0],
		    "AuthorizedKeysCommand", s->s_authuser, key, cert,
		    s->s_peer, match) == 1;
		free(out);
		return 0;
	default:
		return 0;
	}
}

/* 1 when msg is kept (a command runs for it). */
static int
auth_handle(struct session *s, ssh_message msg)
{
	const struct config *cf = s->s_worker->w_config;
	struct authkey_match match;
	struct authcert ac;
	char rid[256], why[1024];
	const char *user = ssh_message_auth_user(msg);
	int method = ssh_message_subtype(msg);
	enum ssh_publickey_state_e state;
	char keydesc[128];
	ssh_key key;
	int found, usable, refused = 0;

	if (user == NULL)
		user = "";
	if (s->s_authuser == NULL)
		auth_start(s, user);
	else if (strcmp(user, s->s_authuser) != 0) {
		/* libssh drops requests for any other service unanswered. */
		session_remote_id(s, rid, sizeof(rid));
		snprintf(why, sizeof(why), "Change of username or service not "
		    "allowed: (%s,ssh-connection) -> (%s,ssh-connection)",
		    s->s_authuser, user);
		log_info("Disconnecting %s: %.100s [preauth]", rid, why);
		s->s_dropped = 1;
		s->s_state = SESSION_DEAD;
		return 0;
	}
	/* Probes of a good key do not fail, so they need a bound too. */
	if (s->s_attempts >= AUTH_ATTEMPTS_MAX) {
		auth_too_many(s, user);
		return 0;
	}
	s->s_attempts++;
	log_debug("%s: session %lu: attempt %d failures %d method %s",
	    __func__, s->s_id, s->s_attempts, s->s_failures,
	    auth_method_name(method));

	/*
	 * "none" and other methods fail: the reply lists publickey.  Once
	 * the limit is reached nothing is tried (MaxAuthTries 0 included).
	 */
	if (s->s_failures >= cf->c_max_auth_tries ||
	    method != SSH_AUTH_METHOD_PUBLICKEY ||
	    (key = ssh_message_auth_pubkey(msg)) == NULL) {
		/* Not a key at all (none, password, ...): no sshd line. */
		if (method != SSH_AUTH_METHOD_PUBLICKEY &&
		    (s->s_attempts > 1 || method != SSH_AUTH_METHOD_NONE))
			auth_count_failure(s, user, NULL, NULL, MAF_METHOD);
		auth_failed(s, msg, user, method);
		return 0;
	}
	if (s->s_invalid_logged) {
		auth_key_describe(key, keydesc, sizeof(keydesc));
		auth_log(s, user, keydesc, NULL, 1, MAF_INVALID_USER);
		auth_failed(s, msg, user, method);
		return 0;
	}
	state = ssh_message_auth_publickey_state(msg);
	memset(&match, 0, sizeof(match));
	/*
	 * As sshd, a probe gets the decision the signed request will: a
	 * certificate is checked in full both times.  TrustedUserCAKeys
	 * first, then the files, then the command.
	 */
	refused = authcert_open(key, &ac) == -1;
	usable = !refused && auth_key_allowed(cf, key) &&
	    state != SSH_PUBLICKEY_STATE_WRONG;
	/* sshd's user_key_allowed() looks at RevokedKeys first. */
	if (usable) {
		if (ac.ac_cert != NULL)
			str_lcpy(keydesc, ac.ac_keydesc, sizeof(keydesc));
		else
			auth_key_describe(key, keydesc, sizeof(keydesc));
		if (authcert_revoked(s, key, &ac, keydesc)) {
			auth_answer(s, msg, 0, &match, &ac, MAF_REVOKED);
			authcert_close(&ac);
			return 0;
		}
	}
	found = usable && authcert_trusted(s, &ac, user, &match, &refused);
	if (!found)
		found = usable && authkeys_find_acct(cf->c_akfiles,
		    cf->c_nakfiles, user, &s->s_acct, key, ac.ac_cert,
		    s->s_peer, &match) == 1;
	if (!found && match.am_cert_refused)
		refused = 1;
	s->s_auth_cert_refused = refused;
	if (!found && usable && cf->c_akcmd.ak_argv != NULL &&
	    auth_try_command(s, msg, key, ac.ac_cert, &match, &found)) {
		authcert_close(&ac);
		return 1;
	}
	auth_answer(s, msg, found, &match, &ac, refused ||
	    match.am_cert_refused ? MAF_CERT : MAF_UNKNOWN_KEY);
	authcert_close(&ac);
	return 0;
}

int
auth_request(struct session *s, ssh_message msg)
{
	char rid[256];

	if (s->s_auth_msg == NULL)
		return auth_handle(s, msg);
	/* One command per session at a time: the rest wait, in order. */
	if (s->s_nauth_held >= AUTH_HELD_MAX) {
		session_remote_id(s, rid, sizeof(rid));
		log_info("Disconnecting %s: %d authentication requests "
		    "waiting for AuthorizedKeysCommand [preauth]", rid,
		    s->s_nauth_held);
		s->s_dropped = 1;
		s->s_state = SESSION_DEAD;
		return 0;
	}
	if (s->s_auth_held == NULL)
		s->s_auth_held = xreallocarray(NULL, AUTH_HELD_MAX,
		    sizeof(*s->s_auth_held));
	s->s_auth_held[s->s_nauth_held++] = msg;
	return 1;
}
#pragma GCC diagnostic pop

void
auth_free(struct session *s)
{
	int i;

	akrun_cancel(s);
	if (s->s_auth_msg != NULL)
		ssh_message_free(s->s_auth_msg);
	s->s_auth_msg = NULL;
	for (i = 0; i < s->s_nauth_held; i++)
		ssh_message_free(s->s_auth_held[i]);
	free(s->s_auth_held);
	s->s_auth_held = NULL;
	s->s_nauth_held = 0;
}
