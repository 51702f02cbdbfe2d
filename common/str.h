/*
 * str.h: small string and allocation helpers with no state.
 *
 * Allocation failure is not recoverable in a daemon that must stay
 * consistent, so the x* allocators abort with a log line instead of
 * returning NULL through every caller.
 */
#ifndef JG_STR_H
#define JG_STR_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);

/* Copies with truncation, always NUL-terminated; returns strlen(src). */
size_t	 str_lcpy(char *dst, const char *src, size_t size);

/*
 * Parses a whole decimal string into [min, max].  Returns 0 on success,
 * -1 when the string is empty, has trailing garbage or is out of range.
 */
int	 str_to_long(const char *s, long min, long max, long *out);

#endif
