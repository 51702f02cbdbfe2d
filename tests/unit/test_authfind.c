/*
 * test_authfind.c: authkeys_find() against real files holding real keys
 * (made with libssh), checking which line wins and the exact log lines
 * sshd would write for the lines that do not.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <libssh/libssh.h>

#include "authkeys.h"
#include "log.h"
#include "testutil.h"

/* Two ed25519 keys and one ECDSA key, made once for the whole run. */
static ssh_key key_a, key_b, key_ec;
static char *b64_a, *b64_b, *b64_ec;

struct find_fixture {
	char	*dir;
	char	 pattern[4096];
	char	 fp_a[128];	/* "SHA256:..." of key_a */
};

static char *
fingerprint(ssh_key k)
{
	unsigned char *hash = NULL;
	size_t hlen;
	char *fp, *out;

	assert_int_equal(ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256,
	    &hash, &hlen), 0);
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	out = strdup(fp);
	ssh_string_free_char(fp);
	return out;
}

static int
find_setup(void **state)
{
	struct find_fixture *fx = calloc(1, sizeof(*fx));
	char *fp;

	fx->dir = tu_mkdtemp();
	snprintf(fx->pattern, sizeof(fx->pattern), "%s/%%u.keys", fx->dir);
	fp = fingerprint(key_a);
	snprintf(fx->fp_a, sizeof(fx->fp_a), "%s", fp);
	free(fp);
	tu_log_clear();
	*state = fx;
	return 0;
}

