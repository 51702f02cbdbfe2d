/*
 * test_config.c: the sshd_config-syntax reader.
 *
 * Beyond each keyword, these pin down the rules an operator relies on
 * when reusing an sshd_config: first value wins, -o beats the file,
 * errors name file:line, and a restriction jumpgate cannot enforce stops
 * the load instead of being dropped.
 */
#include <sys/socket.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "testutil.h"

/* What -T prints for the global settings of an empty config. */
#define DUMP_GLOBAL_DEFAULT \
	"port 22\n" \
	"listenaddress 0.0.0.0:22\n" \
	"listenaddress [::]:22\n" \
	"addressfamily any\n" \
	"resolvconf /etc/resolv.conf\n" \
	"authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n" \
	"authorizedkeyscommand none\n" \
	"authorizedkeyscommanduser none\n" \
	"authorizedkeyscommandtimeout 10\n" \
	"authorizedkeyscommandcache none\n" \
	"trustedusercakeys none\n" \
	"revokedkeys none\n" \
	"authorizedprincipalsfile none\n" \
	"loglevel INFO\n" \
	"syslogfacility AUTH\n" \
	"pidfile /run/jumpgate/jumpgate.pid\n" \
	"user jumpgate\n" \
	"logingracetime 120\n" \
	"maxauthtries 6\n" \
	"permitrootlogin without-password\n" \
	"banner none\n" \
	"authenticationmethods any\n" \
	"permitlisten any\n" \
	"strictmodes yes\n" \
	"usepam no\n" \
	"maxstartups 10:30:100\n" \
	"persourcemaxstartups none\n" \
	"persourcenetblocksize 32:128\n" \
	"maxchannelspersession 1024\n" \
	"maxchannelsperuser none\n" \
	"maxchannelspersource none\n" \
	"maxpendingchannels 256\n" \
	"statedirectory /var/lib/jumpgate\n" \
	"workers 0\n" \
	"jumpgatedemo no\n" \
	"clientaliveinterval 0\n" \
	"clientalivecountmax 3\n" \
	"tcpkeepalive yes\n" \
	"compression yes\n" \
	"rekeylimit 0 0\n" \
	"channeltimeout none\n" \
	"unusedconnectiontimeout none\n" \
	"connecttimeout 10\n" \
	"shutdowngracetime 30\n" \
	"auditlog none\n" \
	"adminlisten none\n" \
	"adminsocket none\n" \
	"proxyprotocolfrom none\n" \
	"ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com," \
	"aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr\n" \
	"macs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com," \
	"hmac-sha2-256,hmac-sha2-512\n" \
	"kexalgorithms curve25519-sha256,curve25519-sha256@libssh.org," \
	"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521," \
	"diffie-hellman-group18-sha512,diffie-hellman-group16-sha512," \
	"diffie-hellman-group-exchange-sha256," \
	"diffie-hellman-group14-sha256\n" \
	"hostkeyalgorithms ssh-ed25519,ecdsa-sha2-nistp521," \
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,rsa-sha2-512," \
	"rsa-sha2-256\n" \
	"pubkeyacceptedalgorithms ssh-ed25519-cert-v01@openssh.com," \
	"ecdsa-sha2-nistp256-cert-v01@openssh.com," \
	"ecdsa-sha2-nistp384-cert-v01@openssh.com," \
	"ecdsa-sha2-nistp521-cert-v01@openssh.com," \
	"rsa-sha2-512-cert-v01@openssh.com," \
	"rsa-sha2-256-cert-v01@openssh.com," \
	"ssh-ed25519,ecdsa-sha2-nistp256," \
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512," \
	"rsa-sha2-256\n"

/* Loads text as "test.conf"; returns the result, err gets the message. */
static int
load(struct config *cf, const char *text, char *err)
{
	err[0] = '\0';
	return config_load_string(cf, text, "test.conf", err, CONFIG_ERR_MAX);
}

/* text must fail with exactly want. */
static void
check_error(const char *text, const char *want)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	if (load(&cf, text, err) != -1)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, want);
	config_free(&cf);
}

/* text must load. */
static void
check_ok(const char *text)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	if (load(&cf, text, err) != 0)
		fail_msg("rejected: %s: %s", text, err);
	config_free(&cf);
}

static void
test_init_is_unset(void **state)
{
	struct config cf;

	config_init(&cf);
	assert_int_equal(cf.c_nports, 0);
	assert_int_equal(cf.c_nlisten, 0);
	assert_int_equal(cf.c_log_level, -1);
	assert_int_equal(cf.c_syslog_facility, -1);
	assert_int_equal(cf.c_login_grace, -1);
	assert_int_equal(cf.c_max_auth_tries, -1);
	assert_int_equal(cf.c_max_startups, -1);
	assert_int_equal(cf.c_workers, -1);
	assert_int_equal(cf.c_demo, -1);
	assert_null(cf.c_pidfile);
	assert_null(cf.c_state_dir);
	config_free(&cf);
}

static void
test_every_keyword(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "Port 2222\n"
	    "ListenAddress 127.0.0.1\n"
	    "HostKey /etc/jumpgate/ssh_host_ed25519_key\n"
	    "AuthorizedKeysFile /etc/jumpgate/keys/%u .ssh/authorized_keys\n"
	    "LogLevel VERBOSE\n"
	    "SyslogFacility LOCAL3\n"
	    "PidFile /run/jg.pid\n"
	    "LoginGraceTime 1m30s\n"
	    "MaxAuthTries 3\n"
	    "MaxStartups 10:30:60\n"
	    "StateDirectory /var/lib/jg\n"
	    "Workers 4\n"
	    "JumpgateDemo yes\n", err), 0);
	assert_int_equal(cf.c_nports, 1);
	assert_int_equal(cf.c_ports[0], 2222);
	assert_int_equal(cf.c_nlisten, 1);
	assert_string_equal(cf.c_listen[0].cl_host, "127.0.0.1");
	assert_int_equal(cf.c_listen[0].cl_port, 0);
	assert_int_equal(cf.c_nhostkeys, 1);
	assert_string_equal(cf.c_hostkeys[0],
	    "/etc/jumpgate/ssh_host_ed25519_key");
	assert_int_equal(cf.c_nakfiles, 2);
	assert_string_equal(cf.c_akfiles[0], "/etc/jumpgate/keys/%u");
	assert_string_equal(cf.c_akfiles[1], ".ssh/authorized_keys");
	assert_int_equal(cf.c_log_level, LOG_LVL_VERBOSE);
	assert_int_equal(cf.c_syslog_facility, LOG_LOCAL3);
	assert_string_equal(cf.c_pidfile, "/run/jg.pid");
	assert_int_equal(cf.c_login_grace, 90);
	assert_int_equal(cf.c_max_auth_tries, 3);
	assert_int_equal(cf.c_max_startups, 60);
	assert_string_equal(cf.c_state_dir, "/var/lib/jg");
	assert_int_equal(cf.c_workers, 4);
	assert_int_equal(cf.c_demo, 1);
	config_free(&cf);
}

static void
test_first_value_wins(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "LogLevel DEBUG2\nLogLevel ERROR\n"
	    "SyslogFacility DAEMON\nSyslogFacility LOCAL0\n"
	    "PidFile /a.pid\nPidFile /b.pid\n"
	    "LoginGraceTime 10\nLoginGraceTime 20\n"
	    "MaxAuthTries 2\nMaxAuthTries 9\n"
	    "MaxStartups 5\nMaxStartups 7\n"
	    "StateDirectory /s1\nStateDirectory /s2\n"
	    "Workers 1\nWorkers 2\n"
	    "JumpgateDemo no\nJumpgateDemo yes\n"
	    "AuthorizedKeysFile /first/%u\nAuthorizedKeysFile /second/%u\n",
	    err), 0);
	assert_int_equal(cf.c_log_level, LOG_LVL_DEBUG2);
	assert_int_equal(cf.c_syslog_facility, LOG_DAEMON);
	assert_string_equal(cf.c_pidfile, "/a.pid");
	assert_int_equal(cf.c_login_grace, 10);
	assert_int_equal(cf.c_max_auth_tries, 2);
	assert_int_equal(cf.c_max_startups, 5);
	assert_string_equal(cf.c_state_dir, "/s1");
	assert_int_equal(cf.c_workers, 1);
	assert_int_equal(cf.c_demo, 0);
	assert_int_equal(cf.c_nakfiles, 1);
	assert_string_equal(cf.c_akfiles[0], "/first/%u");
	config_free(&cf);
}

static void
test_accumulation(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "Port 22\nPort 2222\n"
	    "ListenAddress 127.0.0.1:2200\n"
	    "ListenAddress [::1]:2201\n"
	    "ListenAddress ::1\n"
	    "ListenAddress [fe80::1]\n"
	    "ListenAddress gw.example.org:22\n"
	    "HostKey /k1\nHostKey /k2\n", err), 0);
	assert_int_equal(cf.c_nports, 2);
	assert_int_equal(cf.c_ports[0], 22);
	assert_int_equal(cf.c_ports[1], 2222);
	assert_int_equal(cf.c_nlisten, 5);
	assert_string_equal(cf.c_listen[0].cl_host, "127.0.0.1");
	assert_int_equal(cf.c_listen[0].cl_port, 2200);
	assert_string_equal(cf.c_listen[1].cl_host, "::1");
	assert_int_equal(cf.c_listen[1].cl_port, 2201);
	assert_string_equal(cf.c_listen[2].cl_host, "::1");
	assert_int_equal(cf.c_listen[2].cl_port, 0);
	assert_string_equal(cf.c_listen[3].cl_host, "fe80::1");
	assert_int_equal(cf.c_listen[3].cl_port, 0);
	assert_string_equal(cf.c_listen[4].cl_host, "gw.example.org");
	assert_int_equal(cf.c_listen[4].cl_port, 22);
	assert_int_equal(cf.c_nhostkeys, 2);
	assert_string_equal(cf.c_hostkeys[1], "/k2");
	config_free(&cf);
}

