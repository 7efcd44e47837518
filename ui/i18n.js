// The console's two languages (German, English) and the formatting of amounts, numbers,
// rates and dates per language. The language comes from the browser (navigator.languages)
// unless the person chose one with the switch (kept in localStorage).
import { STRINGS } from './strings.js';

const LOCALES = { de: 'de-DE', en: 'en-GB' };
const KEY = 'coupond.lang';
let lang = pick();

function pick() {
  let stored = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch (e) {
    stored = null;
  }
  if (stored in STRINGS) return stored;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().slice(0, 2);
    if (base in STRINGS) return base;
  }
  return 'en';
}

export function language() {
  return lang;
}

export function locale() {
  return LOCALES[lang];
}

// Switches to L ('de' or 'en') and remembers the choice.
export function setLanguage(l) {
  if (!(l in STRINGS)) return;
  lang = l;
  try {
    localStorage.setItem(KEY, l);
  } catch (e) {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = l;
}

// The text for KEY in the current language, with {name} placeholders filled from VARS.
export function t(key, vars) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? String(vars[k]) : m));
}

export function has(key) {
  return key in STRINGS[lang];
}

const DASH = '–';
const cache = new Map();
function nf(opts) {
  const k = lang + JSON.stringify(opts);
  if (!cache.has(k)) cache.set(k, new Intl.NumberFormat(locale(), opts));
  return cache.get(k);
}
// Date formats, cached as the number formats are: making one costs far more than using it,
// and a campaign page formats a date for every day twice.
const dcache = new Map();
function df(opts) {
  const k = lang + JSON.stringify(opts);
  if (!dcache.has(k)) dcache.set(k, new Intl.DateTimeFormat(locale(), opts));
  return dcache.get(k);
}
const missing = (v) => v === null || v === undefined || Number.isNaN(v);

// 1234 → "12,34 €" (de) / "€12.34" (en).
export function money(cents) {
  if (missing(cents)) return DASH;
  return nf({ style: 'currency', currency: 'EUR' }).format(Number(cents) / 100);
}

export function int(n) {
  if (missing(n)) return DASH;
  return nf({ maximumFractionDigits: 0 }).format(Number(n));
}

// A fraction (0.0123) as a percentage ("1,23 %").
export function pct(fraction, digits = 2) {
  if (missing(fraction)) return DASH;
  return nf({ style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    Number(fraction),
  );
}

// Percentage points, signed ("+0,20 pp").
export function pp(points, digits = 2) {
  if (missing(points)) return DASH;
  return (
    nf({ minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: 'exceptZero' }).format(
      Number(points),
    ) + ' pp'
  );
}

export function decimal(x, digits = 2) {
  if (missing(x)) return DASH;
  return nf({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(x));
}

// "2026-11-22" (a calendar day, no time zone) → "22.11.2026".
export function day(text, style = 'medium') {
  if (!text) return DASH;
  const d = new Date(text + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return text;
  return df({ dateStyle: style, timeZone: 'UTC' }).format(d);
}

// An RFC 3339 time → the local date (and time when WITH_TIME).
export function when(text, withTime = false, style = 'medium') {
  if (!text) return DASH;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return text;
  const opts = withTime ? { dateStyle: style, timeStyle: 'short' } : { dateStyle: style };
  return df(opts).format(d);
}

export function clock(d) {
  return df({ timeStyle: 'medium' }).format(d);
}

// Parses an amount typed in either language ("1.234,56", "1,234.56", "12", "12,5") into
// cents. Returns null when it is not an amount.
export function parseMoney(text) {
  let s = String(text).replace(/[\s\u00a0€]/g, '').replace(/^EUR|EUR$/gi, '');
  if (s === '') return null;
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const lastSep = Math.max(s.lastIndexOf(','), s.lastIndexOf('.'));
  let whole = s;
  let frac = '';
  if (lastSep >= 0 && s.length - lastSep - 1 <= 2 && s.length - lastSep - 1 >= 1) {
    whole = s.slice(0, lastSep);
    frac = s.slice(lastSep + 1);
  }
  // What is left of the whole part may only hold thousands separators in groups of three.
  if (!/^\d{1,3}([.,]?\d{3})*$/.test(whole) && !/^\d+$/.test(whole)) return null;
  const seps = whole.match(/[.,]/g) || [];
  if (seps.length && (new Set(seps).size > 1 || (frac && seps[0] === s[lastSep]))) return null;
  if (!/^\d*$/.test(frac)) return null;
  const cents = Number(whole.replace(/[.,]/g, '')) * 100 + Number((frac + '00').slice(0, 2));
  if (!Number.isSafeInteger(cents)) return null;
  return neg ? -cents : cents;
}

// Parses a decimal number typed in either language ("35,5" or "35.5"). Null when not one.
export function parseDecimal(text) {
  const s = String(text).trim().replace(',', '.');
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}
