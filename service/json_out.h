/* Compact JSON text of an answer, written straight into one buffer: the same bytes as jansson's
 * json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(12)), for the values every hot answer holds
 * (objects, arrays, integers, true, false, null, plain ASCII strings), at a fraction of the
 * cost (jansson formats each integer with snprintf and each piece through a callback). */
#ifndef SVC_JSON_OUT_H
#define SVC_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>

/* Writes V (an object or an array) as compact JSON text. Returns a NUL-terminated string the
 * caller frees with free(), its length in *LEN; or NULL when V holds what this writer leaves to
 * jansson (a real, a string with a control character or a byte above 0x7e, nesting deeper than
 * 32, a top level that is neither object nor array) or memory ran out: the caller then calls
 * json_dumps with the flags above, which gives the same text (or fails the same way). */
char *json_out_compact(const json_t *v, size_t *len);

#endif
