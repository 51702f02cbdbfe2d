/*
 * test_sshdconf.c: the sshd_config pieces an existing sshd setup relies
 * on (issue 9): Include, the access lists and their Match semantics,
 * StrictModes and the account-readable check on key files.
 *
 * Each pins sshd's behaviour: where included lines go, what an error
 * names, which list is in force after Match, the exact refusal texts.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "authkeys.h"
#include "config.h"
#include "log.h"
#include "str.h"
#include "testutil.h"

static int
load_file(struct config *cf, const char *path, char *err)
{
	err[0] = '\0';
	config_init(cf);
	return config_load_file(cf, path, err, CONFIG_ERR_MAX);
}

static void
test_include_order_and_blocks(void **state)
{
	struct config cf;
	struct config_conninfo ci = { "alice", "192.0.2.1", "127.0.0.1", 22,
	    NULL };
	struct policy_settings ps;
	char err[CONFIG_ERR_MAX], *dir = tu_mkdtemp(), sub[PATH_MAX];
	char *main_conf, *p;

	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	/* Lexical order: 10 before 20; the first value wins, as in sshd. */
	free(tu_write(sub, "20-late.conf", "LoginGraceTime 20\nPort 2020\n"));
	free(tu_write(sub, "10-early.conf", "LoginGraceTime 10\nPort 1010\n"
	    "Match User alice\nPermitOpen 10.0.0.1:1\n"));
	free(tu_write(sub, "ignored.txt", "Bogus keyword\n"));
	/* Included inside Match: its lines belong to that block. */
	free(tu_write(dir, "inmatch.conf", "PermitOpen 10.0.0.2:2\n"));
	/* Relative: from the main file's directory. */
	main_conf = tu_write(dir, "main.conf",
	    "Include conf.d/*.conf\n"
	    "MaxAuthTries 4\n"
	    "Include /nonexistent-dir/*.conf\n"
	    "Match User bob\n"
	    "Include inmatch.conf\n"
	    "Banner /bob\n");
	assert_int_equal(load_file(&cf, main_conf, err), 0);
	assert_int_equal(cf.c_login_grace, 10);
	assert_int_equal(cf.c_nports, 2);
	assert_int_equal(cf.c_ports[0], 1010);
	assert_int_equal(cf.c_ports[1], 2020);
	/* The Match in 10-early.conf ended with its file. */
	assert_int_equal(cf.c_max_auth_tries, 4);
	assert_int_equal(cf.c_nmatches, 2);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_npermitopen, 1);
	assert_string_equal(cf.c_matches[1].cm_policy.ps_permitopen[0].pe_host,
	    "10.0.0.2");
	assert_string_equal(cf.c_matches[1].cm_login.lg_banner, "/bob");
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_npermitopen, 1);
	assert_string_equal(ps.ps_permitopen[0].pe_host, "10.0.0.1");
	config_policy_release(&ps);
	config_free(&cf);

	/* An error in an included file names that file and line. */
	p = tu_write(sub, "30-bad.conf", "\n\nAllowUsers \"\"\n");
	assert_int_equal(load_file(&cf, main_conf, err), -1);
	assert_non_null(strstr(err, "conf.d/30-bad.conf:3: invalid AllowUsers "
	    "pattern: \"\""));
	config_free(&cf);
	unlink(p);
	free(p);
	free(main_conf);
	tu_rmtree(dir);
}

static void
test_include_nested_match(void **state)
{
	struct config cf;
	struct config_conninfo alice = { "alice", "192.0.2.1", NULL, 0, NULL };
	struct config_conninfo bob = { "bob", "192.0.2.1", NULL, 0, NULL };
	struct config_login lg;
	char err[CONFIG_ERR_MAX], *dir = tu_mkdtemp(), *inc, *main_conf;
	char text[PATH_MAX + 64];

	/* A Match inside a file included in a Match needs both. */
	inc = tu_write(dir, "inc.conf", "Match Address 192.0.2.0/24\n"
	    "PermitRootLogin no\n");
	snprintf(text, sizeof(text), "Match User alice\nInclude %s\n"
	    "Banner /alice\n", inc);
	main_conf = tu_write(dir, "main.conf", text);
	assert_int_equal(load_file(&cf, main_conf, err), 0);
	config_effective_login(&cf, &alice, &lg);
	assert_int_equal(lg.lg_root, CONFIG_ROOT_NO);
	/* After the Include, alice's block is open again. */
	assert_string_equal(lg.lg_banner, "/alice");
	config_effective_login(&cf, &bob, &lg);
	assert_int_equal(lg.lg_root, -1);
	config_free(&cf);
	free(inc);
	free(main_conf);
	tu_rmtree(dir);
}

