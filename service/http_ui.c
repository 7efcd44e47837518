/* The marketer's console: GET /ui and GET /ui/ (index.html) and GET /ui/{asset}.
 * The assets come from the installed directory (--ui DIR), are read once at start and held
 * in memory with a content hash as ETag (a matching If-None-Match gets 304), and go out under
 * a Content-Security-Policy that allows this origin only and no inline script. Refusals on
 * /ui/ paths (no certificate, a till's certificate, an unknown page) are small HTML pages in
 * the browser's language instead of JSON. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "files.h"
#include "handlers.h"
#include "http_ui.h"
#include "log.h"

#define UI_MAX_ASSETS 64
#define UI_MAX_SIZE   (2u << 20)
#define UI_NAME_MAX   64

struct ui_asset {
    char name[UI_NAME_MAX];
    char *data;
    size_t len;
    const char *ctype;
    char etag[24]; /* "\"<16 hex digits>\"" */
};

static struct ui_asset ui_assets[UI_MAX_ASSETS];
static size_t ui_nassets;
static bool ui_installed; /* the directory was readable and held index.html */

static const char console_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'none'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";
/* The error page has no script at all; its one style block is inline. */
static const char error_csp[] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                                "form-action 'none'; frame-ancestors 'none'";

static const struct {
    const char *suffix, *ctype;
} ui_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

/* The content type for NAME by its suffix, or NULL when the console does not serve it. */
static const char *type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ui_types / sizeof ui_types[0]; i++) {
        size_t s = strlen(ui_types[i].suffix);
        if (n > s && strcmp(name + n - s, ui_types[i].suffix) == 0)
            return ui_types[i].ctype;
    }
    return NULL;
}