static void
test_syntax(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "   # indented comment\n"
	    "port 1\n"			/* keywords are case-insensitive */
	    "PORT=2\n"			/* Keyword=value */
	    "Port = 3\n"
	    "Port =4\n"
	    "\tPort\t5   # trailing comment\n"
	    "Port 6\r\n"		/* CRLF */
	    "HostKey \"/etc/my keys/host key\"\n"
	    "HostKey '/single quoted'\n"
	    "HostKey /back\\ slash\n"
	    "HostKey \"/with \\\"quote\\\"\"\n"
	    "AuthorizedKeysFile \"/a b/%u\" '/c d/%u' /e\n"
	    "LogLevel=debug3\n", err), 0);
	assert_int_equal(cf.c_nports, 6);
	assert_int_equal(cf.c_ports[0], 1);
	assert_int_equal(cf.c_ports[1], 2);
	assert_int_equal(cf.c_ports[2], 3);
	assert_int_equal(cf.c_ports[3], 4);
	assert_int_equal(cf.c_ports[4], 5);
	assert_int_equal(cf.c_ports[5], 6);
	assert_string_equal(cf.c_hostkeys[0], "/etc/my keys/host key");
	assert_string_equal(cf.c_hostkeys[1], "/single quoted");
	assert_string_equal(cf.c_hostkeys[2], "/back slash");
	assert_string_equal(cf.c_hostkeys[3], "/with \"quote\"");
	assert_int_equal(cf.c_nakfiles, 3);
	assert_string_equal(cf.c_akfiles[0], "/a b/%u");
	assert_string_equal(cf.c_akfiles[1], "/c d/%u");
	assert_string_equal(cf.c_akfiles[2], "/e");
	assert_int_equal(cf.c_log_level, LOG_LVL_DEBUG3);
	config_free(&cf);
}

static void
test_unknown_keyword(void **state)
{
	check_error("Port 22\n\nFrobnicate yes\n",
	    "test.conf:3: Bad configuration option: Frobnicate");
	/* Only one '=' separates, as in sshd. */
	check_error("Port==22\n", "test.conf:1: Port: bad port number "
	    "\"=22\"");
	/* A '#' inside a word does not start a comment (sshd agrees). */
	check_error("Port 22#x\n", "test.conf:1: Port: bad port number "
	    "\"22#x\"");
}

static void
test_file_errors(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX + 64];
	char *dir = tu_mkdtemp(), *path;

	path = tu_write(dir, "jumpgate.conf", "# header\nPort 22\n"
	    "UsePAM yes\nNoSuchThing 1\nPort 23\n");
	config_init(&cf);
	assert_int_equal(config_load_file(&cf, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: Bad configuration option: "
	    "NoSuchThing", path);
	assert_string_equal(err, want);
	/* It stopped at the bad line. */
	assert_int_equal(cf.c_nports, 1);
	config_free(&cf);
	free(path);

	config_init(&cf);
	assert_int_equal(config_load_file(&cf, "/nonexistent/jg.conf", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/jg.conf: No such file or "
	    "directory");
	config_free(&cf);

	path = tu_write(dir, "good.conf", "Port 2022\nLogLevel QUIET\n");
	config_init(&cf);
	assert_int_equal(config_load_file(&cf, path, err, sizeof(err)), 0);
	assert_int_equal(cf.c_ports[0], 2022);
	assert_int_equal(cf.c_log_level, LOG_LVL_QUIET);
	config_free(&cf);
	free(path);
	tu_rmtree(dir);
}

static void
test_bad_values(void **state)
{
	check_error("Port 0\n", "test.conf:1: Port: bad port number \"0\"");
	check_error("Port 65536\n",
	    "test.conf:1: Port: bad port number \"65536\"");
	check_error("Port ssh\n", "test.conf:1: Port: bad port number \"ssh\"");
	check_error("ListenAddress [::1\n",
	    "test.conf:1: ListenAddress: bad address \"[::1\"");
	check_error("ListenAddress 127.0.0.1:0\n",
	    "test.conf:1: ListenAddress: bad address \"127.0.0.1:0\"");
	check_error("ListenAddress 10.0.0.1 rdomain 3\n",
	    "test.conf:1: ListenAddress: extra arguments at end of line");
	check_error("LogLevel LOUD\n",
	    "test.conf:1: LogLevel: unsupported log level \"LOUD\"");
	check_error("SyslogFacility KERN\n",
	    "test.conf:1: SyslogFacility: unsupported log facility \"KERN\"");
	check_error("LoginGraceTime 1x\n",
	    "test.conf:1: LoginGraceTime: invalid time value \"1x\"");
	check_error("LoginGraceTime 10s5\n",
	    "test.conf:1: LoginGraceTime: invalid time value \"10s5\"");
	check_error("LoginGraceTime -1\n",
	    "test.conf:1: LoginGraceTime: invalid time value \"-1\"");
	check_error("LoginGraceTime 1.5\n",
	    "test.conf:1: LoginGraceTime: invalid time value \"1.5\"");
	check_error("LoginGraceTime 99999999999\n",
	    "test.conf:1: LoginGraceTime: invalid time value \"99999999999\"");
	check_error("MaxAuthTries -1\n",
	    "test.conf:1: MaxAuthTries: bad number \"-1\"");
	check_error("MaxAuthTries many\n",
	    "test.conf:1: MaxAuthTries: bad number \"many\"");
	check_error("MaxStartups 0\n",
	    "test.conf:1: MaxStartups: invalid spec \"0\"");
	check_error("MaxStartups 10:0:100\n",
	    "test.conf:1: MaxStartups: invalid spec \"10:0:100\"");
	check_error("MaxStartups 10:101:100\n",
	    "test.conf:1: MaxStartups: invalid spec \"10:101:100\"");
	check_error("MaxStartups 50:30:10\n",
	    "test.conf:1: MaxStartups: invalid spec \"50:30:10\"");
	check_error("MaxStartups 10:30\n",
	    "test.conf:1: MaxStartups: invalid spec \"10:30\"");
	check_error("PerSourceMaxStartups 0\n", "test.conf:1: "
	    "PerSourceMaxStartups: bad number \"0\" (or none)");
	check_error("PerSourceNetBlockSize 33\n", "test.conf:1: "
	    "PerSourceNetBlockSize: invalid spec \"33\"");
	check_error("PerSourceNetBlockSize 24:129\n", "test.conf:1: "
	    "PerSourceNetBlockSize: invalid spec \"24:129\"");
	check_error("MaxChannelsPerUser 0\n", "test.conf:1: "
	    "MaxChannelsPerUser: bad number \"0\" (or none)");
	check_error("MaxPendingChannels lots\n", "test.conf:1: "
	    "MaxPendingChannels: bad number \"lots\" (or none)");
	check_error("Workers 257\n", "test.conf:1: Workers: bad number \"257\" "
	    "(0 to 256, 0 = one per core)");
	check_error("JumpgateDemo maybe\n", "test.conf:1: JumpgateDemo: "
	    "unsupported option \"maybe\" (yes or no)");
	check_error("AuthorizedKeysFile none /x\n", "test.conf:1: "
	    "AuthorizedKeysFile: \"none\" argument must appear alone");
	check_error("AuthorizedKeysFile /keys/%U\n", "test.conf:1: "
	    "AuthorizedKeysFile: unknown token %U in \"/keys/%U\"");
	check_error("AuthorizedKeysFile ~/.ssh/authorized_keys\n",
	    "test.conf:1: AuthorizedKeysFile: \"~\" is not supported, use %h");
	check_error("AuthorizedKeysFile /a \"\"\n",
	    "test.conf:1: AuthorizedKeysFile: empty argument");
	check_error("HostKey \"/unterminated\n",
	    "test.conf:1: HostKey: invalid quotes");
}

static void
test_missing_and_extra(void **state)
{
	check_error("Port\n", "test.conf:1: Port: missing argument");
	check_error("Port \"\"\n", "test.conf:1: Port: missing argument");
	check_error("Port=\n", "test.conf:1: Port: missing argument");
	check_error("Port # nothing\n", "test.conf:1: Port: missing argument");
	check_error("LogLevel\n", "test.conf:1: LogLevel: missing argument");
	check_error("AuthorizedKeysFile\n",
	    "test.conf:1: AuthorizedKeysFile: missing argument");
	check_error("PasswordAuthentication\n",
	    "test.conf:1: PasswordAuthentication: missing argument");
	check_error("Port 22 23\n",
	    "test.conf:1: Port: extra arguments at end of line");
	check_error("PidFile /a /b\n",
	    "test.conf:1: PidFile: extra arguments at end of line");
}

static void
test_too_many(void **state)
{
	char text[4096] = "", line[64];
	int i;

	for (i = 1; i <= CONFIG_MAX_PORTS + 1; i++) {
		snprintf(line, sizeof(line), "Port %d\n", 1000 + i);
		strcat(text, line);
	}
	check_error(text, "test.conf:17: Port: too many ports (max 16)");

	text[0] = '\0';
	for (i = 1; i <= CONFIG_MAX_LISTEN + 1; i++) {
		snprintf(line, sizeof(line), "ListenAddress 10.0.0.%d\n", i);
		strcat(text, line);
	}
	check_error(text,
	    "test.conf:17: ListenAddress: too many addresses (max 16)");

	text[0] = '\0';
	for (i = 1; i <= CONFIG_MAX_HOSTKEYS + 1; i++) {
		snprintf(line, sizeof(line), "HostKey /k%d\n", i);
		strcat(text, line);
	}
	check_error(text, "test.conf:9: HostKey: too many host keys (max 8)");

	check_error("AuthorizedKeysFile /1 /2 /3 /4 /5 /6 /7 /8 /9\n",
	    "test.conf:1: AuthorizedKeysFile: too many files (max 8)");
	check_ok("AuthorizedKeysFile /1 /2 /3 /4 /5 /6 /7 /8\n");
}

/* AuditLog, AdminListen, AdminSocket, ProxyProtocolFrom (frontend.c). */
static void
test_frontend(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf, "AuditLog /var/log/a.json\n"
	    "AuditLog stdout\n"
	    "AdminListen 9122\n"
	    "AdminListen [::1]:1\n"
	    "AdminSocket /run/jumpgate/admin.sock\n"
	    "ProxyProtocolFrom 10.0.0.0/8,!10.9.0.0/16,2001:db8::/32\n", err),
	    0);
	config_finalize(&cf);
	/* The first value obtained wins; a bare port is loopback. */
	assert_string_equal(cf.c_audit_log, "/var/log/a.json");
	assert_string_equal(cf.c_admin_listen.cl_host, "127.0.0.1");
	assert_int_equal(cf.c_admin_listen.cl_port, 9122);
	assert_string_equal(cf.c_admin_socket, "/run/jumpgate/admin.sock");
	assert_int_equal(config_proxy_trusted(&cf, "10.1.2.3"), 1);
	assert_int_equal(config_proxy_trusted(&cf, "10.9.2.3"), 0);
	assert_int_equal(config_proxy_trusted(&cf, "2001:db8::7"), 1);
	assert_int_equal(config_proxy_trusted(&cf, "192.0.2.1"), 0);
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "AdminListen [::1]:9\nAuditLog STDOUT\n",
	    err), 0);
	config_finalize(&cf);
	assert_string_equal(cf.c_admin_listen.cl_host, "::1");
	assert_int_equal(cf.c_admin_listen.cl_port, 9);
	assert_string_equal(cf.c_audit_log, "stdout");
	assert_int_equal(config_proxy_trusted(&cf, "127.0.0.1"), 0);
	config_free(&cf);

	check_error("AdminListen 127.0.0.1\n", "test.conf:1: AdminListen: "
	    "bad address \"127.0.0.1\" (want [address:]port, [v6]:port or "
	    "none)");
	check_error("AdminListen 70000\n", "test.conf:1: AdminListen: "
	    "bad address \"70000\" (want [address:]port, [v6]:port or "
	    "none)");
	check_error("AdminSocket admin.sock\n", "test.conf:1: AdminSocket: "
	    "\"admin.sock\" is not an absolute path");
	check_error("ProxyProtocolFrom 10.*\n", "test.conf:1: "
	    "ProxyProtocolFrom: invalid address list \"10.*\" (numeric "
	    "addresses and address/length only)");
	check_error("ProxyProtocolFrom 10.0.0.0/40\n", "test.conf:1: "
	    "ProxyProtocolFrom: invalid address list \"10.0.0.0/40\" "
	    "(numeric addresses and address/length only)");
	check_error("ProxyProtocolFrom lb.example.com\n", "test.conf:1: "
	    "ProxyProtocolFrom: invalid address list \"lb.example.com\" "
	    "(numeric addresses and address/length only)");
	check_error("AuditLog a b\n",
	    "test.conf:1: AuditLog: extra arguments at end of line");
	check_error("Match User x\n  ProxyProtocolFrom 10.0.0.1\n",
	    "test.conf:2: Directive 'ProxyProtocolFrom' is not allowed within "
	    "a Match block");
	check_ok("AdminListen none\nAdminSocket none\nProxyProtocolFrom none\n"
	    "AuditLog none\n");
}

