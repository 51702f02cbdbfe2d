/*
 * fuzz_proxy.c: the PROXY protocol header parser on hostile bytes.
 *
 * Beyond "no crash, no overread", it checks the promises proxyconn.c
 * relies on to never eat a client's SSH bytes: an accepted header ends
 * inside the input and no later than PROXY_MAX, parses the same without
 * anything after it, and every shorter prefix of it asks for more; a
 * "more" never comes from more than PROXY_MAX bytes; addresses are
 * numeric and terminated.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz.h"
#include "proxy.h"

static void
fuzz_check_addr(const char *a)
{
	uint8_t buf[sizeof(struct in6_addr)];

	if (memchr(a, '\0', ADDR_STRLEN) == NULL ||
	    (inet_pton(AF_INET, a, buf) != 1 &&
	    inet_pton(AF_INET6, a, buf) != 1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr ph, ph2;
	enum proxy_result r;
	size_t i;

	fuzz_quiet();
	r = proxy_parse(data, size, &ph);
	switch (r) {
	case PROXY_MORE:
		if (size >= PROXY_MAX)
			abort();
		break;
	case PROXY_BAD:
		if (ph.ph_why == NULL)
			abort();
		break;
	case PROXY_OK:
	case PROXY_LOCAL:
		if (ph.ph_len == 0 || ph.ph_len > size ||
		    ph.ph_len > PROXY_MAX)
			abort();
		if (r == PROXY_OK) {
			fuzz_check_addr(ph.ph_src);
			fuzz_check_addr(ph.ph_dst);
			if (ph.ph_src_port < 0 || ph.ph_src_port > 65535 ||
			    ph.ph_dst_port < 0 || ph.ph_dst_port > 65535)
				abort();
		}
		if (proxy_parse(data, ph.ph_len, &ph2) != r ||
		    ph2.ph_len != ph.ph_len ||
		    strcmp(ph2.ph_src, ph.ph_src) != 0 ||
		    strcmp(ph2.ph_dst, ph.ph_dst) != 0)
			abort();
		for (i = 0; i < ph.ph_len; i++)
			if (proxy_parse(data, i, &ph2) != PROXY_MORE)
				abort();
		break;
	}
	(void)proxy_is_header(data, size);
	return 0;
}
