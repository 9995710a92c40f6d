#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The monitor's HTTP server against a real monitor on loopback: keep-alive (two requests on one
# connection), HTTP/1.0's close, HEAD without a body, Content-Length, 404, 405 with Allow, 400,
# 413 for a body (never read as the next request), 431, 505, pipelined requests answered in
# order, Accept over repeated fields, thousands of pipelined replies read late (written as the
# socket takes them), pipelining paced (a scrape and SIGHUPs answered at once meanwhile), a
# slow client and an idle one cut after 10 s while the server answers others, the 33rd
# connection refused at once, and connections answered and closing giving way to new ones.
. "$(dirname "$0")/../lib.sh"
t_need_root
command -v curl >/dev/null || t_skip_all "curl is missing (scripts/deps.sh)"
trap t_cleanup EXIT

PIN=/sys/fs/bpf/dstest-mhttp-$$
t_on_exit "\"$DROPSCOPE\" monitor --remove --pin-dir $PIN >/dev/null 2>&1; rm -rf $PIN"
PORT=$(t_free_port 1) || t_skip_all "no free loopback port"
URL="http://127.0.0.1:$PORT"

"$DROPSCOPE" -v monitor --pin-dir "$PIN" --listen "127.0.0.1:$PORT" >"$T_TMP/mon" 2>"$T_TMP/mon.err" &
MON=$!
t_on_exit "kill -9 $MON"
t_wait_ready "$T_TMP/mon.err" || { t_ok 1 "the monitor starts"; t_done; exit; }

# raw BYTES (printf %b): sent on a new connection; prints all the server answers until it closes
# the connection, within 5 s (status 124 past that).
raw()
{
	local fd rc
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf %b "$1" >&"$fd"
	timeout 5 cat <&"$fd"
	rc=$?
	exec {fd}>&-
	return "$rc"
}
# statuses FILE: the status codes of the replies in FILE, in order, on one line.
statuses() { tr -d '\r' <"$1" | awk '/^HTTP\/1\.1 [0-9][0-9][0-9] / { printf "%s%s", s, $2; s = " " }'; }

# Keep-alive: curl's two URLs on one connection; HTTP/1.0 closes after each.
t_is "$(curl -s -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/metrics" "$URL/metrics?x=1" | tr '\n' ' ')" \
	"200 1 200 0 " "HTTP/1.1: two GETs on one connection (the second's query left aside)"
t_is "$(curl -s --http1.0 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/metrics" "$URL/metrics" | tr '\n' ' ')" \
	"200 1 200 1 " "HTTP/1.0: a connection each"
t_is "$(curl -s --http1.0 -H 'Connection: keep-alive' -o /dev/null -o /dev/null -w '%{num_connects}\n' "$URL/metrics" "$URL/metrics" | tr '\n' ' ')" \
	"1 0 " "HTTP/1.0 with Connection: keep-alive: one connection"

# Content-Length is the body's; HEAD has the headers and no body.
curl -s -D "$T_TMP/get.h" -o "$T_TMP/get.b" "$URL/metrics"
t_is "$(tr -d '\r' <"$T_TMP/get.h" | awk 'tolower($1) == "content-length:" { print $2 }')" \
	"$(wc -c <"$T_TMP/get.b")" "GET: Content-Length is the body's length"
t_check "GET: the text format" grep -qi '^content-type: text/plain; version=0.0.4' "$T_TMP/get.h"
t_check "GET: a Date header" grep -qi '^date: .* GMT' "$T_TMP/get.h"
raw 'HEAD /metrics HTTP/1.0\r\n\r\n' >"$T_TMP/head"
t_is "$?" 0 "HEAD over HTTP/1.0: answered and closed"
t_is "$(statuses "$T_TMP/head")" 200 "HEAD: 200"
t_ge "$(tr -d '\r' <"$T_TMP/head" | awk 'tolower($1) == "content-length:" { print $2 }')" 1000 \
	"HEAD: the Content-Length a GET would have"
