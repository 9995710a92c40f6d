/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP producer for the C unit tests, run by prove. */
#ifndef DS_TAP_H
#define DS_TAP_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
	({                                                                                         \
		int _c = !!(cond);                                                                 \
		printf("%s %d - ", _c ? "ok" : "not ok", ++tap_n);                                 \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!_c) {                                                                         \
			tap_failed++;                                                              \
			printf("#   at %s:%d\n", __FILE__, __LINE__);                                \
		}                                                                                  \
		_c;                                                                                \
	})

#define is_int(got, want, ...)                                                                     \
	({                                                                                         \
		long long _g = (got), _w = (want);                                                 \
		if (!ok(_g == _w, __VA_ARGS__))                                                    \
			printf("#   got %lld, want %lld\n", _g, _w);                                 \
	})

#define is_str(got, want, ...)                                                                     \
	({                                                                                         \
		const char *_g = (got), *_w = (want);                                              \
		if (!ok(_g && _w ? !strcmp(_g, _w) : _g == _w, __VA_ARGS__))                       \
			printf("#   got '%s', want '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
	})

#define is_near(got, want, tol, ...)                                                               \
	({                                                                                         \
		double _g = (got), _w = (want);                                                    \
		if (!ok(fabs(_g - _w) <= (tol), __VA_ARGS__))                                      \
			printf("#   got %.9g, want %.9g (tolerance %g)\n", _g, _w, (double)(tol));   \
	})

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
