/* GET /v1/events: the live feed as server-sent events (marketers and admins). Each message
 * is "id: N" and "data: {json with its type}"; ?campaign=ID and ?types=a,b filter it;
 * Last-Event-ID (or ?after=N) resumes after event N; without either the feed starts with
 * the next event. The connection is suspended while there is nothing to send and resumed by
 * the hub (events_hub.c), so it holds no worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "event_json.h"
#include "events_hub.h"
#include "handlers.h"
#include "http_common.h"

struct sse {
    struct MHD_Connection *conn;
    struct hub_client *client;
};

static void sse_suspend(void *arg)
{
    MHD_suspend_connection(((struct sse *)arg)->conn);
}

static void sse_resume(void *arg)
{
    MHD_resume_connection(((struct sse *)arg)->conn);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct sse *s = cls;
    ssize_t n = hub_client_read(s->client, out, max, sse_suspend, s);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void sse_free(void *cls)
{
    struct sse *s = cls;
    hub_client_free(s->client);
    free(s);
}

/* Reads ?types=a,b into F. Returns 0, or -1 with DETAIL filled. */
static int read_types(const char *list, struct hub_filter *f, char *detail, size_t dlen)
{
    const char *p = list;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char name[48];
        if (len == 0 || len >= sizeof name || f->ntypes >= HUB_MAX_TYPES) {
            snprintf(detail, dlen,
                     "The parameter 'types' must list 1 to %d event types, "
                     "separated by commas.",
                     HUB_MAX_TYPES);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (!event_type_known(name)) {
            snprintf(detail, dlen, "Unknown event type '%s'. The event types are: %s.", name,
                     event_types_text());
            return -1;
        }
        memcpy(f->types[f->ntypes++], name, len + 1);
        p += len;
        if (*p == ',')
            p++;
    }
    if (f->ntypes == 0) {
        snprintf(detail, dlen, "The parameter 'types' must name at least one event type.");
        return -1;
    }
    return 0;
}

/* Parses a non-negative event id. Returns 0, or -1. */
static int parse_after(const char *text, int64_t *out)
{
    if (strcmp(text, "0") == 0) {
        *out = 0;
        return 0;
    }
    return http_parse_id(text, out);
}

enum MHD_Result http_events_get(struct http_req *r)
{
    struct hub_filter f;
    memset(&f, 0, sizeof f);
    char detail[1024];
    const char *c = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "campaign");
    const char *t = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "types");
    const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    const char *a = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
    int64_t after = -1;
    if (c != NULL && http_parse_id(c, &f.campaign) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                "The parameter 'campaign' must be a campaign id.");
    if (t != NULL && read_types(t, &f, detail, sizeof detail) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST, detail);
    /* The header wins: a browser's EventSource sends it when it reconnects. */
    const char *from = last != NULL ? last : a;
    if (from != NULL && parse_after(from, &after) != 0)
        return http_reply_error(r, CPN_ERR_BAD_REQUEST,
                                last != NULL ? "The Last-Event-ID header must be an event id."
                                             : "The parameter 'after' must be an event id.");
    struct sse *s = calloc(1, sizeof *s);
    if (s == NULL)
        return http_reply_error(r, CPN_ERR_NO_MEMORY, NULL);
    s->conn = r->conn;
    s->client = hub_client_new(after, &f, sse_resume, s);
    if (s->client == NULL) {
        free(s);
        return http_reply_error(r, CPN_ERR_UNAVAILABLE,
                                "The live feed has as many readers as it takes, or coupond is "
                                "stopping; please reconnect in a few seconds.");
    }
    /* Bounded buffering all the way: the kernel's send buffer for this stream too (without
     * this it grows to megabytes for a reader that does not read). */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = 64 * 1024;
    if (ci != NULL)
        (void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, s, sse_free);
    if (resp == NULL) {
        sse_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return http_queue(r, 200, resp);
}