static int
find_teardown(void **state)
{
	struct find_fixture *fx = *state;

	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Writes alice's key file and looks key up from ip. */
static int
find_in(struct find_fixture *fx, const char *content, ssh_key key,
    const char *ip, struct authkey_match *m)
{
	char *pats[1] = { fx->pattern }, *path;

	path = tu_write(fx->dir, "alice.keys", content);
	free(path);
	return authkeys_find(pats, 1, "alice", key, ip, m);
}

static char *
keyline(const char *opts, const char *type, const char *b64)
{
	char *s;

	assert_true(asprintf(&s, "%s%s%s %s user@test\n", opts,
	    *opts ? " " : "", type, b64) > 0);
	return s;
}

static void
test_find_found(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *l = keyline("", "ssh-ed25519", b64_a), want[8192];

	assert_int_equal(find_in(fx, l, key_a, "192.0.2.1", &m), 1);
	snprintf(want, sizeof(want), "%s/alice.keys", fx->dir);
	assert_string_equal(m.am_file, want);
	assert_int_equal(m.am_line, 1);
	assert_int_equal(m.am_opts.ao_port_forwarding, 1);
	assert_int_equal(m.am_opts.ao_npermitopen, 0);
	authkeys_match_free(&m);
	snprintf(want, sizeof(want), "\nAccepted key ED25519 %s found at "
	    "%s/alice.keys:1\n", fx->fp_a, fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:1: matching key "
	    "found: ED25519 %s\n", fx->dir, fx->fp_a);
	assert_int_equal(tu_log_count(want), 1);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:1: key options: "
	    "agent-forwarding port-forwarding pty user-rc x11-forwarding\n",
	    fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	free(l);
}

static void
test_find_not_found(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *l = keyline("", "ssh-ed25519", b64_b);

	assert_int_equal(find_in(fx, l, key_a, "192.0.2.1", &m), 0);
	assert_int_equal(m.am_line, 0);
	assert_int_equal(tu_log_count("Accepted key"), 0);
	free(l);
}

static void
test_find_skips_bad_options(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *bad = keyline("permitopen=\"host:0\"", "ssh-ed25519", b64_a);
	char *good = keyline("restrict,port-forwarding,permitopen=\"db:5432\"",
	    "ssh-ed25519", b64_a), *text, want[8192];

	assert_true(asprintf(&text, "# comment\n\n  %s%s", bad, good) > 0);
	assert_int_equal(find_in(fx, text, key_a, "192.0.2.1", &m), 1);
	assert_int_equal(m.am_line, 4);
	assert_int_equal(m.am_opts.ao_npermitopen, 1);
	assert_string_equal(m.am_opts.ao_permitopen[0].pe_host, "db");
	assert_int_equal(m.am_opts.ao_permitopen[0].pe_port, 5432);
	assert_string_equal(m.am_opts.ao_text,
	    "restrict,port-forwarding,permitopen=\"db:5432\"");
	authkeys_match_free(&m);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:3: bad key "
	    "options: invalid permission port\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:4: key options: "
	    "permitopen port-forwarding\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:4: permitted "
	    "open: db:5432\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	free(bad);
	free(good);
	free(text);
}

static void
test_find_bad_options_other_type(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *l = keyline("nonsense", "ecdsa-sha2-nistp256", b64_ec);

	/* sshd only parses options on lines of the client's key type. */
	assert_int_equal(find_in(fx, l, key_a, "192.0.2.1", &m), 0);
	assert_int_equal(tu_log_count("bad key options"), 0);
	free(l);
	tu_log_clear();
	l = keyline("nonsense", "ecdsa-sha2-nistp256", b64_ec);
	assert_int_equal(find_in(fx, l, key_ec, "192.0.2.1", &m), 0);
	assert_int_equal(tu_log_count("bad key options: unknown key option"),
	    1);
	free(l);
}

static void
test_find_from(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *l = keyline("from=\"10.0.0.0/8,!10.6.6.6\"", "ssh-ed25519",
	    b64_a), want[8192];

	assert_int_equal(find_in(fx, l, key_a, "192.0.2.1", &m), 0);
	snprintf(want, sizeof(want), "\n%s/alice.keys:1: Authentication tried "
	    "for alice with correct key but not from a permitted host "
	    "(host=192.0.2.1, ip=192.0.2.1, required=10.0.0.0/8,!10.6.6.6).\n"
	    "Refused by key options\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	assert_int_equal(find_in(fx, l, key_a, "10.6.6.6", &m), 0);
	assert_int_equal(find_in(fx, l, key_a, "10.1.2.3", &m), 1);
	assert_string_equal(m.am_opts.ao_from, "10.0.0.0/8,!10.6.6.6");
	authkeys_match_free(&m);
	free(l);

	tu_log_clear();
	l = keyline("from=\"10.0.0.1/8\"", "ssh-ed25519", b64_a);
	assert_int_equal(find_in(fx, l, key_a, "10.0.0.1", &m), 0);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:1: invalid from "
	    "criteria\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	assert_int_equal(tu_log_count("not from a permitted host"), 1);
	free(l);
}

static void
test_find_expired(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *old = keyline("expiry-time=\"20000101Z\"", "ssh-ed25519", b64_a);
	char *future = keyline("expiry-time=\"29991231Z\"", "ssh-ed25519",
	    b64_a), *both, want[8192];

	assert_int_equal(find_in(fx, old, key_a, "192.0.2.1", &m), 0);
	/* TZ=UTC for this test binary. */
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:1: entry expired "
	    "at 2000-01-01T00:00:00\nRefused by key options\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	assert_true(asprintf(&both, "%s%s", old, future) > 0);
	assert_int_equal(find_in(fx, both, key_a, "192.0.2.1", &m), 1);
	assert_int_equal(m.am_line, 2);
	assert_int_equal(m.am_opts.ao_expiry, 32503593600ULL);
	authkeys_match_free(&m);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:2: key options: "
	    "agent-forwardingexpires port-forwarding pty user-rc "
	    "x11-forwarding\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	snprintf(want, sizeof(want), "debug1: %s/alice.keys:2: expires at "
	    "2999-12-31T00:00:00\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	free(old);
	free(future);
	free(both);
}

static void
test_find_refused_lines(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *ca = keyline("cert-authority", "ssh-ed25519", b64_a);
	char *pr = keyline("principals=\"alice\"", "ssh-ed25519", b64_a);

	/* A CA line never grants its own key. */
	assert_int_equal(find_in(fx, ca, key_a, "192.0.2.1", &m), 0);
	/* principals= without cert-authority is refused, as in sshd. */
	assert_int_equal(find_in(fx, pr, key_a, "192.0.2.1", &m), 0);
	assert_int_equal(tu_log_count(": principals on non-CA key\n"), 1);
	free(ca);
	free(pr);
}

static void
test_find_line_forms(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char *text;

	/* Tabs, CRLF, no comment, a type name libssh knows but sshd not. */
	assert_true(asprintf(&text, "rsa %s\n"
	    "ssh-ed25519\n"
	    "ssh-ed25519 !!!notbase64\n"
	    "from=\"unterminated ssh-ed25519 %s\n"
	    "\tno-pty\tssh-ed25519\t%s\r\n", b64_a, b64_a, b64_a) > 0);
	assert_int_equal(find_in(fx, text, key_a, "192.0.2.1", &m), 1);
	assert_int_equal(m.am_line, 5);
	assert_int_equal(m.am_opts.ao_flags & AUTHKEYS_OPT_PTY, 0);
	authkeys_match_free(&m);
	assert_int_equal(tu_log_count("\ninvalid key option string\n"), 1);
	free(text);
}

static void
test_find_several_files(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char p1[4096], p2[4096], p3[4096], *pats[4], *f, *l, want[8192];

	snprintf(p1, sizeof(p1), "%s/missing/%%u", fx->dir);
	snprintf(p2, sizeof(p2), "%%h/.ssh/authorized_keys");
	snprintf(p3, sizeof(p3), "%s/second-%%u", fx->dir);
	pats[0] = "none";
	pats[1] = p1;
	pats[2] = p2;	/* no system account "alice": skipped */
	pats[3] = p3;
	l = keyline("", "ssh-ed25519", b64_a);
	f = tu_write(fx->dir, "second-alice", l);
	assert_int_equal(authkeys_find(pats, 4, "alice", key_a, "192.0.2.1",
	    &m), 1);
	assert_string_equal(m.am_file, f);
	authkeys_match_free(&m);
	snprintf(want, sizeof(want), "debug1: Could not open user 'alice' "
	    "authorized keys '%s/missing/alice': No such file or directory\n",
	    fx->dir);
	assert_int_equal(tu_log_count(want), 1);
	/* A path out of the key directory is never even tried. */
	assert_int_equal(authkeys_find(pats, 4, "../second-alice", key_a,
	    "192.0.2.1", &m), 0);
	free(f);
	free(l);
}

static void
test_find_not_regular(void **state)
{
	struct find_fixture *fx = *state;
	struct authkey_match m;
	char dirpat[4096], *pats[1] = { dirpat }, sub[4096], want[8192];

	snprintf(sub, sizeof(sub), "%s/alice", fx->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(dirpat, sizeof(dirpat), "%s/%%u", fx->dir);
	assert_int_equal(authkeys_find(pats, 1, "alice", key_a, "192.0.2.1",
	    &m), 0);
	snprintf(want, sizeof(want), "\nUser 'alice' authorized keys "
	    "'%s/alice' is not a regular file\n", fx->dir);
	assert_int_equal(tu_log_count(want), 1);
}

static int
keys_setup(void **state)
{
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key_a) != SSH_OK ||
	    ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key_b) != SSH_OK ||
	    ssh_pki_generate(SSH_KEYTYPE_ECDSA_P256, 256, &key_ec) != SSH_OK)
		return -1;
	if (ssh_pki_export_pubkey_base64(key_a, &b64_a) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key_b, &b64_b) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key_ec, &b64_ec) != SSH_OK)
		return -1;
	return 0;
}

static int
keys_teardown(void **state)
{
	ssh_key_free(key_a);
	ssh_key_free(key_b);
	ssh_key_free(key_ec);
	ssh_string_free_char(b64_a);
	ssh_string_free_char(b64_b);
	ssh_string_free_char(b64_ec);
	return 0;
}

#define FIND_TEST(f)	cmocka_unit_test_setup_teardown(f, find_setup, \
	find_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIND_TEST(test_find_found),
		FIND_TEST(test_find_not_found),
		FIND_TEST(test_find_skips_bad_options),
		FIND_TEST(test_find_bad_options_other_type),
		FIND_TEST(test_find_from),
		FIND_TEST(test_find_expired),
		FIND_TEST(test_find_refused_lines),
		FIND_TEST(test_find_line_forms),
		FIND_TEST(test_find_several_files),
		FIND_TEST(test_find_not_regular),
	};

	tu_log_capture();
	/* Expiry lines are logged in local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