static void
test_akcmd(void **state)
{
	struct akcmd_tokens t = { "alice", NULL, NULL, "SHA256:x",
	    "ssh-ed25519", "AAAA" };
	struct config cf;
	char err[CONFIG_ERR_MAX], missing = 0, **av;

	check_error("AuthorizedKeysCommand bin/lookup %u\n",
	    "test.conf:1: AuthorizedKeysCommand: \"bin/lookup\" is not an "
	    "absolute path");
	check_error("AuthorizedKeysCommand /bin/lookup %u %C\n",
	    "test.conf:1: AuthorizedKeysCommand: unknown token %C in \"%C\"");
	check_error("AuthorizedKeysCommand /bin/lookup 50%\n",
	    "test.conf:1: AuthorizedKeysCommand: unknown token %  in \"50%\"");
	check_error("Match User bob\nAuthorizedKeysCommandUser nobody\n",
	    "test.conf:2: Unsupported option AuthorizedKeysCommandUser "
	    "inside Match: jumpgate applies it to every connection only");
	check_error("AuthorizedKeysCommandTimeout 0\n",
	    "test.conf:1: AuthorizedKeysCommandTimeout: invalid time value "
	    "\"0\" (1 second or more)");
	check_error("AuthorizedKeysCommandUser %u\n",
	    "test.conf:1: AuthorizedKeysCommandUser: bad user name \"%u\"");
	check_ok("AuthorizedKeysCommand none\nAuthorizedKeysCommandCache none\n");

	config_init(&cf);
	if (load(&cf, "AuthorizedKeysCommand /bin/l %u-%% %f %t %k %h\n"
	    "AuthorizedKeysCommand /bin/second\nAuthorizedKeysCommandCache "
	    "1m\n", err) != 0)
		fail_msg("rejected: %s", err);
	config_finalize(&cf);
	assert_int_equal(cf.c_akcmd.ak_cache, 60);
	assert_int_equal(cf.c_akcmd.ak_timeout, AKCMD_DEFAULT_TIMEOUT);
	/* Without the user the command would never run: refused. */
	assert_int_equal(akcmd_check(&cf.c_akcmd, err, sizeof(err)), -1);
	assert_string_equal(err, "test.conf:1: AuthorizedKeysCommand needs "
	    "AuthorizedKeysCommandUser (the account that runs it)");
	/* %h without an account: not run, and the caller told why. */
	assert_null(akcmd_expand(&cf.c_akcmd, &t, &missing));
	assert_int_equal(missing, 'h');
	t.at_home = "/home/alice";
	assert_non_null(av = akcmd_expand(&cf.c_akcmd, &t, &missing));
	assert_string_equal(av[0], "/bin/l");
	assert_string_equal(av[1], "alice-%");
	assert_string_equal(av[2], "SHA256:x");
	assert_string_equal(av[3], "ssh-ed25519");
	assert_string_equal(av[4], "AAAA");
	assert_string_equal(av[5], "/home/alice");
	assert_null(av[6]);
	akcmd_argv_free(av);
	config_free(&cf);

	/* A bare command gets the user name, as in sshd. */
	config_init(&cf);
	if (load(&cf, "AuthorizedKeysCommand /bin/l\n", err) != 0)
		fail_msg("rejected: %s", err);
	assert_non_null(av = akcmd_expand(&cf.c_akcmd, &t, &missing));
	assert_string_equal(av[1], "alice");
	assert_null(av[2]);
	akcmd_argv_free(av);
	config_free(&cf);
}

static void
test_restrictions_refused(void **state)
{
	static const char *const kw[] = {
		"RequiredRSASize", "HostCertificate",
	};
	char text[128], want[256];
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		/* Even a value that would restrict nothing is refused. */
		snprintf(text, sizeof(text), "Port 22\n%s any\n", kw[i]);
		snprintf(want, sizeof(want), "test.conf:2: Unsupported option "
		    "%s: jumpgate does not enforce it yet", kw[i]);
		check_error(text, want);
	}
	/* The keyword is reported as written. */
	check_error("hostcertificate /k-cert.pub\n", "test.conf:1: "
	    "Unsupported option hostcertificate: jumpgate does not enforce "
	    "it yet");
	/* Enforced now, so no longer refused. */
	check_ok("PermitOpen any\nAllowTcpForwarding yes\n"
	    "DisableForwarding no\nMatch User alice\n");
}

