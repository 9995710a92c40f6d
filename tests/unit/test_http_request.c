// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor's HTTP request parser: split reads, pipelining, header names in any case,
 * repeated Accept fields, the size bound, versions, bodies, and malformed heads.
 */
#include <stdlib.h>

#include "http_request.h"
#include "metrics.h"
#include "tap.h"

static struct http_request r;

/* Parse a whole string; the status, or -1 when it asks for more bytes. */
static long parse(const char *s)
{
	size_t len = strlen(s), used = http_request_parse(s, len, &r);

	return used ? (long)r.status : -1;
}

static int path_is(const char *buf, const char *want)
{
	return r.path_len == strlen(want) && !memcmp(buf + r.path, want, r.path_len);
}

static void simple(void)
{
	const char *s = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";

	is_int(http_request_parse(s, strlen(s), &r), strlen(s), "a GET takes its whole head");
	is_int(r.status, 0, "GET: no error");
	is_int(r.method, HTTP_GET, "GET: the method");
	ok(path_is(s, "/metrics"), "GET: the path");
	is_int(r.minor, 1, "GET: HTTP/1.1");
	ok(r.keep_alive, "HTTP/1.1: kept open by default");
	ok(r.has_accept, "GET: it has an Accept field");
	is_str(r.accept, "*/*", "GET: its value");

	is_int(parse("HEAD /metrics?name[]=up HTTP/1.1\r\nHost: x\r\n\r\n"), 0, "HEAD: no error");
	is_int(r.method, HTTP_HEAD, "HEAD: the method");
	ok(path_is("HEAD /metrics?name[]=up", "/metrics"), "the query is left aside");
	ok(!r.has_accept, "no Accept field");

	s = "GET http://h:9377/metrics?x HTTP/1.1\r\nHost: h:9377\r\n\r\n";
	is_int(parse(s), 0, "absolute-form: no error");
	ok(path_is(s, "/metrics"), "absolute-form: the path without scheme and authority");

	is_int(parse("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 0, "POST: parsed");
	is_int(r.method, HTTP_OTHER, "POST: another method (the server answers 405)");
	is_int(parse("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 0, "get: parsed");
	is_int(r.method, HTTP_OTHER, "methods are case-sensitive: get is not GET");

	is_int(parse("\r\n\r\nGET / HTTP/1.1\nHost: x\n\n"), 0,
	       "empty lines before the request line, and lines ended by LF alone");
	ok(path_is("\r\n\r\nGET / HTTP/1.1", "/"), "its path");
}

/* Every prefix of a head asks for more; the whole head is taken; the next starts after it. */
static void split_and_pipelined(void)
{
	const char *a = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n";
	const char *b = "HEAD /other HTTP/1.0\r\n\r\n";
	char buf[256];
	size_t la = strlen(a), lb = strlen(b), used;
	int more = 1;

	for (size_t i = 0; i < la; i++)
		more &= http_request_parse(a, i, &r) == 0;
	ok(more, "each of the %zu prefixes of a head asks for more bytes", la);
	snprintf(buf, sizeof(buf), "%s%s", a, b);
	used = http_request_parse(buf, la + lb, &r);
	is_int(used, la, "pipelined: the first request's head only");
	is_str(r.accept, "text/plain", "pipelined: the first request's Accept");
	used = http_request_parse(buf + la, lb, &r);
	is_int(used, lb, "pipelined: then the second's");
	is_int(r.method, HTTP_HEAD, "pipelined: the second's method");
	ok(path_is(buf + la, "/other"), "pipelined: the second's path");
	ok(!r.has_accept, "pipelined: the first's Accept is not the second's");
	ok(!r.keep_alive, "HTTP/1.0: closed by default");
	is_int(http_request_parse(buf + la, lb - 1, &r), 0,
	       "the second, one byte short, asks for more");
}

static void fields(void)
{
	is_int(parse("GET /metrics HTTP/1.1\r\nhOST: x\r\naCCEPT:   application/openmetrics-text; "
		     "version=1.0.0  \r\nconnection: Upgrade, CLOSE\r\n\r\n"),
	       0, "field names in any case");
	is_str(r.accept, "application/openmetrics-text; version=1.0.0",
	       "Accept's value, without the whitespace around it");
	ok(!r.keep_alive, "Connection: ..., CLOSE closes");

	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain;q=0.5\r\nX-A: 1\r\n"
		     "ACCEPT: application/openmetrics-text;version=1.0.0\r\n\r\n"),
	       0, "two Accept fields");
	is_str(r.accept, "text/plain;q=0.5, application/openmetrics-text;version=1.0.0",
	       "repeated Accept fields joined by \", \"");
	is_int(metrics_negotiate(r.accept), METRICS_OPENMETRICS,
	       "and OpenMetrics negotiated from the second");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept:\r\n\r\n"), 0, "an empty Accept");
	ok(r.has_accept && !r.accept[0], "is there, and empty");

	is_int(parse("GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0,
	       "HTTP/1.0 with keep-alive");
	ok(r.keep_alive, "HTTP/1.0: kept open when it asks");
	is_int(r.minor, 0, "HTTP/1.0: minor 0");
	is_int(parse("GET /metrics HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), 0,
	       "keep-alive and close");
	ok(!r.keep_alive, "close wins");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: keep-alivex\r\n\r\n"), 0,
	       "Connection: a token that is not close");
	ok(r.keep_alive, "HTTP/1.1: still kept open");
}

static void bounds(void)
{
	size_t n = HTTP_HEAD_MAX + 100, used;
	char *big = malloc(n + 1);
	const char *start = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ";

	if (!big)
		return;
	memset(big, 'a', n);
	memcpy(big, start, strlen(start));
	used = http_request_parse(big, HTTP_HEAD_MAX - 1, &r);
	is_int(used, 0, "a head not ended, one byte under the bound: more bytes");
	used = http_request_parse(big, HTTP_HEAD_MAX, &r);
	is_int(used, HTTP_HEAD_MAX, "not ended at the bound: all of it taken");
	is_int(r.status, 431, "and refused with 431");
	ok(!r.keep_alive, "431 closes");
	/* Ended just past the bound: still too large. */
	memcpy(big + HTTP_HEAD_MAX - 2, "\r\n\r\n", 4);
	used = http_request_parse(big, n, &r);
	is_int(r.status, 431, "a head that ends 2 bytes past the bound: 431");
	/* Ended just within it: taken. */
	memset(big + HTTP_HEAD_MAX - 2, 'a', 4);
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	used = http_request_parse(big, n, &r);
	is_int(used, HTTP_HEAD_MAX, "a head of exactly the bound is taken");
	is_int(r.status, 0, "without error");
	free(big);
}

static void versions(void)
{
	is_int(parse("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n"), 505, "HTTP/2.0: 505");
	is_int(r.method, HTTP_GET, "505: the method is known (HEAD's reply has no body)");
	ok(!r.keep_alive, "505 closes");
	is_int(parse("GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n"), 505, "HTTP/1.2: 505");
	is_int(parse("GET /metrics HTTP/0.9\r\n\r\n"), 505, "HTTP/0.9: 505");
	is_int(parse("GET /metrics HTTP/1\r\nHost: x\r\n\r\n"), 400, "HTTP/1: malformed, 400");
	is_int(parse("GET /metrics http/1.1\r\nHost: x\r\n\r\n"), 400, "http/1.1: 400");
	is_int(parse("GET /metrics HTTP/11.1\r\nHost: x\r\n\r\n"), 400, "HTTP/11.1: 400");
	is_int(parse("GET /metrics\r\n\r\n"), 400, "no version (HTTP/0.9's form): 400");
}

static void bodies(void)
{
	is_int(parse("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), 413,
	       "Content-Length 5: 413");
	ok(!r.keep_alive, "a body closes the connection (never read as the next request)");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n"), 0,
	       "Content-Length 0: no body");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 000\r\n"
		     "Content-Length: 0\r\n\r\n"),
	       0, "Content-Length 000 and 0: the same, no body");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
		     "99999999999999999999999999\r\n\r\n"),
	       400, "a Content-Length past any size: 400");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 00001\r\n\r\n"), 413,
	       "Content-Length 00001: 413");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nhello\r\n0\r\n\r\n"),
	       413, "Transfer-Encoding: 413");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n"), 400,
	       "Content-Length 5x: 400");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"), 400,
	       "an empty Content-Length: 400");
	is_int(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: "
		     "5\r\n\r\n"),
	       400, "two different Content-Lengths: 400");
}

