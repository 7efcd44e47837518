/* The till's language: pos-client's sentences go through gettext (text domain "pos-client"; the
 * German catalog is po/de.po, compiled to a .mo at build time and installed), chosen by the
 * locale as gettext chooses (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): German for de_DE.UTF-8,
 * English otherwise. Amounts ("5,00 €" or "5.00 EUR") and the Accept-Language header sent to
 * coupond (so that the service's sentences come in the same language) follow the catalog in
 * use, so a till never mixes the two. */
#ifndef POS_I18N_H
#define POS_I18N_H

#include <libintl.h>

#include "coupon/err.h"

/* pos-client's gettext text domain (the catalog's file name, pos-client.mo). */
#define POS_TEXTDOMAIN "pos-client"

/* A sentence for the cashier, translated when a catalog is in use. */
#define _(msgid) dgettext(POS_TEXTDOMAIN, msgid)
/* A sentence marked for translation where it is defined, translated where it is used (_()). */
#define N_(msgid) (msgid)
/* The singular or plural sentence for N, translated. */
#define P_(singular, plural, n) dngettext(POS_TEXTDOMAIN, singular, plural, (unsigned long)(n))

/* The languages the till speaks. */
enum pos_lang {
    POS_LANG_EN = 0,
    POS_LANG_DE = 1,
};

/* Sets the language from the environment: the locale's message category (setlocale(LC_MESSAGES,
 * "")), the catalog directory (LOCALEDIR, or the compiled-in one when NULL) and the language of
 * the catalog gettext then uses (German when it is po/de.po's, else English: a German locale
 * without the catalog installed stays English throughout). Numbers, times and character classes
 * stay in the C locale. Call it once, before any other pos_ function. */
void pos_i18n_init(const char *localedir);

/* The language in use (English until pos_i18n_init() or pos_i18n_set()). */
enum pos_lang pos_i18n_lang(void);

/* Sets the language of amounts and of Accept-Language to LANG, without touching gettext (tests
 * that check amounts alone). */
void pos_i18n_set(enum pos_lang lang);

/* The Accept-Language header line the till sends: "Accept-Language: de, en;q=0.5" in German,
 * "Accept-Language: en" in English. A static string. */
const char *pos_i18n_accept_language(void);

/* The registry's sentence for ERR in the till's language (never NULL): libcoupon's German one
 * (lib/err_de.c) in German, else its English one (lib/err.c). */
const char *pos_err_message(enum cpn_err err);

#endif