static void
test_restrictions_by_value(void **state)
{
	check_ok("PermitRootLogin no\n");
	check_ok("PermitRootLogin forced-commands-only\n");
	check_ok("PermitRootLogin prohibit-password\n");
	check_ok("PermitRootLogin without-password\n");
	check_ok("PermitRootLogin yes\n");
	check_error("PubkeyAuthentication no\n", "test.conf:1: Unsupported "
	    "option PubkeyAuthentication no: jumpgate does not enforce it yet");
	check_ok("PubkeyAuthentication yes\n");
	/* Enforced now; a file that cannot be read refuses every key. */
	check_ok("RevokedKeys /nonexistent/revoked\n");
	check_ok("RevokedKeys none\n");
	check_error("AuthenticationMethods publickey,password\n",
	    "test.conf:1: Unsupported option AuthenticationMethods "
	    "publickey,password: jumpgate offers one publickey authentication "
	    "only");
	check_ok("AuthenticationMethods any\n");
	check_error("PubkeyAuthOptions verify-required\n", "test.conf:1: "
	    "Unsupported option PubkeyAuthOptions verify-required: jumpgate "
	    "does not enforce it yet");
	check_error("PerSourcePenalties yes\n", "test.conf:1: Unsupported "
	    "option PerSourcePenalties yes: jumpgate does not enforce it yet");
	check_ok("PerSourcePenalties no\n");
	check_ok("PerSourcePenaltyExemptList 10.0.0.0/8\n");
}

static void
test_ignored_keywords(void **state)
{
	static const char *const lines[] = {
		"PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"ChallengeResponseAuthentication no", "UsePAM yes",
		"X11Forwarding yes", "X11DisplayOffset 10",
		"X11UseLocalhost yes", "PrintMotd no", "PrintLastLog yes",
		"Subsystem sftp /usr/lib/openssh/sftp-server",
		"MaxSessions 10", "AcceptEnv LANG LC_*", "PermitTTY yes",
		"PermitUserRC no", "UseDNS no",
		"ClientAliveInterval 300", "ClientAliveCountMax 3",
		"TCPKeepAlive yes", "Compression no", "HostbasedAuthentication no",
		"IgnoreRhosts yes", "PermitEmptyPasswords no", "StrictModes yes",
		"GSSAPIAuthentication no", "GSSAPICleanupCredentials yes",
		"KerberosAuthentication no", "AllowAgentForwarding no",
		"PermitTunnel no", "ChrootDirectory none",
		"ForceCommand /bin/true", "PermitUserEnvironment no",
		"Ciphers aes256-gcm@openssh.com", "MACs hmac-sha2-256",
		"KexAlgorithms curve25519-sha256", "HostKeyAlgorithms ssh-ed25519",
		"PubkeyAcceptedAlgorithms +ssh-rsa", "UsePrivilegeSeparation sandbox",
		"VersionAddendum none", "DebianBanner no",
		"AuthorizedPrincipalsFile none", "GatewayPorts no",
		"Protocol 2", "IPQoS lowdelay throughput",
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(text, sizeof(text), "%s\n", lines[i]);
		check_ok(text);
	}
}

static void
test_ignored_noted_once(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	tu_log_clear();
	config_init(&cf);
	assert_int_equal(load(&cf, "PrintMotd yes\nX11Forwarding no\n"
	    "printmotd no\n", err), 0);
	assert_int_equal(tu_log_count("debug1: test.conf:1: ignoring "
	    "PrintMotd: no meaning for a forwarding-only daemon\n"), 1);
	assert_int_equal(tu_log_count("ignoring PrintMotd"), 1);
	assert_int_equal(tu_log_count("debug1: test.conf:2: ignoring "
	    "X11Forwarding: no meaning for a forwarding-only daemon\n"), 1);
	config_free(&cf);

	/* A new load notes again. */
	config_init(&cf);
	assert_int_equal(load(&cf, "PrintMotd yes\n", err), 0);
	assert_int_equal(tu_log_count("ignoring PrintMotd"), 2);
	config_free(&cf);
}

static void
test_command_line(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	/* -o is applied before the file, so it wins. */
	assert_int_equal(config_apply_option(&cf, "LogLevel=DEBUG3", err,
	    sizeof(err)), 0);
	assert_int_equal(config_apply_option(&cf, "PidFile /run/o.pid", err,
	    sizeof(err)), 0);
	assert_int_equal(config_apply_option(&cf, "Port=2222", err,
	    sizeof(err)), 0);
	assert_int_equal(load(&cf, "LogLevel INFO\nPidFile /run/file.pid\n"
	    "Port 22\n", err), 0);
	assert_int_equal(cf.c_log_level, LOG_LVL_DEBUG3);
	assert_string_equal(cf.c_pidfile, "/run/o.pid");
	/* Ports accumulate from both. */
	assert_int_equal(cf.c_nports, 2);
	assert_int_equal(cf.c_ports[0], 2222);
	assert_int_equal(cf.c_ports[1], 22);

	assert_int_equal(config_apply_option(&cf, "Nope=1", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "command-line:0: Bad configuration option: "
	    "Nope");
	assert_int_equal(config_apply_option(&cf, "HostCertificate=/c", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "command-line:0: Unsupported option "
	    "HostCertificate: jumpgate does not enforce it yet");
	assert_int_equal(config_apply_option(&cf, "Include=/etc/x", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "command-line:0: Include directive not "
	    "supported as a command-line option");
	assert_int_equal(config_apply_option(&cf, "Match=User alice", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "command-line:0: Match directive not "
	    "supported as a command-line option");
	config_free(&cf);

	/* -o PermitOpen comes first, so it wins over the file's. */
	config_init(&cf);
	assert_int_equal(config_apply_option(&cf, "PermitOpen=db:5432", err,
	    sizeof(err)), 0);
	assert_int_equal(load(&cf, "PermitOpen any\n", err), 0);
	assert_int_equal(cf.c_policy.ps_npermitopen, 1);
	assert_string_equal(cf.c_policy.ps_permitopen_src, "command-line:0");
	config_free(&cf);
}

static void
test_time_values(void **state)
{
	static const struct {
		const char	*text;
		int		 secs;
	} cases[] = {
		{ "0", 0 }, { "120", 120 }, { "90s", 90 }, { "2m", 120 },
		{ "1h30m", 5400 }, { "1m30", 90 }, { "1d", 86400 },
		{ "1w", 604800 }, { "1H1M1S", 3661 },
	};
	struct config cf;
	char text[64], err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&cf);
		snprintf(text, sizeof(text), "LoginGraceTime %s\n",
		    cases[i].text);
		assert_int_equal(load(&cf, text, err), 0);
		assert_int_equal(cf.c_login_grace, cases[i].secs);
		config_free(&cf);
	}
}

static void
test_misc_values(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX], cwd[PATH_MAX], want[PATH_MAX + 16];

	config_init(&cf);
	assert_int_equal(load(&cf, "MaxStartups 50\nWorkers 0\n"
	    "JumpgateDemo YES\nAuthorizedKeysFile none\nPidFile none\n"
	    "HostKey relative/key\nMaxAuthTries 0\n", err), 0);
	assert_int_equal(cf.c_max_startups, 50);
	assert_int_equal(cf.c_max_startups_begin, 50);
	assert_int_equal(cf.c_workers, 0);
	assert_int_equal(cf.c_demo, 1);
	assert_int_equal(cf.c_nakfiles, 1);
	assert_string_equal(cf.c_akfiles[0], "none");
	assert_string_equal(cf.c_pidfile, "none");
	assert_int_equal(cf.c_max_auth_tries, 0);
	/* Relative paths are anchored where the daemon was started. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/relative/key", cwd);
	assert_string_equal(cf.c_hostkeys[0], want);
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "Workers 256\nHostDSAKey /old\n", err), 0);
	assert_int_equal(cf.c_workers, 256);
	assert_string_equal(cf.c_hostkeys[0], "/old");
	config_free(&cf);
}

static void
test_finalize_defaults(void **state)
{
	struct config cf;

	config_init(&cf);
	config_finalize(&cf);
	assert_int_equal(cf.c_nports, 1);
	assert_int_equal(cf.c_ports[0], 22);
	assert_int_equal(cf.c_nlisten, 2);
	assert_string_equal(cf.c_listen[0].cl_host, "0.0.0.0");
	assert_int_equal(cf.c_listen[0].cl_port, 0);
	assert_string_equal(cf.c_listen[1].cl_host, "::");
	assert_int_equal(cf.c_listen[1].cl_port, 0);
	assert_int_equal(cf.c_nhostkeys, 0);
	assert_int_equal(cf.c_nakfiles, 2);
	assert_string_equal(cf.c_akfiles[0], ".ssh/authorized_keys");
	assert_string_equal(cf.c_akfiles[1], ".ssh/authorized_keys2");
	assert_int_equal(cf.c_log_level, LOG_LVL_INFO);
	assert_int_equal(cf.c_syslog_facility, LOG_AUTH);
	assert_string_equal(cf.c_pidfile, "/run/jumpgate/jumpgate.pid");
	assert_string_equal(cf.c_state_dir, "/var/lib/jumpgate");
	assert_int_equal(cf.c_login_grace, 120);
	assert_int_equal(cf.c_max_auth_tries, 6);
	assert_int_equal(cf.c_max_startups, 100);
	assert_int_equal(cf.c_workers, 0);
	assert_int_equal(cf.c_demo, 0);
	config_free(&cf);
}

static void
test_finalize_keeps_values(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf, "ListenAddress 127.0.0.1:2222\n"
	    "LoginGraceTime 0\nJumpgateDemo no\n", err), 0);
	config_finalize(&cf);
	assert_int_equal(cf.c_nlisten, 1);
	assert_int_equal(cf.c_login_grace, 0);
	assert_int_equal(cf.c_demo, 0);
	assert_int_equal(cf.c_nports, 1);
	config_free(&cf);
}

/* What config_dump writes for cf. */
static char *
dump(const struct config *cf)
{
	char path[] = "/tmp/jgdump.XXXXXX", *text;
	int fd;

	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	config_dump(cf, fd);
	text = tu_slurp_fd(fd);
	close(fd);
	return text;
}

static void
test_dump_defaults(void **state)
{
	struct config cf;
	char *text;

	config_init(&cf);
	config_finalize(&cf);
	text = dump(&cf);
	assert_string_equal(text,
	    DUMP_GLOBAL_DEFAULT
	    "allowtcpforwarding yes\n"
	    "disableforwarding no\n"
	    "permitopen any\n"
	    "denyspecialdestinations yes\n");
	free(text);
	config_free(&cf);
}

/* Keepalives, timeouts, rekeying, compression: values, -T and errors. */
static void
test_liveness_keywords(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX], *text, *p;

	config_init(&cf);
	assert_int_equal(load(&cf, "ClientAliveInterval 1m\n"
	    "ClientAliveCountMax 0\nKeepAlive no\nTCPKeepAlive yes\n"
	    "Compression delayed\nRekeyLimit 1M 1h\n"
	    "ChannelTimeout session=1m direct-*=5m *=1h\n"
	    "ChannelTimeout direct-tcpip=1s\n"
	    "UnusedConnectionTimeout 90\nConnectTimeout none\n"
	    "ShutdownGraceTime 1m30s\nShutdownGraceTime 5\n", err), 0);
	config_finalize(&cf);
	assert_int_equal(cf.c_shutdown_grace, 90);
	assert_int_equal(config_channel_timeout(&cf, "direct-tcpip"), 300);
	assert_int_equal(config_channel_timeout(&cf, "x11-connection"), 3600);
	text = dump(&cf);
	assert_non_null(p = strstr(text, "clientaliveinterval 60\n"
	    "clientalivecountmax 0\ntcpkeepalive no\ncompression yes\n"
	    "rekeylimit 1048576 3600\n"
	    "channeltimeout session=1m direct-*=5m *=1h\n"
	    "unusedconnectiontimeout 90\nconnecttimeout 0\n"));
	free(text);
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "Compression no\nRekeyLimit default none\n"
	    "ChannelTimeout none\nUnusedConnectionTimeout none\n", err), 0);
	config_finalize(&cf);
	assert_int_equal(cf.c_compression, CONFIG_COMP_NO);
	assert_int_equal(config_channel_timeout(&cf, "direct-tcpip"), 0);
	config_free(&cf);

	/* Global only, sshd's time format; 0 closes at once. */
	config_init(&cf);
	assert_int_equal(load(&cf, "Match User x\nShutdownGraceTime 1\n",
	    err), -1);
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(load(&cf, "ShutdownGraceTime 1x\n", err), -1);
	assert_non_null(strstr(err, ":1: ShutdownGraceTime: invalid time"));
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(load(&cf, "ShutdownGraceTime 0\n", err), 0);
	config_finalize(&cf);
	assert_int_equal(cf.c_shutdown_grace, 0);
	config_free(&cf);

	check_error("ClientAliveInterval soon\n", "test.conf:1: "
	    "ClientAliveInterval: invalid time value \"soon\"");
	check_error("ClientAliveCountMax -1\n", "test.conf:1: "
	    "ClientAliveCountMax: bad number \"-1\"");
	check_error("TCPKeepAlive maybe\n", "test.conf:1: TCPKeepAlive: "
	    "unsupported option \"maybe\" (yes or no)");
	check_error("Compression zlib\n", "test.conf:1: Compression: "
	    "unsupported option \"zlib\" (yes, delayed or no)");
	check_error("RekeyLimit 1X\n", "test.conf:1: Bad RekeyLimit number "
	    "'1X'");
	check_error("RekeyLimit 8\n", "test.conf:1: RekeyLimit too small");
	check_error("RekeyLimit 1G 1y\n", "test.conf:1: RekeyLimit: invalid "
	    "time value \"1y\"");
	check_error("RekeyLimit 1G 1h 2\n", "test.conf:1: RekeyLimit: extra "
	    "arguments at end of line");
	check_error("ChannelTimeout direct-tcpip\n", "test.conf:1: "
	    "ChannelTimeout: invalid channel timeout direct-tcpip");
	check_error("ChannelTimeout *=5 =5\n", "test.conf:1: "
	    "ChannelTimeout: invalid channel timeout =5");
	check_error("ChannelTimeout none *=5\n", "test.conf:1: "
	    "ChannelTimeout: \"none\" argument must appear alone");
	check_error("ChannelTimeout global=5m\n", "test.conf:1: Unsupported "
	    "option ChannelTimeout global=5m: jumpgate does not enforce it "
	    "yet");
	check_error("UnusedConnectionTimeout x\n", "test.conf:1: "
	    "UnusedConnectionTimeout: invalid time value \"x\"");
	check_error("ConnectTimeout 5 6\n", "test.conf:1: ConnectTimeout: "
	    "extra arguments at end of line");
	check_error("Match User a\nClientAliveInterval 5\n", "test.conf:2: "
	    "Unsupported option ClientAliveInterval inside Match: jumpgate "
	    "applies it to every connection only");
	check_error("Match User a\nTCPKeepAlive no\n", "test.conf:2: "
	    "Directive 'TCPKeepAlive' is not allowed within a Match block");
}

