/*
 * fuzz.h: what every libFuzzer target here shares: the entry point's
 * prototype (the build demands one), a quiet log so the fuzzer spends
 * its time parsing rather than writing, and a NUL-terminated copy of the
 * input, because every parser under test reads C strings.
 */
#ifndef JG_FUZZ_H
#define JG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
fuzz_quiet(void)
{
	static int done;

	if (!done) {
		log_init("fuzz", LOG_LVL_QUIET, LOG_SINK_STDERR, NULL, 0);
		done = 1;
	}
}

/* The input as a string; an embedded NUL simply ends it early. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
