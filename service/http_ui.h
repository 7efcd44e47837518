/* The marketer's console under /ui/: its assets, loaded once from the installed directory,
 * and the small HTML page that refusals on /ui/ paths get instead of JSON. */
#ifndef SVC_HTTP_UI_H
#define SVC_HTTP_UI_H

#include <stdbool.h>

#include "http.h"

/* Loads every asset of DIR (regular files named [a-z0-9][a-z0-9._-]* ending in .html, .js,
 * .css, .svg, .png or .ico, at most 64 of 2 MiB each) into memory with its ETag. A missing
 * or unreadable directory is logged and the console then answers 503 with a page saying so;
 * the API is not affected. Returns CPN_OK, or CPN_ERR_NO_MEMORY with nothing loaded. Call
 * before the daemon starts; not thread-safe against requests. */
enum cpn_err http_ui_load(const char *dir) CPN_MUST_CHECK;

/* Frees what http_ui_load loaded; after the daemon stopped. A no-op when nothing is loaded. */
void http_ui_unload(void);

/* True when PATH ("/ui" or below) belongs to the console, whose refusals are HTML pages. */
bool http_ui_path(const char *path);

/* Answers ERR (status from the registry) as a small HTML page in the browser's language
 * (Accept-Language: German or English), with DETAIL (or the registry's sentence) escaped. */
enum MHD_Result http_ui_reply_error(struct http_req *r, enum cpn_err err, const char *detail);

#endif