static void
test_dump_configured(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX], *text;

	config_init(&cf);
	assert_int_equal(load(&cf, "Port 2222\nPort 2223\n"
	    "ListenAddress 127.0.0.1:2200\nListenAddress ::1\n"
	    "HostKey /k1\nHostKey /k2\n"
	    "AuthorizedKeysFile /etc/jumpgate/keys/%u %h/.ssh/ak\n"
	    "LogLevel DEBUG2\nSyslogFacility LOCAL1\nPidFile none\n"
	    "LoginGraceTime 1h\nMaxAuthTries 3\nMaxStartups 10:30:50\n"
	    "PerSourceMaxStartups 3\nPerSourceNetBlockSize 24:56\n"
	    "MaxChannelsPerSession 100\nMaxChannelsPerUser 8\n"
	    "MaxChannelsPerSource none\nMaxPendingChannels 4\n"
	    "StateDirectory /srv/jg\nWorkers 8\nJumpgateDemo yes\n"
	    "Ciphers aes128-gcm@openssh.com\nMACs -*-etm@openssh.com\n"
	    "KexAlgorithms ^ecdh-sha2-nistp256\nHostKeyAlgorithms ssh-ed25519*\n"
	    "PubkeyAcceptedAlgorithms ssh-ed25519\n"
	    "AllowTcpForwarding LOCAL\nDisableForwarding yes\n"
	    "PermitOpen db:5432 [::1]:* *:443\n"
	    "PermitDestination DB.internal.:5432 10.0.0.0/8:1-1023\n"
	    "DenyDestination [::1]:*\nDenyDestination 169.254.0.0/16:*\n"
	    "DenySpecialDestinations no\n"
	    "Match User alice\nAllowTcpForwarding no\n", err), 0);
	config_finalize(&cf);
	text = dump(&cf);
	assert_string_equal(text,
	    "port 2222\n"
	    "port 2223\n"
	    "listenaddress 127.0.0.1:2200\n"
	    "listenaddress [::1]:2222\n"
	    "listenaddress [::1]:2223\n"
	    "addressfamily any\n"
	    "resolvconf /etc/resolv.conf\n"
	    "hostkey /k1\n"
	    "hostkey /k2\n"
	    "authorizedkeysfile /etc/jumpgate/keys/%u %h/.ssh/ak\n"
	    "authorizedkeyscommand none\n"
	    "authorizedkeyscommanduser none\n"
	    "authorizedkeyscommandtimeout 10\n"
	    "authorizedkeyscommandcache none\n"
	    "trustedusercakeys none\n"
	    "revokedkeys none\n"
	    "authorizedprincipalsfile none\n"
	    "loglevel DEBUG2\n"
	    "syslogfacility LOCAL1\n"
	    "pidfile none\n"
	    "user jumpgate\n"
	    "logingracetime 3600\n"
	    "maxauthtries 3\n"
	    "permitrootlogin without-password\n"
	    "banner none\n"
	    "authenticationmethods any\n"
	    "permitlisten any\n"
	    "strictmodes yes\n"
	    "usepam no\n"
	    "maxstartups 10:30:50\n"
	    "persourcemaxstartups 3\n"
	    "persourcenetblocksize 24:56\n"
	    "maxchannelspersession 100\n"
	    "maxchannelsperuser 8\n"
	    "maxchannelspersource none\n"
	    "maxpendingchannels 4\n"
	    "statedirectory /srv/jg\n"
	    "workers 8\n"
	    "jumpgatedemo yes\n"
	    "clientaliveinterval 0\n"
	    "clientalivecountmax 3\n"
	    "tcpkeepalive yes\n"
	    "compression yes\n"
	    "rekeylimit 0 0\n"
	    "channeltimeout none\n"
	    "unusedconnectiontimeout none\n"
	    "connecttimeout 10\n"
	    "shutdowngracetime 30\n"
	    "auditlog none\n"
	    "adminlisten none\n"
	    "adminsocket none\n"
	    "proxyprotocolfrom none\n"
	    "ciphers aes128-gcm@openssh.com\n"
	    "macs hmac-sha2-256,hmac-sha2-512\n"
	    "kexalgorithms ecdh-sha2-nistp256,curve25519-sha256,"
	    "curve25519-sha256@libssh.org,ecdh-sha2-nistp384,"
	    "ecdh-sha2-nistp521,diffie-hellman-group18-sha512,"
	    "diffie-hellman-group16-sha512,"
	    "diffie-hellman-group-exchange-sha256,"
	    "diffie-hellman-group14-sha256\n"
	    "hostkeyalgorithms ssh-ed25519\n"
	    "pubkeyacceptedalgorithms ssh-ed25519\n"
	    "allowtcpforwarding local\n"
	    "disableforwarding yes\n"
	    "permitopen db:5432 [::1]:* *:443\n"
	    "permitdestination DB.internal.:5432 10.0.0.0/8:1-1023\n"
	    "denydestination [::1]:* 169.254.0.0/16:*\n"
	    "denyspecialdestinations no\n");
	free(text);
	config_free(&cf);
}

