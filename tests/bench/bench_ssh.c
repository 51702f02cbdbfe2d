/* jgbench: shared options and the libssh client helpers. */
#include "bench_ssh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct bench_opt opt = {
	.host = "127.0.0.1", .user = "root", .cipher = "aes128-gcm@openssh.com",
	.kex = "curve25519-sha256", .dir = "up", .conc = 1, .sessions = 10,
	.count = 1000, .seconds = 5, .settle = 2, .bytes = 64 << 20,
	.srcaddrs = 32,
};

const char msg64[MSG_LEN + 1] =
    "jgbench-0123456789abcdef0123456789abcdef0123456789abcdef-echo64\n";

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
result(const char *name, double v)
{
	printf("RESULT %s %.6g\n", name, v);
	fflush(stdout);
}

void
die(const char *what)
{
	fprintf(stderr, "jgbench: %s\n", what);
	exit(1);
}

double
client_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

void
sample(struct proc_sample *s, int mem)
{
	if (opt.server_pid <= 0) {
		memset(s, 0, sizeof(*s));
		return;
	}
	if (proc_sample(opt.server_pid, mem, s) != 0)
		die("server process not found in /proc");
}

/*
 * Connects and authenticates one blocking session.  srcidx >= 0 binds the
 * client end to 127.0.0.(10 + srcidx % srcaddrs): Dropbear allows only 5
 * unauthenticated connections per source address, so every server sees the
 * same spread of addresses.  Returns NULL (and says why) on failure.
 */
ssh_session
connect_session(ssh_key key, int srcidx)
{
	ssh_session s;
	long timeout = 60;
	int zero = 0, one = 1, port = opt.port, rc;
	char bind[32];

	if ((s = ssh_new()) == NULL)
		return NULL;
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &zero);
	ssh_options_set(s, SSH_OPTIONS_HOST, opt.host);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, opt.user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	/* Like any latency-aware client: no Nagle delay on small packets. */
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &one);
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	if (ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, opt.cipher) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, opt.cipher) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, opt.kex) != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, "ssh-ed25519") != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES,
	    "ssh-ed25519") != SSH_OK ||
	    ssh_options_set(s, SSH_OPTIONS_COMPRESSION, "no") != SSH_OK) {
		fprintf(stderr, "jgbench: options: %s\n", ssh_get_error(s));
		ssh_free(s);
		return NULL;
	}
	if (srcidx >= 0 && opt.srcaddrs > 0) {
		snprintf(bind, sizeof(bind), "127.0.0.%d",
		    10 + srcidx % opt.srcaddrs);
		ssh_options_set(s, SSH_OPTIONS_BINDADDR, bind);
	}
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "jgbench: connect: %s\n", ssh_get_error(s));
		ssh_free(s);
		return NULL;
	}
	rc = ssh_userauth_publickey(s, NULL, key);
	if (rc != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "jgbench: auth failed (%d): %s\n", rc,
		    ssh_get_error(s));
		ssh_disconnect(s);
		ssh_free(s);
		return NULL;
	}
	return s;
}

ssh_key
load_key(void)
{
	ssh_key key = NULL;

	if (opt.key == NULL)
		die("--key is required");
	if (ssh_pki_import_privkey_file(opt.key, NULL, NULL, NULL, &key) !=
	    SSH_OK)
		die("cannot read the private key");
	return key;
}

ssh_channel
open_blocking(ssh_session s, int port)
{
	ssh_channel ch = ssh_channel_new(s);

	if (ch == NULL)
		return NULL;
	if (ssh_channel_open_forward(ch, "127.0.0.1", port, "127.0.0.1",
	    50000) != SSH_OK) {
		fprintf(stderr, "jgbench: channel open: %s\n", ssh_get_error(s));
		ssh_channel_free(ch);
		return NULL;
	}
	return ch;
}

/* Reads exactly len bytes (blocking).  Returns 0 or -1. */
int
chan_read_full(ssh_channel ch, char *buf, int len)
{
	int got = 0, r;

	while (got < len) {
		r = ssh_channel_read(ch, buf + got, (uint32_t)(len - got), 0);
		if (r < 0 || (r == 0 && ssh_channel_is_eof(ch)))
			return -1;
		got += r;
	}
	return 0;
}

/* Sends EOF, waits for the peer's EOF, closes and frees (blocking). */
int
chan_finish(ssh_channel ch)
{
	char buf[256];
	int r, rc = 0;

	if (ssh_channel_send_eof(ch) == SSH_ERROR)
		rc = -1;
	while (rc == 0 && !ssh_channel_is_eof(ch)) {
		r = ssh_channel_read(ch, buf, sizeof(buf), 0);
		if (r < 0)
			rc = -1;
		else if (r > 0)
			rc = -1;	/* nothing more was expected */
	}
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return rc;
}

