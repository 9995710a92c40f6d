// SPDX-License-Identifier: GPL-2.0
/*
 * libmicrohttpd, loaded when the monitor starts its HTTP server. Linked in, it and the gnutls
 * it pulls in cost every command 2.6 MB of peak memory (trace: 17.2 -> 14.6 MB) and ~1.3 ms at
 * each start (issue 12), and only monitor --listen uses it. The MHD_* functions below are the
 * ones monitor_http.c calls; each forwards to the library's, which mhd_load looks up all at
 * once, so a missing one fails at start and not at some later scrape.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <microhttpd.h>

#include "mhd_soname.h" /* MHD_SONAME, from the Makefile: "libmicrohttpd.so.12" */
#include "monitor_mhd.h"

/* The library's functions; __typeof__ of the header's declarations, so the compiler checks
 * every call's types against the header. */
static struct {
	__typeof__(&MHD_start_daemon_va) start_daemon_va;
	__typeof__(&MHD_stop_daemon) stop_daemon;
	__typeof__(&MHD_run) run;
	__typeof__(&MHD_get_daemon_info) get_daemon_info;
	__typeof__(&MHD_lookup_connection_value) lookup_connection_value;
	__typeof__(&MHD_queue_response) queue_response;
	__typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
	__typeof__(&MHD_destroy_response) destroy_response;
	__typeof__(&MHD_add_response_header) add_response_header;
} mhd;

static char why[512];

const char *mhd_error(void)
{
	return why;
}

int mhd_load(void)
{
	static const struct {
		const char *name;
		void **fn;
	} syms[] = {
		{ "MHD_start_daemon_va", (void **)&mhd.start_daemon_va },
		{ "MHD_stop_daemon", (void **)&mhd.stop_daemon },
		{ "MHD_run", (void **)&mhd.run },
		{ "MHD_get_daemon_info", (void **)&mhd.get_daemon_info },
		{ "MHD_lookup_connection_value", (void **)&mhd.lookup_connection_value },
		{ "MHD_queue_response", (void **)&mhd.queue_response },
		{ "MHD_create_response_from_buffer", (void **)&mhd.create_response_from_buffer },
		{ "MHD_destroy_response", (void **)&mhd.destroy_response },
		{ "MHD_add_response_header", (void **)&mhd.add_response_header },
	};
	static void *lib;
	void *f[sizeof(syms) / sizeof(syms[0])];

	if (lib)
		return 0;
	if (why[0])
		goto fail;
	lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(why, sizeof(why), "cannot load %s (%s)", MHD_SONAME, dlerror());
		goto fail;
	}
	/* All or none: a stand-in either forwards or finds no library at all. */
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		f[i] = dlsym(lib, syms[i].name);
		if (!f[i]) {
			snprintf(why, sizeof(why), "cannot load %s (%s)", MHD_SONAME, dlerror());
			dlclose(lib);
			lib = NULL;
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		*syms[i].fn = f[i];
	return 0;
fail:
	errno = ELIBACC;
	return -ELIBACC;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (mhd_load())
		return NULL;
	va_start(ap, dh_cls);
	d = mhd.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The rest are reached only through a daemon that MHD_start_daemon made, so mhd is loaded. */
void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	mhd.stop_daemon(daemon);
}

enum MHD_Result MHD_run(struct MHD_Daemon *daemon)
{
	return mhd.run(daemon);
}

/* Only the types that take no further argument (monitor_http.c asks for the epoll fd). */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
						enum MHD_DaemonInfoType info_type, ...)
{
	return mhd.get_daemon_info(daemon, info_type);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
					const char *key)
{
	return mhd.lookup_connection_value(connection, kind, key);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	return mhd.queue_response(connection, status_code, response);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	return mhd.create_response_from_buffer(size, buffer, mode);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	mhd.destroy_response(response);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	return mhd.add_response_header(response, header, content);
}