/* AddressFamily as sshd; ResolvConf, jumpgate's own. */
static void
test_address_family(void **state)
{
	static const struct {
		const char	*text;
		int		 af;
		const char	*dump;	/* the lines -T prints for it */
	} rows[] = {
		{ "", AF_UNSPEC, "listenaddress 0.0.0.0:22\n"
		    "listenaddress [::]:22\naddressfamily any\n" },
		{ "AddressFamily any\n", AF_UNSPEC, "listenaddress 0.0.0.0:22\n"
		    "listenaddress [::]:22\naddressfamily any\n" },
		{ "AddressFamily INET\n", AF_INET, "listenaddress 0.0.0.0:22\n"
		    "addressfamily inet\n" },
		{ "AddressFamily inet6\nAddressFamily inet\n", AF_INET6,
		    "listenaddress [::]:22\naddressfamily inet6\n" },
		{ "AddressFamily inet\nListenAddress ::1\n", AF_INET,
		    "listenaddress [::1]:22\naddressfamily inet\n" },
	};
	struct config cf;
	char err[CONFIG_ERR_MAX], *text;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		config_init(&cf);
		if (load(&cf, rows[i].text, err) != 0)
			fail_msg("row %zu: %s", i, err);
		config_finalize(&cf);
		assert_int_equal(cf.c_address_family, rows[i].af);
		text = dump(&cf);
		if (strstr(text, rows[i].dump) == NULL)
			fail_msg("row %zu: -T lacks\n%s\nin\n%s", i,
			    rows[i].dump, text);
		assert_non_null(strstr(text,
		    "\nresolvconf /etc/resolv.conf\n"));
		free(text);
		config_free(&cf);
	}
	check_error("AddressFamily ipv4\n", "test.conf:1: AddressFamily: "
	    "unsupported option \"ipv4\"");
	check_error("AddressFamily\n", "test.conf:1: AddressFamily: missing "
	    "argument");
	check_error("Match User a\nAddressFamily inet\n", "test.conf:2: "
	    "Directive 'AddressFamily' is not allowed within a Match block");
	check_error("Match User a\nResolvConf /x\n", "test.conf:2: "
	    "Directive 'ResolvConf' is not allowed within a Match block");
	config_init(&cf);
	assert_int_equal(load(&cf, "ResolvConf /srv/resolv.conf\n"
	    "ResolvConf /other\n", err), 0);
	config_finalize(&cf);
	assert_string_equal(cf.c_resolv_conf, "/srv/resolv.conf");
	config_free(&cf);
}

static void
test_policy_values(void **state)
{
	static const struct {
		const char	*text;
		int		 allow, disable, special;
	} cases[] = {
		{ "AllowTcpForwarding yes", POLICY_FWD_ALL, -1, -1 },
		{ "AllowTcpForwarding ALL", POLICY_FWD_ALL, -1, -1 },
		{ "AllowTcpForwarding Local", POLICY_FWD_LOCAL, -1, -1 },
		{ "AllowTcpForwarding remote", POLICY_FWD_REMOTE, -1, -1 },
		{ "AllowTcpForwarding no", POLICY_FWD_NO, -1, -1 },
		{ "DisableForwarding yes", -1, 1, -1 },
		{ "DisableForwarding NO", -1, 0, -1 },
		{ "DenySpecialDestinations no", -1, -1, 0 },
		{ "DenySpecialDestinations Yes", -1, -1, 1 },
		{ "allowtcpforwarding=no", POLICY_FWD_NO, -1, -1 },
	};
	struct config cf;
	char text[128], err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&cf);
		snprintf(text, sizeof(text), "Port 22\n%s\n", cases[i].text);
		if (load(&cf, text, err) != 0)
			fail_msg("rejected %s: %s", cases[i].text, err);
		assert_int_equal(cf.c_policy.ps_allow_tcp, cases[i].allow);
		assert_int_equal(cf.c_policy.ps_disable, cases[i].disable);
		assert_int_equal(cf.c_policy.ps_deny_special,
		    cases[i].special);
		if (cases[i].allow != -1)
			assert_string_equal(cf.c_policy.ps_allow_tcp_src,
			    "test.conf:2");
		if (cases[i].disable != -1)
			assert_string_equal(cf.c_policy.ps_disable_src,
			    "test.conf:2");
		if (cases[i].special != -1)
			assert_string_equal(cf.c_policy.ps_deny_special_src,
			    "test.conf:2");
		config_free(&cf);
	}
}

static void
test_permitopen_forms(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	/* Unset: nothing recorded, and -T says any. */
	config_init(&cf);
	assert_int_equal(cf.c_policy.ps_permitopen_set, 0);
	assert_int_equal(cf.c_policy.ps_allow_tcp, -1);
	assert_int_equal(cf.c_policy.ps_deny_special, -1);
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "PermitOpen any\n", err), 0);
	assert_int_equal(cf.c_policy.ps_permitopen_set, 1);
	assert_int_equal(cf.c_policy.ps_permitopen_none, 0);
	assert_int_equal(cf.c_policy.ps_npermitopen, 0);
	assert_string_equal(cf.c_policy.ps_permitopen_src, "test.conf:1");
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "\nPermitOpen none\n", err), 0);
	assert_int_equal(cf.c_policy.ps_permitopen_set, 1);
	assert_int_equal(cf.c_policy.ps_permitopen_none, 1);
	assert_int_equal(cf.c_policy.ps_npermitopen, 0);
	assert_string_equal(cf.c_policy.ps_permitopen_src, "test.conf:2");
	config_free(&cf);

	config_init(&cf);
	assert_int_equal(load(&cf, "PermitOpen db:5432 [::1]:22 *:443 "
	    "\"h:*\"\n", err), 0);
	assert_int_equal(cf.c_policy.ps_npermitopen, 4);
	assert_string_equal(cf.c_policy.ps_permitopen[0].pe_host, "db");
	assert_int_equal(cf.c_policy.ps_permitopen[0].pe_port, 5432);
	assert_string_equal(cf.c_policy.ps_permitopen[1].pe_host, "::1");
	assert_int_equal(cf.c_policy.ps_permitopen[1].pe_port, 22);
	assert_string_equal(cf.c_policy.ps_permitopen[2].pe_host, "*");
	assert_int_equal(cf.c_policy.ps_permitopen[3].pe_port,
	    AUTHKEYS_PERMIT_ANY_PORT);
	config_free(&cf);
}

static void
test_policy_first_wins(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "AllowTcpForwarding local\n"
	    "AllowTcpForwarding no\n"
	    "DisableForwarding no\n"
	    "DisableForwarding yes\n"
	    "PermitOpen a:1 b:2\n"
	    "PermitOpen none\n"
	    "DenySpecialDestinations no\n"
	    "DenySpecialDestinations yes\n"
	    "PermitDestination a:1 b:2\n"
	    "PermitDestination c:3\n"
	    "DenyDestination x:1\n"
	    "DenyDestination y:2 z:3\n", err), 0);
	assert_int_equal(cf.c_policy.ps_allow_tcp, POLICY_FWD_LOCAL);
	assert_string_equal(cf.c_policy.ps_allow_tcp_src, "test.conf:1");
	assert_int_equal(cf.c_policy.ps_disable, 0);
	assert_string_equal(cf.c_policy.ps_disable_src, "test.conf:3");
	assert_int_equal(cf.c_policy.ps_npermitopen, 2);
	assert_int_equal(cf.c_policy.ps_permitopen_none, 0);
	assert_string_equal(cf.c_policy.ps_permitopen_src, "test.conf:5");
	assert_int_equal(cf.c_policy.ps_deny_special, 0);
	/* The rule lists accumulate, each rule knowing its line. */
	assert_int_equal(cf.c_policy.ps_npermit, 3);
	assert_string_equal(cf.c_policy.ps_permit[2].dr_text, "c:3");
	assert_int_equal(cf.c_policy.ps_permit[2].dr_line, 10);
	assert_string_equal(cf.c_policy.ps_permit[2].dr_file, "test.conf");
	assert_int_equal(cf.c_policy.ps_permit[0].dr_deny, 0);
	assert_int_equal(cf.c_policy.ps_ndeny, 3);
	assert_int_equal(cf.c_policy.ps_deny[0].dr_line, 11);
	assert_int_equal(cf.c_policy.ps_deny[2].dr_line, 12);
	assert_int_equal(cf.c_policy.ps_deny[2].dr_deny, 1);
	assert_string_equal(cf.c_policy.ps_deny[2].dr_host, "z");
	/* One copy of each file name and file:line. */
	assert_ptr_equal(cf.c_policy.ps_deny[0].dr_file,
	    cf.c_policy.ps_permit[0].dr_file);
	config_free(&cf);
}

