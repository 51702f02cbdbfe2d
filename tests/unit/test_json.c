/*
 * test_json.c: server/json.c, the writer behind the audit log and the
 * admin listener: structure, and escaping of hostile strings into valid
 * UTF-8 JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "json.h"

/* The escaped form of len bytes of s, quotes included; caller frees. */
static char *
quoted(const char *s, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *out;

	json_quote(b, s, len);
	n = evbuffer_get_length(b);
	out = malloc(n + 1);
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	return out;
}

static void
check_quote(const char *s, size_t len, const char *want)
{
	char *got = quoted(s, len);

	assert_string_equal(got, want);
	free(got);
}

static void
test_escapes(void **state)
{
	check_quote("plain", 5, "\"plain\"");
	check_quote("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_quote("l1\nl2\r\t", 7, "\"l1\\nl2\\r\\t\"");
	check_quote("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	/* An embedded NUL is data, not the end. */
	check_quote("a\0b", 3, "\"a\\u0000b\"");
	check_quote("", 0, "\"\"");
}

static void
test_utf8(void **state)
{
	/* Valid sequences of each length pass as they are. */
	check_quote("\xc3\xa9\xe2\x98\x83\xf0\x9f\x94\x91", 9,
	    "\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x94\x91\"");
	/* Stray continuation, truncated, overlong, surrogate, too big. */
	check_quote("\x80", 1, "\"\\ufffd\"");
	check_quote("\xc3", 1, "\"\\ufffd\"");
	check_quote("\xe2\x98", 2, "\"\\ufffd\\ufffd\"");
	check_quote("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	check_quote("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	check_quote("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	check_quote("\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_quote("\xff" "ok", 3, "\"\\ufffdok\"");
}

static void
test_structure(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct json j;
	char out[512];
	size_t n;

	json_init(&j, b);
	json_obj_open(&j, NULL);
	json_str(&j, "s", "v");
	json_str(&j, "null", NULL);
	json_int(&j, "i", -3);
	json_uint(&j, "u", UINT64_MAX);
	json_bool(&j, "b", 1);
	json_arr_open(&j, "a");
	json_obj_open(&j, NULL);
	json_double(&j, "d", 1.5);
	json_obj_close(&j);
	json_obj_open(&j, NULL);
	json_obj_close(&j);
	json_arr_close(&j);
	json_arr_open(&j, "empty");
	json_arr_close(&j);
	json_obj_close(&j);
	n = evbuffer_get_length(b);
	assert_true(n < sizeof(out));
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	assert_string_equal(out, "{\"s\":\"v\",\"null\":null,\"i\":-3,"
	    "\"u\":18446744073709551615,\"b\":true,\"a\":[{\"d\":1.500000},"
	    "{}],\"empty\":[]}");
	evbuffer_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