static void malformed(void)
{
	static const struct {
		const char *req, *what;
	} bad[] = {
		{"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "two spaces after the method"},
		{"GET /metrics  HTTP/1.1\r\nHost: x\r\n\r\n", "two spaces after the target"},
		{"GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n", "a space after the version"},
		{"GET /met rics HTTP/1.1\r\nHost: x\r\n\r\n", "a space in the target"},
		{"GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n", "a control byte in the target"},
		{"GET /m\xc3\xa9trics HTTP/1.1\r\nHost: x\r\n\r\n", "a non-ASCII target"},
		{"G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "a method that is no token"},
		{" GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "a space before the method"},
		{"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", "a field without a colon"},
		{"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", "a space before the colon"},
		{"GET /metrics HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n", "a field without a name"},
		{"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: a\r\n b\r\n\r\n",
		 "obsolete line folding"},
		{"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: a\x01b\r\n\r\n",
		 "a control byte in a value"},
		{"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: a\rb\r\n\r\n",
		 "a lone CR in a value"},
		{"GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 without Host"},
		{"GET /metrics HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 with two Hosts"},
	};
	static const char nul[] = "GET /metrics HTTP/1.1\r\nHo\0st: x\r\n\r\n";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse(bad[i].req), 400, "400: %s", bad[i].what);
		ok(!r.keep_alive, "which closes");
	}
	is_int(http_request_parse(nul, sizeof(nul) - 1, &r), sizeof(nul) - 1,
	       "a NUL byte: the head is taken");
	is_int(r.status, 400, "and refused with 400");
	is_int(parse("GET /metrics HTTP/1.0\r\n\r\n"), 0, "HTTP/1.0 needs no Host");
}

int main(void)
{
	simple();
	split_and_pipelined();
	fields();
	bounds();
	versions();
	bodies();
	malformed();
	return done_testing();
}
