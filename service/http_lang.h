/* The language of a request's sentences (issue 17): German when the client's Accept-Language
 * prefers it (a German till), English otherwise. Machine codes never change with it. */
#ifndef SVC_HTTP_LANG_H
#define SVC_HTTP_LANG_H

#include "coupon/err.h"
#include "http.h"

/* The language ACCEPT_LANGUAGE (an Accept-Language header's value, may be NULL) prefers among
 * ours: the tag with the highest q (the first of equals) whose primary subtag is "de" or "en"
 * (any case; "*" counts as English); English when none or when the value cannot be read. */
enum cpn_lang http_lang_parse(const char *accept_language);

/* The language of request R (its Accept-Language header). */
enum cpn_lang http_req_lang(const struct http_req *r);

/* EN or DE, as R's language asks. */
const char *http_say(const struct http_req *r, const char *en, const char *de);

#endif