t_is "$(sed -n '/^\r$/,$p' "$T_TMP/head" | wc -c)" 2 "HEAD: nothing after the blank line that ends the headers"

# Errors.
t_is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nothing")" 404 "another path: 404"
curl -s -D "$T_TMP/post.h" -o /dev/null -X POST "$URL/metrics"
t_is "$(statuses "$T_TMP/post.h")" 405 "a POST: 405"
t_check "with Allow: GET, HEAD" grep -qi '^allow: GET, HEAD' "$T_TMP/post.h"
t_is "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' a)" "$URL/metrics")" \
	431 "a head over 8 KiB: 431"
raw 'GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n' >"$T_TMP/v2"
t_is "$?" 0 "HTTP/2.0 in an HTTP/1 request line: answered and closed"
t_is "$(statuses "$T_TMP/v2")" 505 "which is 505"
raw 'GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >"$T_TMP/bad"
t_is "$?:$(statuses "$T_TMP/bad")" 0:400 "a malformed request line: 400, and closed"
raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: a\r\n b\r\n\r\n' >"$T_TMP/fold"
t_is "$?:$(statuses "$T_TMP/fold")" 0:400 "a folded header line: 400, and closed"
# A body that is itself a request: refused, and never answered as the next request.
raw 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 34\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >"$T_TMP/body"
t_is "$?:$(statuses "$T_TMP/body")" 0:413 "a request with a body: 413 alone (the body not read as a request), and closed"
raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$T_TMP/chunked"
t_is "$?:$(statuses "$T_TMP/chunked")" 0:413 "Transfer-Encoding: 413, and closed"

# Pipelined: three requests in one write, answered in order; the last closes.
raw 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$T_TMP/pipe"
t_is "$?:$(statuses "$T_TMP/pipe")" "0:200 404 200" "three pipelined requests answered in order, then closed"
t_check "the first reply's body is the metrics" grep -q '^dropscope_build_info' "$T_TMP/pipe"

# Accept in two fields, names in any case: OpenMetrics from the second.
raw 'GET /metrics HTTP/1.1\r\nhost: x\r\naccept: text/plain;q=0.5\r\nACCEPT: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n\r\n' >"$T_TMP/om"
t_check "repeated Accept fields: OpenMetrics from the second" \
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$T_TMP/om"
t_is "$(tr -d '\r' <"$T_TMP/om" | tail -n 1)" "# EOF" "which ends with # EOF"

# Read late: pipelined requests in one write, read only 2 s later, so that their replies wait
# for the socket's room: more than the server's socket can grow to hold (tcp_wmem's maximum)
# and 2 MiB. The server stops reading while its writes wait, and then every reply comes whole,
# its Content-Length its body's, in order.
wmax=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem)
cycles=$(((wmax + 2097152) / (2 * $(wc -c <"$T_TMP/get.b")) + 1))
req=
for i in $(seq 1 "$cycles"); do
	req+='GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
	req+='GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\n\r\n'
	req+='HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
	req+='GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n'
done
req+='GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
exec {late}<>"/dev/tcp/127.0.0.1/$PORT"
# In the background: the write itself waits once the server stops reading.
printf %b "$req" >&"$late" &
WRITER=$!
sleep 2
# The server's side of the connection (local port $PORT) holds requests it has not read.
t_ge "$(ss -Htn state established "( sport = :$PORT )" | awk '{ n += $1 } END { print n + 0 }')" 1 \
	"read late: the server leaves requests unread while its replies wait for room"
