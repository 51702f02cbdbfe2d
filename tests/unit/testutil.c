/*
 * testutil.c: scratch files and log capture for the unit tests.
 *
 * Log capture goes through the real log sink (LOG_SINK_FILE) rather than a
 * mock, so the tests see the bytes jumpgate would write: prefixes,
 * escaping and all.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "testutil.h"

static char tu_logpath[4096];

char *
tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	assert_true(asprintf(&dir, "%s/jgunit.XXXXXX", base) > 0);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int
tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
tu_rmtree(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *
tu_write(const char *dir, const char *name, const char *content)
{
	char *path;
	FILE *fp;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

char *
tu_slurp_fd(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			assert_non_null(buf = realloc(buf, cap));
		}
		n = read(fd, buf + len, cap - len - 1);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static void
tu_log_remove(void)
{
	unlink(tu_logpath);
}

void
tu_log_capture(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tu_logpath, sizeof(tu_logpath), "%s/jgunit-log.%ld", base,
	    (long)getpid());
	assert_int_equal(log_init("jgtest", LOG_LVL_DEBUG3, LOG_SINK_FILE,
	    tu_logpath, 0), 0);
	tu_log_clear();
	/* The file is only a buffer: gone when the test binary exits. */
	atexit(tu_log_remove);
}

void
tu_log_clear(void)
{
	int fd;

	assert_true((fd = open(tu_logpath, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	close(fd);
}

char *
tu_log_text(void)
{
	char *text;
	int fd;

	assert_true((fd = open(tu_logpath, O_RDONLY)) != -1);
	text = tu_slurp_fd(fd);
	close(fd);
	return text;
}

int
tu_log_count(const char *needle)
{
	char *text = tu_log_text(), *p = text;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(text);
	return n;
}
