/* The request limits of the HTTPS front: the length and query of a request target, and a
 * request body against its route's limit (see http_limits.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_limits.h"

size_t http_body_limit(const struct http_route *route)
{
    return route != NULL && route->max_body != 0 ? route->max_body : HTTP_BODY_DEFAULT;
}

enum http_oversize http_declared_oversize(struct MHD_Connection *conn, size_t limit)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return HTTP_BODY_FITS;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno == 0 && end != cl && n <= limit)
        return HTTP_BODY_FITS;
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    if (errno != 0 || end == cl || n > HTTP_DISCARD_MAX ||
        (expect != NULL && strcasecmp(expect, "100-continue") == 0))
        return HTTP_BODY_REFUSE_NOW;
    return HTTP_BODY_REFUSE_AFTER;
}

bool http_target_too_long(const char *uri)
{
    const char *query = strchr(uri, '?');
    size_t params = 0;
    if (query != NULL && query[1] != '\0') {
        params = 1;
        for (const char *q = query + 1; *q != '\0'; q++)
            params += *q == '&';
    }
    if (strlen(uri) <= HTTP_MAX_TARGET && params <= HTTP_MAX_QUERY_PARAMS)
        return false;
    if (query != NULL)
        ((char *)query)[1] = '\0';
    return true;
}
