/*
 * json.h: JSON text written into an evbuffer, for the audit log and the
 * admin listener.
 *
 * Strings come from clients (user names, target hosts), so every one is
 * escaped and made valid UTF-8: control characters, quote and backslash
 * are escaped, and each byte that is not part of a valid UTF-8 sequence
 * becomes U+FFFD.  A NULL string is written as null.
 */
#ifndef JG_JSON_H
#define JG_JSON_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define JSON_DEPTH_MAX	8

struct json {
	struct evbuffer	*j_buf;
	int		 j_depth;
	int		 j_first[JSON_DEPTH_MAX];	/* no member yet */
};

void	json_init(struct json *j, struct evbuffer *buf);
/* key NULL: an array element (or the outermost value). */
void	json_obj_open(struct json *j, const char *key);
void	json_obj_close(struct json *j);
void	json_arr_open(struct json *j, const char *key);
void	json_arr_close(struct json *j);
void	json_str(struct json *j, const char *key, const char *val);
void	json_int(struct json *j, const char *key, long long val);
void	json_uint(struct json *j, const char *key, uint64_t val);
void	json_double(struct json *j, const char *key, double val);
void	json_bool(struct json *j, const char *key, int val);

/* The escaped string alone, quotes included. */
void	json_quote(struct evbuffer *buf, const char *s, size_t len);

#endif
