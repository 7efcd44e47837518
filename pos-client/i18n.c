/* The till's language: gettext set up for pos-client's text domain, the language told from the
 * catalog gettext picked (its header's "Language:"), and what follows from it (Accept-Language,
 * the registry's sentences). */
#include <locale.h>
#include <string.h>

#include "pos/i18n.h"

#ifndef POS_LOCALEDIR
#define POS_LOCALEDIR "/usr/share/locale"
#endif

static enum pos_lang lang = POS_LANG_EN;

void pos_i18n_init(const char *localedir)
{
    /* Only the messages follow the locale: numbers, times and character classes stay "C", so
     * nothing the till writes for machines (the journal, JSON, RFC 3339) can change with it. */
    (void)setlocale(LC_MESSAGES, "");
    (void)bindtextdomain(POS_TEXTDOMAIN, localedir != NULL ? localedir : POS_LOCALEDIR);
    (void)bind_textdomain_codeset(POS_TEXTDOMAIN, "UTF-8");
    /* The empty msgid gives the header of the catalog in use, "" (itself) when there is none. */
    const char *header = dgettext(POS_TEXTDOMAIN, "");
    lang = header != NULL && strstr(header, "\nLanguage: de") != NULL ? POS_LANG_DE : POS_LANG_EN;
}

enum pos_lang pos_i18n_lang(void)
{
    return lang;
}

void pos_i18n_set(enum pos_lang l)
{
    lang = l;
}

const char *pos_i18n_accept_language(void)
{
    return lang == POS_LANG_DE ? "Accept-Language: de, en;q=0.5" : "Accept-Language: en";
}

const char *pos_err_message(enum cpn_err err)
{
    /* libcoupon's registry has the German sentences (lib/err_de.c); the catalog does not. */
    return cpn_err_message_lang(err, lang == POS_LANG_DE ? CPN_LANG_DE : CPN_LANG_EN);
}