/* True for [a-z0-9][a-z0-9._-]* shorter than UI_NAME_MAX: no path, no hidden file. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= UI_NAME_MAX ||
        !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static uint64_t fnv1a(const char *data, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void http_ui_unload(void)
{
    for (size_t i = 0; i < ui_nassets; i++)
        free(ui_assets[i].data);
    memset(ui_assets, 0, sizeof ui_assets);
    ui_nassets = 0;
    ui_installed = false;
}

enum cpn_err http_ui_load(const char *dir)
{
    http_ui_unload();
    DIR *d = dir != NULL ? opendir(dir) : NULL;
    if (d == NULL) {
        log_msg(LOGL_WARN, "console: cannot read %s (%s); /ui/ answers 503 until it is installed",
                dir != NULL ? dir : "(no directory)", strerror(errno));
        return CPN_OK;
    }
    struct dirent *e;
    enum cpn_err rc = CPN_OK;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        const char *ctype = type_of(e->d_name);
        if (!name_ok(e->d_name) || ctype == NULL)
            continue;
        if (ui_nassets == UI_MAX_ASSETS) {
            log_msg(LOGL_WARN, "console: more than %d files in %s; %s and later ones not served",
                    UI_MAX_ASSETS, dir, e->d_name);
            break;
        }
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        struct ui_asset *a = &ui_assets[ui_nassets];
        a->data = file_read_all(path, UI_MAX_SIZE, &a->len);
        if (a->data == NULL) {
            if (errno == ENOMEM) {
                rc = CPN_ERR_NO_MEMORY;
                break;
            }
            log_msg(LOGL_WARN, "console: skipping %s: %s", path, strerror(errno));
            continue;
        }
        snprintf(a->name, sizeof a->name, "%s", e->d_name);
        a->ctype = ctype;
        snprintf(a->etag, sizeof a->etag, "\"%016" PRIx64 "\"", fnv1a(a->data, a->len));
        ui_nassets++;
        if (strcmp(a->name, "index.html") == 0)
            ui_installed = true;
    }
    closedir(d);
    if (rc != CPN_OK) {
        http_ui_unload();
        return rc;
    }
    if (!ui_installed)
        log_msg(LOGL_WARN, "console: %s has no index.html; /ui/ answers 503", dir);
    else
        log_msg(LOGL_INFO, "console: %zu files from %s", ui_nassets, dir);
    return CPN_OK;
}

bool http_ui_path(const char *path)
{
    return path != NULL && strncmp(path, "/ui", 3) == 0 && (path[3] == '\0' || path[3] == '/');
}

/* The security headers every console answer carries. */
static void console_headers(struct MHD_Response *resp, const char *csp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

/* True when the If-None-Match header lists ETAG (or is "*"). */
static bool etag_matches(const char *header, const char *etag)
{
    if (header == NULL)
        return false;
    const char *p = header;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if ((n == 1 && p[0] == '*') || (n == strlen(etag) && strncmp(p, etag, n) == 0))
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

static enum MHD_Result serve_asset(struct http_req *r, const char *name)
{
    if (!ui_installed)
        return http_ui_reply_error(r, CPN_ERR_UNAVAILABLE,
                                   "The console's files are not installed on this server.");
    const struct ui_asset *a = NULL;
    for (size_t i = 0; i < ui_nassets && a == NULL; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            a = &ui_assets[i];
    if (a == NULL)
        return http_ui_reply_error(r, CPN_ERR_NOT_FOUND, "There is no such page in the console.");
    bool fresh = etag_matches(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
        a->etag);
    /* The data stays alive until http_ui_unload, after the daemon stopped. */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        fresh ? 0 : a->len, fresh ? NULL : a->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    if (!fresh)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
    /* Revalidate every time (a 304 costs one round trip): an upgrade shows at once. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    console_headers(resp, console_csp);
    return http_queue(r, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
}

enum MHD_Result http_ui_index(struct http_req *r)
{
    return serve_asset(r, "index.html");
}

enum MHD_Result http_ui_asset(struct http_req *r)
{
    return serve_asset(r, r->params[0]);
}

/* True when Accept-Language HEADER prefers German to English (by q, then by order). */
static bool prefers_german(const char *header)
{
    double q_de = 0, q_en = 0;
    int pos_de = -1, pos_en = -1, pos = 0;
    for (const char *p = header; p != NULL && *p != '\0'; pos++) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        double q = 1.0;
        const char *semi = memchr(p, ';', n);
        if (semi != NULL) {
            const char *qs = strstr(semi, "q=");
            if (qs != NULL && qs < p + n)
                q = strtod(qs + 2, NULL);
        }
        bool de = strncasecmp(p, "de", 2) == 0 &&
                  (p[2] == '-' || p[2] == ';' || p[2] == ',' || p[2] == ' ' || p[2] == '\0');
        bool en = strncasecmp(p, "en", 2) == 0 &&
                  (p[2] == '-' || p[2] == ';' || p[2] == ',' || p[2] == ' ' || p[2] == '\0');
        if (de && q > q_de) {
            q_de = q;
            pos_de = pos_de < 0 ? pos : pos_de;
        }
        if (en && q > q_en) {
            q_en = q;
            pos_en = pos_en < 0 ? pos : pos_en;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    if (q_de <= 0)
        return false;
    return q_de > q_en || (q_de == q_en && (pos_en < 0 || pos_de < pos_en));
}

/* A page under construction in a fixed buffer; what does not fit is cut. */
struct page {
    char text[6144];
    size_t len;
};

static void put(struct page *pg, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof pg->text - 1 - pg->len)
        n = sizeof pg->text - 1 - pg->len;
    memcpy(pg->text + pg->len, s, n);
    pg->len += n;
    pg->text[pg->len] = '\0';
}

/* Appends S with &, <, >, " and ' escaped. */
static void put_escaped(struct page *pg, const char *s)
{
    char one[2] = {0, 0};
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            put(pg, "&amp;");
            break;
        case '<':
            put(pg, "&lt;");
            break;
        case '>':
            put(pg, "&gt;");
            break;
        case '"':
            put(pg, "&quot;");
            break;
        case '\'':
            put(pg, "&#39;");
            break;
        default:
            one[0] = *s;
            put(pg, one);
        }
    }
}

struct page_text {
    const char *title, *body;
};

/* The page's heading and explanation for ERR, in German or English. */
static struct page_text text_for(enum cpn_err err, bool de)
{
    switch (err) {
    case CPN_ERR_UNAUTHORIZED:
        return de ? (struct page_text){"Zertifikat erforderlich",
                                       "Die coupond-Konsole öffnet sich nur mit Ihrem persönlichen "
                                       "Zertifikat. Importieren Sie die .p12-Datei, die Sie "
                                       "erhalten haben, in diesen Browser und laden Sie die Seite "
                                       "neu."}
                  : (struct page_text){"Certificate needed",
                                       "The coupond console opens only with your personal "
                                       "certificate. Import the .p12 file you were given into "
                                       "this browser, then reload this page."};
    case CPN_ERR_CERT_REVOKED:
        return de ? (struct page_text){"Zertifikat gesperrt",
                                       "Dieses Zertifikat wurde gesperrt. Bitten Sie Ihre "
                                       "Administration um ein neues."}
                  : (struct page_text){"Certificate revoked", "This certificate has been revoked. "
                                                              "Ask your administrator for a new "
                                                              "one."};
    case CPN_ERR_FORBIDDEN:
        return de ? (struct page_text){"Nicht mit diesem Zertifikat",
                                       "Die Konsole ist für Marketing und Administration. Das "
                                       "Zertifikat, das dieser Browser vorgelegt hat, darf sie "
                                       "nicht öffnen. Um ein anderes zu wählen, schließen Sie alle "
                                       "Fenster des Browsers und öffnen Sie die Seite erneut."}
                  : (struct page_text){"Not with this certificate",
                                       "The console is for marketers and admins. The certificate "
                                       "this browser presented may not open it. To choose another "
                                       "one, close every window of the browser and open the page "
                                       "again."};
    case CPN_ERR_NOT_FOUND:
        return de ? (struct page_text){"Seite nicht gefunden",
                                       "Diese Seite gibt es in der Konsole nicht."}
                  : (struct page_text){"Page not found", "There is no such page in the console."};
    case CPN_ERR_UNAVAILABLE:
        return de ? (struct page_text){"Konsole nicht verfügbar",
                                       "Die Konsole ist auf diesem Server gerade nicht "
                                       "verfügbar. Bitte versuchen Sie es später noch einmal."}
                  : (struct page_text){"Console not available",
                                       "The console is not available on this server right now. "
                                       "Please try again later."};
    default:
        return de ? (struct page_text){"Das ging nicht", "Die Anfrage wurde abgelehnt."}
                  : (struct page_text){"That did not work", "The request was refused."};
    }
}

enum MHD_Result http_ui_reply_error(struct http_req *r, enum cpn_err err, const char *detail)
{
    struct page *pg = calloc(1, sizeof *pg);
    if (pg == NULL)
        return MHD_NO;
    bool de = prefers_german(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
    struct page_text t = text_for(err, de);
    int status = cpn_err_http_status(err);
    char num[64];
    put(pg, de ? "<!doctype html>\n<html lang=\"de\">" : "<!doctype html>\n<html lang=\"en\">");
    put(pg, "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><title>coupond · ");
    put_escaped(pg, t.title);
    put(pg, "</title><style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2733;"
            "background:#f4f6f8;margin:0}main{max-width:34rem;margin:12vh auto;background:#fff;"
            "border:1px solid #d9dee4;border-radius:8px;padding:2rem 2.25rem}"
            "h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:.5rem 0}.brand{color:#0b6e69;"
            "font-weight:700;letter-spacing:.02em;margin-bottom:1.25rem}.small{color:#5b6775;"
            "font-size:.875rem;margin-top:1.25rem}</style></head><body><main>"
            "<div class=\"brand\">coupond</div><h1 id=\"error-title\">");
    put_escaped(pg, t.title);
    put(pg, "</h1><p id=\"error-text\">");
    put_escaped(pg, t.body);
    put(pg, "</p>");
    const struct principal *p = r->principal;
    if (err == CPN_ERR_FORBIDDEN && p != NULL) {
        put(pg, "<p id=\"error-who\">");
        put(pg, de ? "Vorgelegt: " : "Presented: ");
        put_escaped(pg, principal_role_name(p->role));
        put(pg, " “");
        put_escaped(pg, p->name);
        put(pg, "”</p>");
    }
    if (err == CPN_ERR_NOT_FOUND)
        put(pg, de ? "<p><a href=\"/ui/\">Zur Übersicht</a></p>"
                   : "<p><a href=\"/ui/\">To the overview</a></p>");
    put(pg, "<p class=\"small\" id=\"error-code\">");
    snprintf(num, sizeof num, "%d ", status);
    put(pg, num);
    put_escaped(pg, cpn_err_code(err));
    put(pg, " · ");
    put_escaped(pg, detail != NULL ? detail : cpn_err_message(err));
    put(pg, "</p></main></body></html>\n");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(pg->len, pg->text, MHD_RESPMEM_MUST_COPY);
    free(pg);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_LANGUAGE, de ? "de" : "en");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Language");
    console_headers(resp, error_csp);
    return http_queue(r, (unsigned)status, resp);
}
