// SPDX-License-Identifier: GPL-2.0
/*
 * libmicrohttpd, loaded when the monitor first starts its HTTP server. Linked in, it and the
 * gnutls it pulls in cost every command ~3.5 MB of memory and ~1.3 ms at each start (issue 12),
 * and only monitor uses it. These are the functions monitor_http.c calls: each looks up the
 * library's own on its first call. Without the library, MHD_start_daemon fails (errno
 * ELIBACC) after one line naming it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "util.h"

#ifndef MHD_SONAME
#define MHD_SONAME "libmicrohttpd.so.12"
#endif

static void *mhd_sym(const char *name)
{
	static void *lib;
	static bool failed;
	void *f;

	if (failed)
		return NULL;
	if (!lib)
		lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	f = lib ? dlsym(lib, name) : NULL;
	if (!f) {
		ds_err("failed to load the HTTP server library: %s; install libmicrohttpd "
		       "(Debian: libmicrohttpd12)",
		       dlerror());
		failed = true;
		errno = ELIBACC;
	}
	return f;
}

/* The library's function NAME, of TYPE, looked up once. */
#define MHD_FN(type, name)                                                                         \
	static __typeof__(type) fn;                                                                \
	if (!fn)                                                                                   \
		fn = (type)mhd_sym(name)

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	MHD_FN(struct MHD_Daemon * (*)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
				       MHD_AccessHandlerCallback, void *, va_list),
	       "MHD_start_daemon_va");
	struct MHD_Daemon *d;
	va_list ap;

	if (!fn)
		return NULL;
	va_start(ap, dh_cls);
	d = fn(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	MHD_FN(void (*)(struct MHD_Daemon *), "MHD_stop_daemon");

	if (fn)
		fn(daemon);
}

enum MHD_Result MHD_run(struct MHD_Daemon *daemon)
{
	MHD_FN(enum MHD_Result(*)(struct MHD_Daemon *), "MHD_run");

	return fn ? fn(daemon) : MHD_NO;
}

/* Only the types that take no further argument (monitor_http.c asks for the epoll fd). */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
						enum MHD_DaemonInfoType info_type, ...)
{
	MHD_FN(const union MHD_DaemonInfo *(*)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...),
	       "MHD_get_daemon_info");

	return fn ? fn(daemon, info_type) : NULL;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
					const char *key)
{
	MHD_FN(const char *(*)(struct MHD_Connection *, enum MHD_ValueKind, const char *),
	       "MHD_lookup_connection_value");

	return fn ? fn(connection, kind, key) : NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	MHD_FN(enum MHD_Result(*)(struct MHD_Connection *, unsigned int, struct MHD_Response *),
	       "MHD_queue_response");

	return fn ? fn(connection, status_code, response) : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	MHD_FN(struct MHD_Response * (*)(size_t, void *, enum MHD_ResponseMemoryMode),
	       "MHD_create_response_from_buffer");

	return fn ? fn(size, buffer, mode) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	MHD_FN(void (*)(struct MHD_Response *), "MHD_destroy_response");

	if (fn)
		fn(response);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	MHD_FN(enum MHD_Result(*)(struct MHD_Response *, const char *, const char *),
	       "MHD_add_response_header");

	return fn ? fn(response, header, content) : MHD_NO;
}
