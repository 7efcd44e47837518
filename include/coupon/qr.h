/* QR codes for the code forms: libqrencode at error correction level M in
 * alphanumeric mode with the smallest version that fits, rendered as SVG or
 * PNG into memory. No global state; safe to call from many threads. */
#ifndef COUPON_QR_H
#define COUPON_QR_H

#include <stddef.h>
#include <stdint.h>

#include "coupon/err.h"

/* Longest text cpn_qr_svg/cpn_qr_png accept (QR version 40-M holds 3391
 * alphanumeric characters; codes need 156 at most). */
#define CPN_QR_TEXT_MAX 1024

/* Rendering options; a NULL pointer means the defaults. */
struct cpn_qr_options {
    unsigned module_px;  /* pixels per module: PNG pixels, SVG width/height; 1..64, default 4 */
    unsigned quiet_zone; /* light modules around the symbol; 0..16, default 4 (the standard) */
};

#define CPN_QR_DEFAULT_MODULE_PX  4
#define CPN_QR_DEFAULT_QUIET_ZONE 4

/* Renders TEXT (NUL-terminated, only QR alphanumeric characters:
 * 0-9 A-Z space $ % * + - . / :) as an SVG document: one <path> of the dark
 * modules, viewBox "0 0 N N" in modules where N = symbol width + 2 * quiet
 * zone, width/height N * module_px. *OUT receives a NUL-terminated malloc'd
 * string the caller frees, *OUT_LEN (if not NULL) its length, *VERSION (if
 * not NULL) the QR version used. Returns CPN_ERR_BAD_REQUEST for NULL, empty
 * or too long text, other characters or bad options; CPN_ERR_NO_MEMORY;
 * CPN_ERR_INTERNAL if libqrencode fails. On error *OUT is NULL. */
CPN_MUST_CHECK enum cpn_err cpn_qr_svg(const char *text, const struct cpn_qr_options *opts,
                                       char **out, size_t *out_len, int *version);

/* Renders TEXT as in cpn_qr_svg() into a PNG image (1-bit grayscale, black
 * on white, N * module_px pixels square). *OUT receives malloc'd bytes the
 * caller frees, *OUT_LEN (required) their count, *VERSION (if not NULL) the
 * QR version. Same errors as cpn_qr_svg(); on error *OUT is NULL. */
CPN_MUST_CHECK enum cpn_err cpn_qr_png(const char *text, const struct cpn_qr_options *opts,
                                       uint8_t **out, size_t *out_len, int *version);

#endif
