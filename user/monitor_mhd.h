/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libmicrohttpd, loaded at run time by the monitor's HTTP server (monitor_mhd.c): the MHD_*
 * functions monitor_http.c calls are stand-ins that forward to the library's.
 */
#ifndef DS_MONITOR_MHD_H
#define DS_MONITOR_MHD_H

/*
 * Load the library and look up every function the stand-ins forward to, once. Returns 0, or
 * -ELIBACC (errno set too) when the library or one of its functions is missing; prints
 * nothing: mhd_error() then says why, for the caller's one line.
 */
int mhd_load(void);
/* "cannot load libmicrohttpd.so.12 (<dlerror>)" after a failed mhd_load, else "". */
const char *mhd_error(void);

#endif