static void
test_include_errors(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX], *dir = tu_mkdtemp(), *self, text[PATH_MAX];
	char want[PATH_MAX + 64];

	/* A file including itself stops at sshd's depth limit (16). */
	snprintf(text, sizeof(text), "%s/self.conf", dir);
	self = xstrdup(text);
	snprintf(text, sizeof(text), "MaxAuthTries 3\nInclude %s\n", self);
	free(tu_write(dir, "self.conf", text));
	assert_int_equal(load_file(&cf, self, err), -1);
	snprintf(text, sizeof(text), "%s:2: Too many recursive configuration "
	    "includes", self);
	assert_string_equal(err, text);
	config_free(&cf);

	free(tu_write(dir, "empty.conf", "Include\n"));
	snprintf(text, sizeof(text), "%s/empty.conf", dir);
	assert_int_equal(load_file(&cf, text, err), -1);
	assert_non_null(strstr(err, "empty.conf:1: Include missing filename "
	    "argument"));
	config_free(&cf);

	/* Only regular files: a directory, a device is an error. */
	config_init(&cf);
	assert_int_equal(config_load_string(&cf, "Include /dev/null\n",
	    "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: include \"/dev/null\": not a "
	    "regular file");
	config_free(&cf);
	snprintf(text, sizeof(text), "Include %s\n", dir);
	config_init(&cf);
	assert_int_equal(config_load_string(&cf, text, "t.conf", err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "t.conf:1: include \"%s\": not a regular "
	    "file", dir);
	assert_string_equal(err, want);
	config_free(&cf);
	free(self);
	tu_rmtree(dir);
}

static int
allowed(const char *text, const char *user, const char *addr,
    char *const *groups, int ngroups, char *why)
{
	struct config cf;
	struct config_conninfo ci = { user, addr, "127.0.0.1", 22, NULL };
	char err[CONFIG_ERR_MAX];
	int r;

	config_init(&cf);
	if (config_load_string(&cf, text, "t.conf", err, sizeof(err)) != 0)
		fail_msg("rejected: %s: %s", text, err);
	why[0] = '\0';
	r = config_access_allowed(&cf, &ci, addr, groups, ngroups, why, 512);
	config_free(&cf);
	return r;
}

static void
test_access_lists(void **state)
{
	char *const wheel[] = { "users", "wheel" };
	char why[512];

	assert_int_equal(allowed("", "alice", "192.0.2.1", NULL, 0, why), 1);
	assert_int_equal(allowed("AllowUsers bob carol\nAllowUsers al*\n",
	    "alice", "192.0.2.1", NULL, 0, why), 1);
	assert_int_equal(allowed("AllowUsers bob\n", "alice", "192.0.2.1",
	    NULL, 0, why), 0);
	assert_string_equal(why, "User alice from 192.0.2.1 not allowed "
	    "because not listed in AllowUsers");
	/* user@host with CIDR; the host part is an address list. */
	assert_int_equal(allowed("AllowUsers alice@192.0.2.0/24\n", "alice",
	    "192.0.2.9", NULL, 0, why), 1);
	assert_int_equal(allowed("AllowUsers alice@192.0.2.0/24\n", "alice",
	    "198.51.100.1", NULL, 0, why), 0);
	assert_int_equal(allowed("AllowUsers alice@!192.0.2.9,192.0.2.0/24\n",
	    "alice", "192.0.2.9", NULL, 0, why), 0);
	/* Deny first, whatever Allow says. */
	assert_int_equal(allowed("AllowUsers alice\nDenyUsers a*\n", "alice",
	    "192.0.2.1", NULL, 0, why), 0);
	assert_string_equal(why, "User alice from 192.0.2.1 not allowed "
	    "because listed in DenyUsers");
	/* Groups. */
	assert_int_equal(allowed("AllowGroups wheel\n", "alice", "192.0.2.1",
	    wheel, 2, why), 1);
	assert_int_equal(allowed("AllowGroups adm\n", "alice", "192.0.2.1",
	    wheel, 2, why), 0);
	assert_string_equal(why, "User alice from 192.0.2.1 not allowed "
	    "because none of user's groups are listed in AllowGroups");
	assert_int_equal(allowed("DenyGroups wh?el\n", "alice", "192.0.2.1",
	    wheel, 2, why), 0);
	assert_string_equal(why, "User alice from 192.0.2.1 not allowed "
	    "because a group is listed in DenyGroups");
	assert_int_equal(allowed("DenyGroups adm\n", "alice", "192.0.2.1",
	    NULL, 0, why), 0);
	assert_string_equal(why, "User alice from 192.0.2.1 not allowed "
	    "because not in any group");
	/* A Match block's list replaces the global one for its users. */
	assert_int_equal(allowed("AllowUsers bob\nMatch Address 192.0.2.0/24\n"
	    "AllowUsers alice\n", "alice", "192.0.2.1", NULL, 0, why), 1);
	assert_int_equal(allowed("AllowUsers bob\nMatch Address 192.0.2.0/24\n"
	    "AllowUsers alice\n", "bob", "192.0.2.1", NULL, 0, why), 0);
	assert_int_equal(allowed("AllowUsers bob\nMatch Address 192.0.2.0/24\n"
	    "AllowUsers alice\n", "bob", "198.51.100.1", NULL, 0, why), 1);
}

static void
test_access_parse_errors(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(config_load_string(&cf, "AllowUsers\n", "t.conf", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: no AllowUsers specified");
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(config_load_string(&cf, "DenyUsers a@10.0.0.0/99\n",
	    "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: invalid DenyUsers pattern: "
	    "\"a@10.0.0.0/99\"");
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(config_load_string(&cf, "DenyGroups \"\"\n", "t.conf",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: empty DenyGroups pattern");
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(config_load_string(&cf, "StrictModes maybe\n",
	    "t.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1: StrictModes: unsupported option "
	    "\"maybe\" (yes or no)");
	config_free(&cf);
}

static int
check(const char *path, const struct authkeys_acct *acct, char *why)
{
	int fd, r;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	why[0] = '\0';
	r = safepath_check(fd, path, acct, why, 512);
	close(fd);
	return r;
}

static void
test_strict_modes(void **state)
{
	struct authkeys_acct acct = { NULL, 0, 0, 0, 1 };
	char *dir = tu_mkdtemp(), *f, *link, want[PATH_MAX + 64], why[512];
	char real[PATH_MAX];

	chmod(dir, 0755);
	f = tu_write(dir, "keys", "x\n");
	assert_non_null(realpath(f, real));
	chmod(f, 0664);
	assert_int_equal(check(f, &acct, why), SAFEPATH_BAD);
	snprintf(want, sizeof(want), "bad ownership or modes for file %s",
	    real);
	assert_string_equal(why, want);
	chmod(f, 0644);
	/* Everything above it up to "/" counts: /tmp is world-writable. */
	if (getenv("TMPDIR") == NULL) {
		assert_int_equal(check(f, &acct, why), SAFEPATH_BAD);
		assert_string_equal(why, "bad ownership or modes for "
		    "directory /tmp");
	}
	/* Owned by someone else than root or the user. */
	acct.aa_account = 1;
	acct.aa_uid = 4242;
	acct.aa_gid = 4242;
	assert_int_equal(chown(f, 4343, 0), 0);
	assert_int_equal(check(f, &acct, why), SAFEPATH_BAD);
	assert_string_equal(why, want);
	assert_int_equal(chown(f, 0, 0), 0);

	/* The account could not read a root-only file through a symlink. */
	acct.aa_strict = 0;
	chmod(f, 0600);
	snprintf(want, sizeof(want), "%s/link", dir);
	link = xstrdup(want);
	assert_int_equal(symlink(f, link), 0);
	assert_int_equal(check(link, &acct, why), SAFEPATH_UNREADABLE);
	chmod(f, 0644);
	assert_int_equal(check(link, &acct, why), 0);
	/* Root itself reads anything, as sshd running as root would. */
	chmod(f, 0600);
	acct.aa_uid = 0;
	assert_int_equal(check(link, &acct, why), 0);
	free(link);
	free(f);
	tu_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_order_and_blocks),
		cmocka_unit_test(test_include_nested_match),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_access_lists),
		cmocka_unit_test(test_access_parse_errors),
		cmocka_unit_test(test_strict_modes),
	};

	tu_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
