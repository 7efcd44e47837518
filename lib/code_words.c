/* The offensive-group filter for issued short forms: rejects codes where a
 * 4-symbol group reads as an English or German swear word, slur or neo-Nazi
 * code, so that the issuer can skip that serial. */
#include <string.h>

#include "coupon/code.h"

/* Digit pairs blocked as printed ("88" = HH, "SS"), anywhere in a group. */
static const char *const blocked_pairs[] = {"88", "SS"};

/* Words blocked when a group is read visually (see the visual table below):
 * 0=O, 1=I=L, 2=Z, 3=E, 4=A, 5=S, 6=9=G, 7=T, 8=B, U=V. Three-letter words
 * cost most serials; the list is kept short enough that about 2.4% of codes
 * fail (docs/codes.md). */
/* clang-format off */
static const char *const blocked_words[] = {
    /* English */
    "ASS", "SEX", "FAG", "CUM", "NIG", "NGR", "FCK", "FUK", "KKK", "FUCK", "CUNT", "DICK",
    "COCK", "TWAT", "SHIT", "PISS", "PORN", "SLUT", "RAPE", "TITS", "BOOB", "HOMO",
    /* German */
    "WIX", "FICK", "FOTZ", "ARSC", "HURE", "SAU", "NEGR", "SPAS",
    /* Nazi and neo-Nazi */
    "NAZI", "HITL", "SIEG", "HEIL", "JUDE", "ZOG", "1488", "AH18", "NSDA",
};
/* clang-format on */

/* How a character reads to a person, so that leetspeak spellings match;
 * characters outside the alphabet read as 0 and never match. */
#define SAME(c) [c] = c
/* clang-format off */
static const char visual[256] = {
    ['0'] = 'O', ['1'] = 'I', ['2'] = 'Z', ['3'] = 'E', ['4'] = 'A', ['5'] = 'S', ['6'] = 'G',
    ['7'] = 'T', ['8'] = 'B', ['9'] = 'G', ['L'] = 'I', ['U'] = 'V',
    SAME('A'), SAME('B'), SAME('C'), SAME('D'), SAME('E'), SAME('F'), SAME('G'), SAME('H'),
    SAME('I'), SAME('J'), SAME('K'), SAME('M'), SAME('N'), SAME('O'), SAME('P'), SAME('Q'),
    SAME('R'), SAME('S'), SAME('T'), SAME('V'), SAME('W'), SAME('X'), SAME('Y'), SAME('Z'),
};
/* clang-format on */

static char read_as(char c)
{
    return visual[(unsigned char)c];
}

/* Whether the 4-character GROUP (as printed) is free of blocked pairs and
 * words. */
static bool group_is_clean(const char *group)
{
    char g[4];

    for (size_t p = 0; p < sizeof blocked_pairs / sizeof blocked_pairs[0]; p++)
        for (size_t at = 0; at + 2 <= 4; at++)
            if (group[at] == blocked_pairs[p][0] && group[at + 1] == blocked_pairs[p][1])
                return false;
    for (size_t i = 0; i < 4; i++)
        g[i] = read_as(group[i]);
    for (size_t w = 0; w < sizeof blocked_words / sizeof blocked_words[0]; w++) {
        const char *word = blocked_words[w];
        char first = read_as(word[0]);
        size_t wl = strlen(word);

        for (size_t at = 0; at + wl <= 4; at++) {
            size_t i = 1;
            if (g[at] != first)
                continue;
            while (i < wl && g[at + i] == read_as(word[i]))
                i++;
            if (i == wl)
                return false;
        }
    }
    return true;
}

static bool in_alphabet(char c)
{
    return (c >= '0' && c <= '9') ||
           (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
}

bool cpn_short_is_clean(const char *formatted)
{
    if (formatted == NULL || strnlen(formatted, CPN_SHORT_LEN + 1) != CPN_SHORT_LEN)
        return false;
    for (size_t i = 0; i < CPN_SHORT_LEN; i++) {
        bool dash = i % 5 == 4;
        if (dash != (formatted[i] == '-'))
            return false;
        if (!dash && !in_alphabet(formatted[i]))
            return false;
    }
    for (size_t g = 0; g < 4; g++)
        if (!group_is_clean(formatted + 5 * g))
            return false;
    return true;
}
