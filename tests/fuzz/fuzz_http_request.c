// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the monitor's HTTP request parser: every byte a client sends is
 * untrusted. The input is the connection's buffer, copied to an exact-size allocation so that
 * the sanitizer sees any read past its end. Besides memory errors, the target aborts when the
 * parser breaks what monitor_http.c relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

static struct http_request r, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t used;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	used = http_request_parse(buf, size, &r);
	/* More bytes asked for only below the bound; never more taken than given. */
	if (used > size || (!used && size >= HTTP_HEAD_MAX))
		abort();
	if (used) {
		if (r.status != 0 && r.status != 400 && r.status != 413 && r.status != 431 &&
		    r.status != 505)
			abort();
		if (r.status && r.keep_alive)
			abort();
		if (!r.status && (r.minor < 0 || r.minor > 1 || r.path + r.path_len > used))
			abort();
		if (strlen(r.accept) >= sizeof(r.accept) || (!r.has_accept && r.accept[0]))
			abort();
		/* The head alone parses the same: nothing after it changed the request. */
		if (r.status != 431) {
			if (http_request_parse(buf, used, &again) != used ||
			    again.status != r.status || again.keep_alive != r.keep_alive ||
			    strcmp(again.accept, r.accept))
				abort();
			/* One byte short, it is not whole yet. */
			if (http_request_parse(buf, used - 1, &again))
				abort();
		}
	}
	free(buf);
	return 0;
}
