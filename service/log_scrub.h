/* Makes one log message safe to write: control characters and broken UTF-8 escaped, so
 * text from the network (a certificate's subject, a path) can neither forge a log line
 * nor drive a terminal; coupon and card codes masked, so a log never hands out a code. */
#ifndef SVC_LOG_SCRUB_H
#define SVC_LOG_SCRUB_H

#include <stddef.h>

/* Writes IN (LEN bytes) to OUT (OUTLEN bytes, at least 1) NUL-terminated, and returns the
 * length written. Bytes below 0x20, DEL, a backslash, C1 control characters and bytes
 * that are not valid UTF-8 become \xNN (a backslash becomes \\); every other character is
 * copied. A token of letters, digits and dashes whose letters and digits are exactly 16
 * (a short form), 149 or 156 (a signed form) symbols of the code alphabet (Crockford
 * base32, either case) keeps its first 4 symbols and has the others replaced by '*'
 * (dashes kept). Output that does not fit is cut at a character boundary. */
size_t log_scrub(const char *in, size_t len, char *out, size_t outlen);

#endif
