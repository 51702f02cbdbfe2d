/*
 * hostkey.c: loading or generating host keys, and the demo's key files.
 *
 * With no HostKey configured, an ed25519 key is generated once in the
 * state directory and reused, so a container or a first run needs no
 * ssh-keygen step.  Files holding private keys are created 0600 with
 * O_EXCL before libssh writes them, so they are never readable by others,
 * not even for an instant.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "config.h"
#include "hostkey.h"
#include "log.h"
#include "str.h"

#define HOSTKEY_DEFAULT_NAME	"ssh_host_ed25519_key"
#define DEMO_KEY_NAME		"demo_ed25519"
#define DEMO_USER		"demo"

void
hostkey_default_state_dir(char *buf, size_t len)
{
	const char *env = getenv("STATE_DIRECTORY");	/* systemd */
	const char *home = getenv("HOME");

	if (env != NULL && *env != '\0')
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0 || home == NULL || *home == '\0')
		snprintf(buf, len, "/var/lib/jumpgate");
	else
		snprintf(buf, len, "%s/.local/state/jumpgate", home);
}

/* mkdir -p with mode 0700 for the directories we create. */
static int
hostkey_mkdirs(const char *path)
{
	char tmp[4096];
	char *p;

	if (str_lcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp))
		return -1;
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Generates an ed25519 key at path unless one is there. */
static int
hostkey_generate(const char *path, const char *what)
{
	ssh_key key = NULL;
	int fd, rc = -1;

	if (access(path, F_OK) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_error("%s: create %s: %s", __func__, path, strerror(errno));
		goto out;
	}
	close(fd);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) !=
	    SSH_OK) {
		log_error("%s: cannot write %s %s", __func__, what, path);
		unlink(path);
		goto out;
	}
	log_info("generated %s %s", what, path);
	rc = 0;
out:
	ssh_key_free(key);
	return rc;
}

int
hostkey_prepare(const struct config *cf, int check_only, char **paths,
    int max)
{
	char path[4096];
	ssh_key key = NULL;
	int i, fd, n = 0;

	for (i = 0; i < cf->c_nhostkeys && n < max; i++) {
		/*
		 * open(), not access(): access() checks the real uid and
		 * ignores CAP_DAC_READ_SEARCH, which the systemd unit uses.
		 */
		if ((fd = open(cf->c_hostkeys[i], O_RDONLY | O_CLOEXEC)) ==
		    -1) {
			/* sshd skips an unreadable key, then needs one. */
			log_error("Unable to load host key: %s: %s",
			    cf->c_hostkeys[i], strerror(errno));
			continue;
		}
		close(fd);
		/* Readable is not enough: -t must say what start would. */
		if (ssh_pki_import_privkey_file(cf->c_hostkeys[i], NULL, NULL,
		    NULL, &key) != SSH_OK) {
			log_error("Unable to load host key: %s: not a private "
			    "key libssh can use (ed25519, ecdsa or rsa, "
			    "without a passphrase)", cf->c_hostkeys[i]);
			continue;
		}
		ssh_key_free(key);
		key = NULL;
		paths[n++] = xstrdup(cf->c_hostkeys[i]);
	}
	if (cf->c_nhostkeys > 0)
		return n > 0 ? n : -1;
	snprintf(path, sizeof(path), "%s/%s", cf->c_state_dir,
	    HOSTKEY_DEFAULT_NAME);
	if (!check_only && (hostkey_mkdirs(cf->c_state_dir) == -1 ||
	    hostkey_generate(path, "host key") == -1)) {
		log_error("cannot prepare host key in %s: %s", cf->c_state_dir,
		    strerror(errno));
		return -1;
	}
	paths[n++] = xstrdup(path);
	return n;
}

/* Writes a whole small file, replacing what was there. */
static int
hostkey_write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	/* An older file keeps its mode through O_CREAT: set it. */
	if (fd == -1 || fchmod(fd, mode) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		log_error("%s: %s: %s", __func__, path, strerror(errno));
		return -1;
	}
	if (fputs(text, f) != EOF)
		rc = 0;
	if (fclose(f) == EOF)
		rc = -1;
	return rc;
}

/* "ssh-ed25519 AAAA..." for the public half of the key in path. */
static char *
hostkey_public_line(const char *path)
{
	ssh_key key = NULL;
	char *b64 = NULL, *line = NULL;
	size_t len;

	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		goto out;
	len = strlen(b64) + 64;
	line = xmalloc(len);
	snprintf(line, len, "%s %s", ssh_key_type_to_char(ssh_key_type(key)),
	    b64);
out:
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return line;
}

int
hostkey_demo_setup(const struct config *cf, char *const *hostkeys,
    int nhostkeys, const char *host, int port)
{
	char key[4096], path[4096 + 32], text[16384];
	char *pub = NULL, *hk;
	size_t off = 0;
	int i, rc = -1;

	snprintf(key, sizeof(key), "%s/%s", cf->c_state_dir, DEMO_KEY_NAME);
	if (hostkey_generate(key, "demo client key") == -1 ||
	    (pub = hostkey_public_line(key)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "%s.pub", key);
	snprintf(text, sizeof(text), "%s " DEMO_USER "@jumpgate-demo\n", pub);
	if (hostkey_write_file(path, text, 0644) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/authorized_keys", cf->c_state_dir);
	if (hostkey_mkdirs(path) == -1)
		goto out;
	/*
	 * The demo runs as "nobody" once started: its public key must be
	 * reachable and readable, while the private keys stay 0600.
	 */
	if (chmod(cf->c_state_dir, 0711) == -1 || chmod(path, 0755) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/authorized_keys/" DEMO_USER,
	    cf->c_state_dir);
	if (hostkey_write_file(path, text, 0644) == -1)
		goto out;

	text[0] = '\0';
	for (i = 0; i < nhostkeys; i++) {
		if ((hk = hostkey_public_line(hostkeys[i])) == NULL)
			continue;
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[%s]:%d %s\n", host, port, hk);
		free(hk);
		if (off >= sizeof(text))
			goto out;
	}
	snprintf(path, sizeof(path), "%s/known_hosts", cf->c_state_dir);
	if (hostkey_write_file(path, text, 0644) == -1)
		goto out;

	snprintf(text, sizeof(text),
	    "# Written by jumpgate's embedded demo; safe to delete.\n"
	    "Host jumpgate-demo\n"
	    "\tHostName %s\n\tPort %d\n\tUser " DEMO_USER "\n"
	    "\tIdentityFile %s\n\tIdentitiesOnly yes\n"
	    "\tUserKnownHostsFile %s/known_hosts\n"
	    "\tStrictHostKeyChecking yes\n", host, port, key, cf->c_state_dir);
	snprintf(path, sizeof(path), "%s/ssh_config", cf->c_state_dir);
	if (hostkey_write_file(path, text, 0644) == -1)
		goto out;

	printf("\njumpgate demo: listening on %s port %d; user \"" DEMO_USER
	    "\" may forward anywhere\nbut to link-local or cloud metadata "
	    "addresses and to jumpgate itself.\nTry, from another terminal:\n"
	    "  ssh -F %s -N -L 8080:example.com:80 jumpgate-demo\n"
	    "  ssh -F %s -N -D 1080 jumpgate-demo\n"
	    "      curl --socks5-hostname 127.0.0.1:1080 http://example.com/\n"
	    "  ssh -F %s -W 127.0.0.1:22 jumpgate-demo\n"
	    "  ssh -F %s -J jumpgate-demo you@your-server\n\n",
	    host, port, path, path, path, path);
	fflush(stdout);
	rc = 0;
out:
	free(pub);
	return rc;
}
