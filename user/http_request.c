// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <strings.h>

#include "http_request.h"

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A field value's bytes (RFC 9110 5.5): visible, obs-text, space and tab; no other control. */
static bool is_field_byte(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

/*
 * The next line of buf[*p, lim): its start and length without the line end (LF, or CRLF;
 * RFC 9112 2.2 lets a recipient take a lone LF). False if no LF ends it within lim.
 */
static bool next_line(const char *buf, size_t lim, size_t *p, size_t *start, size_t *len)
{
	const char *nl = memchr(buf + *p, '\n', lim - *p);

	if (!nl)
		return false;
	*start = *p;
	*len = nl - (buf + *p);
	if (*len && buf[*start + *len - 1] == '\r')
		(*len)--;
	*p = nl - buf + 1;
	return true;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && !strncasecmp(name, want, len);
}

/* Whether the comma-separated list v[0, len) holds token (case-insensitive). */
static bool list_has(const char *v, size_t len, const char *token)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && name_is(v + s, e - s, token))
			return true;
	}
	return false;
}

/* The request line: method SP request-target SP HTTP-version. Returns 0, 400 or 505. */
static unsigned request_line(const char *buf, size_t s, size_t len, struct http_request *r)
{
	const char *l = buf + s, *v;
	size_t m = 0, t, tlen, i;

	while (m < len && is_tchar(l[m]))
		m++;
	if (!m || m >= len || l[m] != ' ')
		return 400;
	if (m == 3 && !memcmp(l, "GET", 3))
		r->method = HTTP_GET;
	else if (m == 4 && !memcmp(l, "HEAD", 4))
		r->method = HTTP_HEAD;
	t = m + 1;
	for (tlen = 0; t + tlen < len && l[t + tlen] != ' '; tlen++)
		if ((unsigned char)l[t + tlen] <= 0x20 || (unsigned char)l[t + tlen] >= 0x7f)
			return 400;
	if (!tlen || t + tlen + 1 + 8 != len)
		return 400;
	v = l + t + tlen + 1;
	if (memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9')
		return 400;
	/* The path: origin-form, or absolute-form (RFC 9112 3.2.2) without its scheme and
	 * authority. The query is left aside. */
	r->path = s + t;
	r->path_len = tlen;
	for (i = 0; i < tlen && l[t + i] != '/' && l[t + i] != '?'; i++)
		if (l[t + i] == ':' && i + 2 < tlen && l[t + i + 1] == '/' && l[t + i + 2] == '/') {
			size_t a = i + 3;

			while (a < tlen && l[t + a] != '/' && l[t + a] != '?')
				a++;
			r->path += a;
			r->path_len = tlen - a;
			break;
		}
	{
		const char *q = memchr(buf + r->path, '?', r->path_len);

		if (q)
			r->path_len = q - (buf + r->path);
	}
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;
	r->minor = v[7] - '0';
	return 0;
}

size_t http_request_parse(const char *buf, size_t len, struct http_request *r)
{
	size_t lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, p = 0, end, s, n, alen = 0;
	bool conn_close = false, conn_keep = false, body = false, has_len = false;
	int hosts = 0;
	unsigned status;
	char clen[24] = "";

	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (p < lim && (buf[p] == '\r' || buf[p] == '\n'))
		p++;
	/* Where the head ends: the first empty line. */
	end = p;
	for (;;) {
		if (!next_line(buf, lim, &end, &s, &n)) {
			if (len < HTTP_HEAD_MAX)
				return 0;
			memset(r, 0, offsetof(struct http_request, accept));
			r->accept[0] = '\0';
			r->status = 431;
			return len;
		}
		if (!n && s > p)
			break;
	}
	memset(r, 0, offsetof(struct http_request, accept));
	r->accept[0] = '\0';
	next_line(buf, end, &p, &s, &n);
	status = request_line(buf, s, n, r);
	while (!status && next_line(buf, end, &p, &s, &n) && n) {
		const char *f = buf + s, *colon = memchr(f, ':', n);
		size_t nl = colon ? (size_t)(colon - f) : 0, vs, ve;

		/* A name of tchars right before the colon; no obs-fold (RFC 9112 5.2). */
		for (size_t i = 0; i < nl && !status; i++)
			if (!is_tchar(f[i]))
				status = 400;
		if (!nl || status) {
			status = 400;
			break;
		}
		for (vs = nl + 1; vs < n && (f[vs] == ' ' || f[vs] == '\t'); vs++)
			;
		for (ve = n; ve > vs && (f[ve - 1] == ' ' || f[ve - 1] == '\t'); ve--)
			;
		for (size_t i = vs; i < ve; i++)
			if (!is_field_byte(f[i]))
				status = 400;
		if (status)
			break;
		if (name_is(f, nl, "Accept")) {
			/* Fits: the head is at most HTTP_HEAD_MAX bytes, each field's line longer
			 * than its value and ", ". */
			if (alen && alen + 2 < sizeof(r->accept)) {
				memcpy(r->accept + alen, ", ", 2);
				alen += 2;
			}
			if (alen + (ve - vs) < sizeof(r->accept)) {
				memcpy(r->accept + alen, f + vs, ve - vs);
				alen += ve - vs;
			}
			r->accept[alen] = '\0';
			r->has_accept = true;
		} else if (name_is(f, nl, "Connection")) {
			conn_close |= list_has(f + vs, ve - vs, "close");
			conn_keep |= list_has(f + vs, ve - vs, "keep-alive");
		} else if (name_is(f, nl, "Host")) {
			hosts++;
		} else if (name_is(f, nl, "Transfer-Encoding")) {
			body = true;
		} else if (name_is(f, nl, "Content-Length")) {
			size_t i = vs;

			/* 1*DIGIT; repeated, the same value (RFC 9112 6.3). */
			while (i < ve && f[i] == '0')
				i++;
			if (ve == vs || ve - i >= sizeof(clen))
				status = 400;
			for (size_t j = i; j < ve && !status; j++)
				if (f[j] < '0' || f[j] > '9')
					status = 400;
			if (status)
				break;
			if (has_len && (strlen(clen) != ve - i || memcmp(clen, f + i, ve - i)))
				status = 400;
			memcpy(clen, f + i, ve - i);
			clen[ve - i] = '\0';
			has_len = true;
			body |= clen[0] != '\0';
		}
	}
	/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host. */
	if (!status && r->minor == 1 && hosts != 1)
		status = 400;
	if (!status && body)
		status = 413;
	r->status = status;
	r->keep_alive = !status && !conn_close && (r->minor == 1 || conn_keep);
	return end;
}
