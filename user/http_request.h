/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's HTTP/1.1 request parser (RFC 9112), for its one endpoint: the head of one
 * request (request line and header fields) read from the start of a connection's bytes. Pure:
 * no I/O, so it is unit-tested and fuzzed; monitor_http.c reads the socket and answers.
 *
 * What it keeps: the method (GET, HEAD or another), the path (the query left aside), the
 * version, whether the connection stays open after the reply, and the Accept values. What it
 * refuses, as the status to answer before closing: a malformed request line or field, obsolete
 * line folding, a missing or repeated Host in HTTP/1.1 (400); a body, announced by a
 * Content-Length above 0 or any Transfer-Encoding (413: the endpoint takes none, and never
 * reads one as the next request); a head over HTTP_HEAD_MAX bytes (431); a version other than
 * HTTP/1.0 and HTTP/1.1 (505).
 */
#ifndef DS_HTTP_REQUEST_H
#define DS_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* The longest request head taken, empty lines before it included. */
#define HTTP_HEAD_MAX 8192

enum http_method { HTTP_OTHER, HTTP_GET, HTTP_HEAD };

struct http_request {
	/* 0: a request to answer by its method and path; else the error status to answer (400,
	 * 413, 431, 505), after which the connection closes. */
	unsigned status;
	enum http_method method; /* known once the request line is read, else HTTP_OTHER */
	int minor;		 /* HTTP/1.minor: 0 or 1 (when status is 0) */
	size_t path, path_len;	 /* the path in the parsed buffer, without the query */
	bool keep_alive;	 /* the connection stays open after the reply */
	bool has_accept;
	/* The Accept fields' values, repeated fields joined by ", " as RFC 9110 5.3 allows. */
	char accept[HTTP_HEAD_MAX];
};

/*
 * Parse the request head at the start of buf[0, len). Returns 0 when buf holds no whole head
 * yet and fewer than HTTP_HEAD_MAX bytes (read more and call again); else the number of bytes
 * the head took (a pipelined request starts after them), with *r filled. A head that does not
 * end within HTTP_HEAD_MAX bytes gives len and status 431.
 */
size_t http_request_parse(const char *buf, size_t len, struct http_request *r);

#endif