timeout 30 cat <&"$late" >"$T_TMP/late"
t_is "$?" 0 "and, read, it answers them all and closes"
t_wait "$WRITER" 5
exec {late}>&-
# Reply k answers request k: k % 4 is 0 a text GET, 1 an OpenMetrics GET, 2 a HEAD, 3 a 404;
# the last one a 404 too. A body is read by its Content-Length (each ends with a newline).
late_check()
{
	LC_ALL=C awk -v last=$((4 * cycles)) '
	function fail(msg) { print "reply " k ": " msg; bad = 1; exit }
	body {
		got += length($0) + 1
		if (got == cl) { body = 0; k++ }
		else if (got > cl) fail("a body longer than its Content-Length " cl)
		next
	}
	{ sub(/\r$/, "") }
	/^HTTP\/1\.1 / { status = $2; cl = -1; type = ""; next }
	tolower($1) == "content-length:" { cl = $2 + 0; next }
	tolower($1) == "content-type:" { type = substr($0, index($0, ":") + 2); next }
	$0 == "" {
		kind = k == last ? 3 : k % 4
		want = kind == 3 ? "404" : "200"
		wtype = kind == 1 ? "application/openmetrics-text" : kind == 3 ? "text/plain; charset" : "text/plain; version=0.0.4"
		if (status != want) fail("status " status ", not " want)
		if (index(type, wtype) != 1) fail("Content-Type " type ", not " wtype)
		if (cl <= 0) fail("no Content-Length")
		if (kind == 2) { k++; next }
		body = 1; got = 0; next
	}
	END { if (!bad) print body ? "reply " k ": cut short" : k " replies" }' "$1"
}
t_is "$(late_check "$T_TMP/late")" "$((4 * cycles + 1)) replies" \
	"each of the $((4 * cycles + 1)) whole (its Content-Length), in order"

# Pipelining is paced, one request per connection and turn of the monitor's loop: 31
# connections each send 8 KiB of pipelined HEADs at once (1 + 233 requests; each HEAD builds
# the exposition, so answered in one go they would hold the loop for seconds). Meanwhile a
# scrape is answered within 0.5 s, and so is each SIGHUP sent while the load lasts (until the
# server has closed the 31 after their last request); each connection gets all its replies.
req=
for i in $(seq 1 233); do
	req+='HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n'
done
req+='HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
fds=()
for i in $(seq 1 31); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && fds+=("$fd")
done
for fd in "${fds[@]}"; do
	printf %b "$req" >&"$fd"
done
curl -s -m 20 -o /dev/null -w '%{http_code} %{time_total}' "$URL/metrics" >"$T_TMP/paced.curl" &
CURL=$!
hups=0
worst=0
while [ "$hups" -lt 20 ] && [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -gt 0 ]; do
	reloads=$(grep -c 'reloaded' "$T_TMP/mon.err")
	t0=$(date +%s.%N)
	kill -HUP "$MON"
	for i in $(seq 1 2000); do
		[ "$(grep -c 'reloaded' "$T_TMP/mon.err")" -gt "$reloads" ] && break
		sleep 0.01
	done
	worst=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v w="$worst" 'BEGIN { printf "%.3f", (b - a > w ? b - a : w) }')
	hups=$((hups + 1))
	sleep 0.05
done
t_check "while 31 connections pipeline, each SIGHUP is handled within 0.5 s (of $hups, the slowest in $worst s)" \
	awk -v h="$hups" -v t="$worst" 'BEGIN { exit !(h >= 1 && t < 0.5) }'
t_wait "$CURL" 25
read -r code took <"$T_TMP/paced.curl"
t_is "$code" 200 "and a scrape is answered"
t_check "within 0.5 s (in $took s)" awk -v t="$took" 'BEGIN { exit !(t < 0.5) }'
n=0
for fd in "${fds[@]}"; do
	timeout 20 cat <&"$fd" >"$T_TMP/paced"
	[ "$(statuses "$T_TMP/paced" | wc -w)" = 234 ] && n=$((n + 1))
	exec {fd}>&-
done
t_is "$n" 31 "each of the 31 connections gets its 234 replies"