static void
test_policy_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "AllowTcpForwarding maybe\n", "test.conf:1: "
		    "AllowTcpForwarding: unsupported option \"maybe\"" },
		{ "AllowTcpForwarding\n", "test.conf:1: AllowTcpForwarding: "
		    "missing argument" },
		{ "AllowTcpForwarding yes no\n", "test.conf:1: "
		    "AllowTcpForwarding: extra arguments at end of line" },
		{ "DisableForwarding 1\n", "test.conf:1: DisableForwarding: "
		    "unsupported option \"1\"" },
		{ "DenySpecialDestinations always\n", "test.conf:1: "
		    "DenySpecialDestinations: unsupported option \"always\"" },
		{ "PermitOpen\n", "test.conf:1: PermitOpen: missing argument" },
		{ "PermitOpen \"\"\n", "test.conf:1: PermitOpen: missing "
		    "argument" },
		{ "PermitOpen localhost\n", "test.conf:1: PermitOpen: bad port "
		    "number" },
		{ "PermitOpen localhost:0\n", "test.conf:1: PermitOpen: bad "
		    "port number" },
		{ "PermitOpen localhost:65536\n", "test.conf:1: PermitOpen: "
		    "bad port number" },
		{ "PermitOpen host/22\n", "test.conf:1: PermitOpen: missing "
		    "host" },
		{ "PermitOpen [::1\n", "test.conf:1: PermitOpen: missing "
		    "host" },
		{ "PermitOpen db:1 db:x\n", "test.conf:1: PermitOpen: bad port "
		    "number" },
		{ "PermitOpen any db:1\n", "test.conf:1: PermitOpen: \"any\" "
		    "argument must appear alone" },
		{ "PermitOpen db:1 none\n", "test.conf:1: PermitOpen: \"none\" "
		    "argument must appear alone" },
		{ "PermitOpen any any\n", "test.conf:1: PermitOpen: \"any\" "
		    "argument must appear alone" },
		/* Case-sensitive keywords: these are hosts without a port. */
		{ "PermitOpen ANY\n", "test.conf:1: PermitOpen: bad port "
		    "number" },
		{ "PermitOpen None\n", "test.conf:1: PermitOpen: bad port "
		    "number" },
		/* A later line is ignored but still checked, as in sshd. */
		{ "PermitOpen db:1\n\nPermitOpen db\n", "test.conf:3: "
		    "PermitOpen: bad port number" },
		{ "permitopen x\n", "test.conf:1: permitopen: bad port "
		    "number" },
		{ "PermitDestination\n", "test.conf:1: PermitDestination: "
		    "missing argument" },
		{ "PermitDestination db:1 db\n", "test.conf:1: "
		    "PermitDestination: missing port \"db\"" },
		{ "DenyDestination 10.0.0.1/8:22\n", "test.conf:1: "
		    "DenyDestination: host bits set beyond /8 "
		    "\"10.0.0.1/8:22\"" },
		{ "denydestination [::1]:0-x\n", "test.conf:1: "
		    "denydestination: bad port range \"[::1]:0-x\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(cases[i].text, cases[i].err);
}

static void
test_match_blocks(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "AllowTcpForwarding local\n"
	    "Match User alice\n"
	    "  AllowTcpForwarding no\n"
	    "  PermitOpen none\n"
	    "  X11Forwarding no\n"		/* ignored, sshd allows it */
	    "  ForceCommand /bin/false\n"
	    "match address 10.0.0.0/8\n"
	    "  DisableForwarding yes\n"
	    "  PermitDestination db:5432\n"
	    "  DenyDestination 10.0.0.0/8:*\n"
	    "  DenySpecialDestinations no\n", err), 0);
	/* The global value is not touched by the blocks. */
	assert_int_equal(cf.c_policy.ps_allow_tcp, POLICY_FWD_LOCAL);
	assert_int_equal(cf.c_policy.ps_permitopen_set, 0);
	assert_int_equal(cf.c_policy.ps_disable, -1);
	assert_int_equal(cf.c_policy.ps_npermit, 0);
	assert_int_equal(cf.c_nmatches, 2);
	assert_string_equal(cf.c_matches[0].cm_text, "User alice");
	assert_string_equal(cf.c_matches[0].cm_file, "test.conf");
	assert_int_equal(cf.c_matches[0].cm_line, 2);
	assert_int_equal(cf.c_matches[0].cm_ncrit, 1);
	assert_int_equal(cf.c_matches[0].cm_crit[0].mc_kind,
	    CONFIG_MATCH_USER);
	assert_string_equal(cf.c_matches[0].cm_crit[0].mc_patterns, "alice");
	assert_int_equal(cf.c_matches[0].cm_policy.ps_allow_tcp,
	    POLICY_FWD_NO);
	assert_string_equal(cf.c_matches[0].cm_policy.ps_allow_tcp_src,
	    "test.conf:3");
	assert_int_equal(cf.c_matches[0].cm_policy.ps_permitopen_none, 1);
	assert_int_equal(cf.c_matches[0].cm_policy.ps_disable, -1);
	assert_int_equal(cf.c_matches[1].cm_line, 7);
	assert_int_equal(cf.c_matches[1].cm_crit[0].mc_kind,
	    CONFIG_MATCH_ADDRESS);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_disable, 1);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_npermit, 1);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_ndeny, 1);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_deny[0].dr_line, 10);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_deny_special, 0);

	/* A block ends with its file: the next load is global again. */
	assert_int_equal(load(&cf, "Port 2222\nAllowTcpForwarding no\n",
	    err), 0);
	assert_int_equal(cf.c_ports[0], 2222);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_allow_tcp, -1);
	/* Fed line by line, a line continues the last block. */
	assert_int_equal(config_parse_line(&cf, "AllowTcpForwarding remote",
	    "x.conf", 9, err, sizeof(err)), 0);
	assert_int_equal(cf.c_matches[1].cm_policy.ps_allow_tcp,
	    POLICY_FWD_REMOTE);
	assert_string_equal(cf.c_matches[1].cm_policy.ps_allow_tcp_src,
	    "x.conf:9");
	assert_int_equal(config_parse_line(&cf, "Port 1", "x.conf", 10, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "x.conf:10: Directive 'Port' is not allowed "
	    "within a Match block");
	/* -o is global even after a Match. */
	assert_int_equal(config_apply_option(&cf, "LogLevel=ERROR", err,
	    sizeof(err)), 0);
	config_free(&cf);
	assert_int_equal(cf.c_nmatches, 0);
	assert_null(cf.c_matches);
	assert_int_equal(cf.c_nsources, 0);
}

static void
test_match_not_allowed(void **state)
{
	static const char *const lines[] = {
		"Port 22", "ListenAddress 127.0.0.1", "HostKey /k",
		"AuthorizedKeysFile /k/%u", "LogLevel DEBUG", "PidFile /p",
		"LoginGraceTime 1", "MaxAuthTries 1", "MaxStartups 1",
		"StateDirectory /s", "Workers 1", "JumpgateDemo no",
		"UsePAM yes", "Ciphers aes128-ctr",
		"StrictModes no", "HostCertificate /c",
		"PubkeyAuthentication yes",
	};
	char text[256], want[256], kw[64];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(text, sizeof(text), "Match All\nPermitOpen any\n%s\n",
		    lines[i]);
		sscanf(lines[i], "%63s", kw);
		snprintf(want, sizeof(want), "test.conf:3: Directive '%s' is "
		    "not allowed within a Match block", kw);
		check_error(text, want);
	}
	/* Named as written; an unknown keyword is still unknown first. */
	check_error("Match All\nport 22\n", "test.conf:2: Directive 'port' "
	    "is not allowed within a Match block");
	check_error("Match All\nFrob 1\n",
	    "test.conf:2: Bad configuration option: Frob");
	/* sshd allows these in Match; they stay harmless here. */
	check_ok("Match User alice\nX11Forwarding no\nAllowAgentForwarding no\n"
	    "PasswordAuthentication no\nPermitTTY no\nBanner none\n"
	    "GatewayPorts no\nPermitTunnel no\n"
	    "PermitRootLogin no\nPermitListen none\n"
	    "AuthenticationMethods publickey\n");
	/* A Match inside a block starts the next block. */
	check_ok("Match User a\nMatch User b\nPermitOpen any\n");
}

/* What config_dump_conn writes for cf and spec. */
static char *
dump_conn(const struct config *cf, const char *spec)
{
	struct config_conninfo ci;
	char path[] = "/tmp/jgdump.XXXXXX", buf[256], err[256], *text;
	int fd;

	snprintf(buf, sizeof(buf), "%s", spec);
	assert_int_equal(config_parse_conninfo(buf, &ci, NULL, err,
	    sizeof(err)), 0);
	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	config_dump_conn(cf, &ci, fd);
	text = tu_slurp_fd(fd);
	close(fd);
	return text;
}

