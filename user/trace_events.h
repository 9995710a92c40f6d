/* SPDX-License-Identifier: GPL-2.0 */
/* One line per drop event: `dropscope trace --events`. */
#ifndef DS_EVENTS_H
#define DS_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include <linux/types.h>
#include "dropscope.h"
#include "trace_table.h"

/* Source and destination as text ("10.0.0.1:53", "[fd00::1]:53", "10.0.0.1"), or "" when the
 * event has no addresses. */
void event_endpoints(const struct drop_event *e, char *src, char *dst, size_t size);
/* A human line, or one JSON object per line when json. */
void event_print(const struct drop_event *e, const struct name_ctx *names, bool json, FILE *f);

#endif
