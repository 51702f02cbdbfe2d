/*
 * test_log.c: log_escape() and the shape of the lines log.c writes.
 *
 * Escaping is what stops a client-chosen host name or user name from
 * forging a log line of its own, so the exact bytes are asserted here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "log.h"
#include "testutil.h"

/* Escapes src (whole string) into a buffer of dstlen; checks the result. */
static void
check_escape(const char *src, size_t dstlen, const char *want)
{
	char dst[256];
	size_t n;

	assert_true(dstlen <= sizeof(dst));
	memset(dst, 'X', sizeof(dst));
	n = log_escape(dst, dstlen, src, strlen(src));
	assert_string_equal(dst, want);
	assert_int_equal(n, strlen(want));
}

static void
test_escape_plain(void **state)
{
	check_escape("", 16, "");
	check_escape("hello world", 64, "hello world");
	/* Printable punctuation, quotes and % pass through untouched. */
	check_escape("a%s\"'~{}", 64, "a%s\"'~{}");
}

static void
test_escape_control(void **state)
{
	check_escape("a\nb", 64, "a\\012b");
	check_escape("a\rb", 64, "a\\015b");
	check_escape("\t", 64, "\\011");
	check_escape("\x01\x1f", 64, "\\001\\037");
	check_escape("\x1b[31m", 64, "\\033[31m");
	check_escape("\x7f", 64, "\\177");
}

static void
test_escape_backslash(void **state)
{
	check_escape("\\", 64, "\\\\");
	check_escape("a\\012b", 64, "a\\\\012b");
}

static void
test_escape_high_bytes(void **state)
{
	/* UTF-8 "é" is two bytes, both escaped: VIS_SAFE is byte-wise. */
	check_escape("\xc3\xa9", 64, "\\303\\251");
	check_escape("\x80\xff", 64, "\\200\\377");
}

static void
test_escape_forged_line(void **state)
{
	check_escape("evil\nAccepted publickey for root", 128,
	    "evil\\012Accepted publickey for root");
}

static void
test_escape_truncation(void **state)
{
	/* Room for 4 characters plus NUL. */
	check_escape("abcdefgh", 5, "abcd");
	/* "ab" fits, "\012" (4 bytes) would not fit before the NUL. */
	check_escape("ab\ncd", 5, "ab");
	check_escape("ab\ncd", 6, "ab");
	check_escape("ab\ncd", 7, "ab\\012");
	check_escape("ab\ncd", 8, "ab\\012c");
	/* A backslash needs two bytes: never half of one. */
	check_escape("a\\b", 3, "a");
	check_escape("a\\b", 4, "a\\\\");
	check_escape("abc", 1, "");
}

static void
test_escape_zero_size(void **state)
{
	char dst[4] = "xyz";

	assert_int_equal(log_escape(dst, 0, "abc", 3), 0);
	assert_string_equal(dst, "xyz");
}

static void
test_escape_srclen(void **state)
{
	char dst[32];

	assert_int_equal(log_escape(dst, sizeof(dst), "abcdef", 3), 3);
	assert_string_equal(dst, "abc");
	/* A NUL ends the source even inside srclen. */
	assert_int_equal(log_escape(dst, sizeof(dst), "ab\0cd", 5), 2);
	assert_string_equal(dst, "ab");
}

static void
test_levels(void **state)
{
	assert_int_equal(log_level_parse("INFO"), LOG_LVL_INFO);
	assert_int_equal(log_level_parse("verbose"), LOG_LVL_VERBOSE);
	assert_int_equal(log_level_parse("DEBUG"), LOG_LVL_DEBUG1);
	assert_int_equal(log_level_parse("debug3"), LOG_LVL_DEBUG3);
	assert_int_equal(log_level_parse("LOUD"), -1);
	assert_string_equal(log_level_name(LOG_LVL_DEBUG1), "DEBUG");
	assert_string_equal(log_level_name(LOG_LVL_QUIET), "QUIET");
	assert_int_equal(log_facility_parse("auth"), LOG_AUTH);
	assert_int_equal(log_facility_parse("LOCAL7"), LOG_LOCAL7);
	assert_int_equal(log_facility_parse("kern"), -1);
	assert_string_equal(log_facility_name(LOG_DAEMON), "DAEMON");
}

static void
test_line_format(void **state)
{
	char *text;

	tu_log_clear();
	log_set_level(LOG_LVL_DEBUG1);
	log_info("plain %s", "info");
	log_verbose("verbose line");
	log_debug("host %s", "a\nb");
	log_debug2("not shown at DEBUG1");
	log_error("an error");
	text = tu_log_text();
	/* sshd's -E format: bare INFO/VERBOSE/ERROR, "debugN: " prefixes. */
	assert_string_equal(text, "plain info\nverbose line\n"
	    "debug1: host a\\012b\nan error\n");
	free(text);
	log_set_level(LOG_LVL_DEBUG3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_backslash),
		cmocka_unit_test(test_escape_high_bytes),
		cmocka_unit_test(test_escape_forged_line),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_escape_zero_size),
		cmocka_unit_test(test_escape_srclen),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_line_format),
	};

	tu_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