static void
test_dump_conn(void **state)
{
	static const char *const head =
	    DUMP_GLOBAL_DEFAULT;
	static const struct {
		const char	*spec;
		const char	*tail;
	} cases[] = {
		{ "user=alice,addr=10.1.2.3,laddr=10.9.9.9,lport=22",
		    "allowtcpforwarding no\n"
		    "disableforwarding no\n"
		    "permitopen none\n"
		    "permitdestination *.corp:443\n"
		    "denydestination 169.254.0.0/16:* 10.0.0.0/8:*\n"
		    "denyspecialdestinations no\n" },
		{ "user=bob,addr=10.1.2.3",
		    "allowtcpforwarding remote\n"
		    "disableforwarding no\n"
		    "permitopen db:5432 [::1]:*\n"
		    "permitdestination *.corp:443\n"
		    "denydestination 169.254.0.0/16:*\n"
		    "denyspecialdestinations no\n" },
		{ "addr=192.0.2.1,lport=2222",
		    "allowtcpforwarding local\n"
		    "disableforwarding yes\n"
		    "permitopen db:5432 [::1]:*\n"
		    "permitdestination db:5432\n"
		    "denydestination 169.254.0.0/16:*\n"
		    "denyspecialdestinations yes\n" },
	};
	struct config cf;
	char err[CONFIG_ERR_MAX], *text, *want;
	size_t i;

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "AllowTcpForwarding local\n"
	    "PermitOpen db:5432 [::1]:*\n"
	    "PermitDestination db:5432\n"
	    "DenyDestination 169.254.0.0/16:*\n"
	    "Match User alice\n"
	    "AllowTcpForwarding no\n"
	    "PermitOpen none\n"
	    "DenyDestination 10.0.0.0/8:*\n"
	    "Match Address 10.0.0.0/8\n"
	    "AllowTcpForwarding remote\n"
	    "PermitDestination *.corp:443\n"
	    "DenySpecialDestinations no\n"
	    "Match LocalPort 2222\n"
	    "DisableForwarding yes\n", err), 0);
	config_finalize(&cf);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = dump_conn(&cf, cases[i].spec);
		assert_true(asprintf(&want, "%s%s", head, cases[i].tail) > 0);
		if (strcmp(text, want) != 0)
			fail_msg("-C %s:\n%s\nwant:\n%s", cases[i].spec, text,
			    want);
		free(want);
		free(text);
	}
	/* Plain -T: the global section only. */
	text = dump(&cf);
	assert_non_null(strstr(text, "rsa-sha2-256\n"
	    "allowtcpforwarding local\n"
	    "disableforwarding no\n"
	    "permitopen db:5432 [::1]:*\n"
	    "permitdestination db:5432\n"
	    "denydestination 169.254.0.0/16:*\n"
	    "denyspecialdestinations yes\n"));
	free(text);
	config_free(&cf);
}

/* Banner, PermitRootLogin, AuthenticationMethods, PermitListen (login.c). */
/* User: first value wins, jumpgate's default otherwise, a name only. */
static void
test_user_keyword(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	(void)state;
	config_init(&cf);
	assert_int_equal(load(&cf, "User nobody\nUser root\n", err), 0);
	config_finalize(&cf);
	assert_string_equal(cf.c_user, "nobody");
	config_free(&cf);
	config_init(&cf);
	assert_int_equal(load(&cf, "Port 22\n", err), 0);
	config_finalize(&cf);
	assert_string_equal(cf.c_user, "jumpgate");
	config_free(&cf);
	check_error("User ../etc\n",
	    "test.conf:1: User: bad user name \"../etc\"");
}

static void
test_login_keywords(void **state)
{
	static const char *const lines =
	    "permitrootlogin without-password\n"
	    "banner none\n"
	    "authenticationmethods any\n"
	    "permitlisten any\n";
	struct config cf;
	char err[CONFIG_ERR_MAX], *text;

	check_ok("AuthenticationMethods publickey\n");
	check_ok("AuthenticationMethods publickey publickey\n");
	check_error("AuthenticationMethods password\n", "test.conf:1: "
	    "Unsupported option AuthenticationMethods password: jumpgate "
	    "offers one publickey authentication only");
	check_error("AuthenticationMethods publickey,publickey\n",
	    "test.conf:1: Unsupported option AuthenticationMethods "
	    "publickey,publickey: jumpgate offers one publickey "
	    "authentication only");
	check_error("Port 22\nAuthenticationMethods publickey "
	    "keyboard-interactive:pam\n", "test.conf:2: Unsupported option "
	    "AuthenticationMethods keyboard-interactive:pam: jumpgate offers "
	    "one publickey authentication only");
	check_error("AuthenticationMethods publickey,frob\n", "test.conf:1: "
	    "invalid AuthenticationMethods method list.");
	check_error("AuthenticationMethods any publickey\n", "test.conf:1: "
	    "\"any\" must appear alone in AuthenticationMethods");
	check_error("PermitRootLogin maybe\n", "test.conf:1: PermitRootLogin: "
	    "unsupported option \"maybe\".");
	check_error("Banner\n", "test.conf:1: Banner: missing argument");
	check_error("Banner /a /b\n",
	    "test.conf:1: Banner: extra arguments at end of line");
	check_ok("PermitListen 8080 localhost:80 [::1]:* *:443\n");
	check_ok("PermitListen none\n");
	check_error("PermitListen localhost\n",
	    "test.conf:1: PermitListen bad port number");
	check_error("PermitListen 0\n",
	    "test.conf:1: PermitListen bad port number");
	check_error("PermitListen :80\n",
	    "test.conf:1: PermitListen missing host");

	config_init(&cf);
	assert_int_equal(load(&cf,
	    "PermitRootLogin prohibit-password\n"
	    "Banner /etc/issue.net\n"
	    "PermitListen 8080 host:80\n"
	    "Match User root\n"
	    "PermitRootLogin no\n"
	    "Banner none\n"
	    "AuthenticationMethods publickey\n"
	    "Match All\n"
	    "PermitRootLogin yes\n"
	    "PermitListen none\n", err), 0);
	config_finalize(&cf);
	text = dump(&cf);
	assert_non_null(strstr(text, "maxauthtries 6\n"
	    "permitrootlogin without-password\n"
	    "banner /etc/issue.net\n"
	    "authenticationmethods any\n"
	    "permitlisten 8080 host:80\n"));
	free(text);
	/* The first block that sets one wins, as in sshd. */
	text = dump_conn(&cf, "user=root,addr=192.0.2.1");
	assert_non_null(strstr(text, "permitrootlogin no\n"
	    "banner none\n"
	    "authenticationmethods publickey\n"
	    "permitlisten none\n"));
	free(text);
	text = dump_conn(&cf, "user=alice,addr=192.0.2.1");
	assert_non_null(strstr(text, "permitrootlogin yes\n"
	    "banner /etc/issue.net\n"
	    "authenticationmethods any\n"
	    "permitlisten none\n"));
	free(text);
	config_free(&cf);

	/* Defaults. */
	config_init(&cf);
	config_finalize(&cf);
	text = dump(&cf);
	assert_non_null(strstr(text, lines));
	free(text);
	config_free(&cf);
}

static void
test_free_twice(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	config_init(&cf);
	assert_int_equal(load(&cf, "HostKey /k\nPidFile /p\n", err), 0);
	config_finalize(&cf);
	config_free(&cf);
	assert_null(cf.c_pidfile);
	assert_int_equal(cf.c_nhostkeys, 0);
	config_free(&cf);
}

/* A reload's config lives until its last holder lets go (ASan: no leak). */
static void
test_refcount(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cf = config_new();

	assert_int_equal(load(cf, "PermitOpen db:5432\n", err), 0);
	config_finalize(cf);
	assert_ptr_equal(config_ref(cf), cf);
	assert_int_equal(cf->c_refs, 2);
	config_unref(cf);
	assert_int_equal(cf->c_refs, 1);
	assert_string_equal(cf->c_policy.ps_permitopen[0].pe_host, "db");
	config_unref(cf);
	config_unref(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_unset),
		cmocka_unit_test(test_every_keyword),
		cmocka_unit_test(test_first_value_wins),
		cmocka_unit_test(test_accumulation),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_unknown_keyword),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing_and_extra),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_frontend),
		cmocka_unit_test(test_restrictions_refused),
		cmocka_unit_test(test_akcmd),
		cmocka_unit_test(test_restrictions_by_value),
		cmocka_unit_test(test_ignored_keywords),
		cmocka_unit_test(test_ignored_noted_once),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_time_values),
		cmocka_unit_test(test_misc_values),
		cmocka_unit_test(test_finalize_defaults),
		cmocka_unit_test(test_finalize_keeps_values),
		cmocka_unit_test(test_dump_defaults),
		cmocka_unit_test(test_dump_configured),
		cmocka_unit_test(test_address_family),
		cmocka_unit_test(test_user_keyword),
		cmocka_unit_test(test_liveness_keywords),
		cmocka_unit_test(test_policy_values),
		cmocka_unit_test(test_permitopen_forms),
		cmocka_unit_test(test_policy_first_wins),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_match_blocks),
		cmocka_unit_test(test_match_not_allowed),
		cmocka_unit_test(test_dump_conn),
		cmocka_unit_test(test_login_keywords),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_refcount),
	};

	tu_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
