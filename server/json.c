/*
 * json.c: a small JSON writer with the escaping client strings need.
 *
 * Only writing: jumpgate never parses JSON.  The nesting stack is bounded
 * (JSON_DEPTH_MAX); going deeper is a programming error and aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "json.h"
#include "log.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
json_utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	cp = s[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
json_quote(struct evbuffer *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, n;

	evbuffer_add(b, "\"", 1);
	while (i < len) {
		/* Plain printable ASCII goes out in one piece. */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x7f &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			evbuffer_add(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (s[i]) {
		case '"':	evbuffer_add(b, "\\\"", 2); i++; continue;
		case '\\':	evbuffer_add(b, "\\\\", 2); i++; continue;
		case '\n':	evbuffer_add(b, "\\n", 2); i++; continue;
		case '\r':	evbuffer_add(b, "\\r", 2); i++; continue;
		case '\t':	evbuffer_add(b, "\\t", 2); i++; continue;
		default:	break;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			evbuffer_add_printf(b, "\\u%04x", s[i]);
			i++;
		} else if ((n = json_utf8_len(s + i, len - i)) > 0) {
			evbuffer_add(b, s + i, n);
			i += n;
		} else {
			evbuffer_add(b, "\\ufffd", 6);
			i++;
		}
	}
	evbuffer_add(b, "\"", 1);
}

void
json_init(struct json *j, struct evbuffer *buf)
{
	memset(j, 0, sizeof(*j));
	j->j_buf = buf;
	j->j_first[0] = 1;
}

/* The separator and key before a member or element. */
static void
json_member(struct json *j, const char *key)
{
	if (!j->j_first[j->j_depth])
		evbuffer_add(j->j_buf, ",", 1);
	j->j_first[j->j_depth] = 0;
	if (key != NULL) {
		json_quote(j->j_buf, key, strlen(key));
		evbuffer_add(j->j_buf, ":", 1);
	}
}

static void
json_open(struct json *j, const char *key, const char *bracket)
{
	json_member(j, key);
	if (j->j_depth + 1 >= JSON_DEPTH_MAX)
		log_fatal("%s: nesting deeper than %d", __func__,
		    JSON_DEPTH_MAX);
	evbuffer_add(j->j_buf, bracket, 1);
	j->j_first[++j->j_depth] = 1;
}

static void
json_close(struct json *j, const char *bracket)
{
	if (j->j_depth == 0)
		log_fatal("%s: nothing open", __func__);
	j->j_depth--;
	evbuffer_add(j->j_buf, bracket, 1);
}

void
json_obj_open(struct json *j, const char *key)
{
	json_open(j, key, "{");
}

void
json_obj_close(struct json *j)
{
	json_close(j, "}");
}

void
json_arr_open(struct json *j, const char *key)
{
	json_open(j, key, "[");
}

void
json_arr_close(struct json *j)
{
	json_close(j, "]");
}

void
json_str(struct json *j, const char *key, const char *val)
{
	json_member(j, key);
	if (val == NULL)
		evbuffer_add(j->j_buf, "null", 4);
	else
		json_quote(j->j_buf, val, strlen(val));
}

void
json_int(struct json *j, const char *key, long long val)
{
	json_member(j, key);
	evbuffer_add_printf(j->j_buf, "%lld", val);
}

void
json_uint(struct json *j, const char *key, uint64_t val)
{
	json_member(j, key);
	evbuffer_add_printf(j->j_buf, "%llu", (unsigned long long)val);
}

void
json_double(struct json *j, const char *key, double val)
{
	json_member(j, key);
	evbuffer_add_printf(j->j_buf, "%.6f", val);
}

void
json_bool(struct json *j, const char *key, int val)
{
	json_member(j, key);
	evbuffer_add_printf(j->j_buf, "%s", val ? "true" : "false");
}