# A client that sends its head a line every 2 s, and one that sends nothing: each cut about
# 10 s after it began (the whole request's bound, the idle bound), while others are answered.
t0=$(date +%s.%N)
exec {slow}<>"/dev/tcp/127.0.0.1/$PORT"
exec {idle}<>"/dev/tcp/127.0.0.1/$PORT"
(
	printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n'
	for i in $(seq 1 12); do
		sleep 2
		printf 'X-Slow: %d\r\n' "$i"
	done
) >&"$slow" 2>/dev/null &
WRITER=$!
t_on_exit "kill $WRITER"
(
	timeout 25 cat >"$T_TMP/slow.out" 2>/dev/null
	date +%s.%N >"$T_TMP/slow.end"
) <&"$slow" &
SLOW=$!
(
	timeout 25 cat >"$T_TMP/idle.out" 2>/dev/null
	date +%s.%N >"$T_TMP/idle.end"
) <&"$idle" &
IDLE=$!
exec {slow}>&- {idle}>&-
sleep 4
t_is "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/metrics")" 200 "meanwhile, another client is answered"
t_wait "$SLOW" 30
t_wait "$IDLE" 30
kill "$WRITER" 2>/dev/null
for c in slow idle; do
	took=$(awk -v a="$t0" -v b="$(cat "$T_TMP/$c.end" 2>/dev/null)" 'BEGIN { printf "%.1f", b - a }')
	t_check "the $c client is cut after 10 s (in $took s)" \
		awk -v t="$took" 'BEGIN { exit !(t >= 9.8 && t <= 13) }'
	t_is "$(wc -c <"$T_TMP/$c.out")" 0 "and gets no reply"
done

# 32 connections at most: the 33rd is told 503 and closed at once (one that sent its request
# already too: read, not reset); once they close, a new one is answered.
fds=()
for i in $(seq 1 32); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && fds+=("$fd")
done
t_is "${#fds[@]}" 32 "32 connections open"
sleep 0.5
exec {extra}<>"/dev/tcp/127.0.0.1/$PORT"
timeout 3 cat <&"$extra" >"$T_TMP/extra" 2>/dev/null
t_is "$?" 0 "the 33rd connection is closed at once"
t_is "$(statuses "$T_TMP/extra")" 503 "with a 503"
t_is "$(sed '1,/^\r$/d' "$T_TMP/extra" | wc -c)" \
	"$(tr -d '\r' <"$T_TMP/extra" | awk 'tolower($1) == "content-length:" { print $2 }')" \
	"its Content-Length its body's"
t_check "which says the limit" grep -q '^dropscope: too many connections (32)$' "$T_TMP/extra"
exec {extra}>&-
t_is "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL/metrics")" 503 \
	"a 33rd that sends its request at once: 503 too"
for fd in "${fds[@]}"; do
	exec {fd}>&-
done
sleep 0.5
t_is "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/metrics")" 200 "once they close, a new one is answered"
# A connection answered and closing (reading, for 2 s at most, what its client still sends, so
# that closing does not reset the reply) gives way to a new one: 32 clients that asked over
# HTTP/1.0 and keep their sockets open do not make the next one 503.
fds=()
for i in $(seq 1 32); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && fds+=("$fd")
	printf 'HEAD /metrics HTTP/1.0\r\n\r\n' >&"$fd"
done
sleep 0.3
t_is "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/metrics")" 200 \
	"32 connections answered and closing: a new one is answered"
for fd in "${fds[@]}"; do
	exec {fd}>&-
done

t_check "the monitor still runs" t_running "$MON"
kill -TERM "$MON"
t_wait "$MON" 20
t_is "$?" 0 "and exits 0"
t_is "$(grep -c 'dropscope: failed' "$T_TMP/mon.err")" 0 "having said no failure"
t_ge "$(grep -c 'served /metrics' "$T_TMP/mon.err")" 10 "every /metrics served said under -v"
t_done
