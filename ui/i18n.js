// The console's two languages (German, English) and the formatting of amounts, numbers,
// rates and dates per language. The language comes from the browser (navigator.languages)
// unless the person chose one with the switch (kept in localStorage).
const STRINGS = {
  de: {
    'app.title': 'coupond · Konsole',
    'nav.campaigns': 'Kampagnen',
    'nav.new': 'Neue Kampagne',
    'nav.signed_in': 'Angemeldet als {name}',
    'lang.switch': 'Sprache',
    'role.marketer': 'Marketing',
    'role.admin': 'Administration',
    'state.scheduled': 'geplant',
    'state.running': 'läuft',
    'state.paused': 'pausiert',
    'state.ended': 'beendet',
    'state.exhausted': 'ausgeschöpft',
    'channel.mailing': 'Mailing',
    'channel.email': 'E-Mail',
    'channel.display': 'Display-Anzeige',
    'channel.social': 'Social Media',
    'channel.print': 'Printanzeige',
    'channel.receipt': 'Kassenbon',
    'channel.sms': 'SMS',
    'channel.app': 'App',
    'channel.poster': 'Plakat',
    'channel.radio': 'Radio',
    'channel.other': 'Sonstiges',
    'list.title': 'Kampagnen',
    'list.filter.state': 'Status',
    'list.filter.channel': 'Kanal',
    'list.filter.search': 'Suche',
    'list.filter.all': 'alle',
    'list.empty': 'Noch keine Kampagne. Legen Sie die erste an.',
    'list.none_match': 'Keine Kampagne passt zu diesem Filter.',
    'list.total': 'Summe ({n} Kampagnen)',
    'col.name': 'Kampagne',
    'col.state': 'Status',
    'col.channel': 'Kanal',
    'col.window': 'Zeitraum',
    'col.pieces': 'Auflage',
    'col.redeemed': 'Einlösungen',
    'col.rate': 'Rücklaufquote',
    'col.revenue': 'Umsatz',
    'col.roas': 'ROAS',
    'col.cost': 'Kosten',
    'col.day': 'Tag',
    'col.store': 'Filiale',
    'col.discount': 'Rabatt',
    'col.share': 'Anteil',
    'col.days_since_drop': 'Tage seit Zustellung',
    'col.cumulative': 'kumuliert',
    'col.batch': 'Stapel',
    'col.issued_at': 'erzeugt',
    'col.count': 'Anzahl',
    'col.variant': 'Variante',
    'col.responses': 'Reaktionen',
    'col.difference': 'Differenz',
    'col.ci': '95-%-Konfidenzintervall',
    'col.p': 'p-Wert',
    'col.group': 'Gruppe',
    'col.downloads': 'Downloads',
    'fig.pieces': 'Auflage',
    'fig.issued': 'Auflage',
    'fig.redeemed': 'Einlösungen',
    'fig.redemption_rate': 'Rücklaufquote',
    'fig.response_rate': 'Rücklaufquote',
    'fig.average_basket_cents': 'Durchschnittsbon',
    'batch.recipients': 'Empfängerliste',
    'batch.voided': 'zurückgezogen',
    'batch.valid': 'gültig',
    'dl.lettershop': 'Lettershop (CSV)',
    'fig.revenue_cents': 'Umsatz',
    'fig.discount_cents': 'Rabattkosten',
    'fig.cost_cents': 'Kampagnenkosten',
    'fig.roas': 'ROAS',
    'fig.cost_per_response_cents': 'Kosten je Reaktion',
    'fig.cost_per_redemption_cents': 'Kosten je Einlösung',
    'fig.break_even_response_rate': 'Break-even-Quote',
    'fig.median_days_to_redeem': 'Median bis Einlösung',
    'fig.roas.hint': 'Umsatz je Euro Kosten',
    'fig.days': '{n} Tage',
    'campaign.offer.percent': '{v} % Rabatt',
    'campaign.offer.amount': '{v} Rabatt',
    'campaign.offer.points': '{v} Bonuspunkte',
    'campaign.offer.multiply': '{v}-fache Bonuspunkte',
    'campaign.offer.min': 'ab {v} Einkauf',
    'campaign.variant_of': 'Variante von',
    'campaign.in_home': 'Zustellung',
    'campaign.id': 'Kampagne {id}',
    'campaign.stores': 'Filialen',
    'campaign.all_stores': 'alle Filialen',
    'campaign.live': 'Live · aktualisiert {time}',
    'campaign.stale': 'Verbindung unterbrochen · Stand {time}',
    'sec.curve': 'Rücklaufkurve',
    'sec.curve.hint': 'Einlösungen je Tag seit der Zustellung (Balken) und kumulierter Anteil (Linie)',
    'sec.by_day': 'Einlösungen je Tag',
    'sec.by_store': 'Nach Filiale',
    'sec.ab': 'A/B-Vergleich',
    'sec.holdout': 'Kontrollgruppe (Holdout)',
    'sec.batches': 'Coupons und Downloads',
    'sec.no_data': 'Noch keine Einlösungen.',
    'holdout.mailed': 'Angeschrieben',
    'holdout.holdout': 'Kontrollgruppe',
    'holdout.lift': 'Lift',
    'holdout.incremental_revenue': 'Mehrumsatz je Stück',
    'holdout.incremental_roas': 'inkrementeller ROAS',
    'act.edit': 'Bearbeiten',
    'act.pause': 'Pausieren',
    'act.resume': 'Fortsetzen',
    'act.end': 'Vorzeitig beenden',
    'act.extend': 'Verlängern',
    'act.issue': 'Coupons erzeugen',
    'act.recipients': 'Empfängerliste hochladen',
    'act.void_batch': 'Stapel zurückziehen',
    'act.cancel': 'Abbrechen',
    'act.save': 'Speichern',
    'act.create': 'Kampagne anlegen',
    'act.close': 'Schließen',
    'act.back': 'Zurück zur Übersicht',
    'confirm.end': 'Kampagne „{name}“ jetzt beenden? Ihre Coupons werden danach nicht mehr angenommen.',
    'confirm.void_batch': 'Stapel {id} ({n} Coupons) zurückziehen? Seine Coupons werden danach abgelehnt.',
    'dl.csv': 'Coupons (CSV)',
    'dl.qr_png': 'QR-Codes (PNG, tar)',
    'dl.qr_svg': 'QR-Codes (SVG, tar)',
    'dl.report_csv': 'Bericht (CSV)',
    'dl.redemptions_csv': 'Einlösungen (CSV)',
    'dl.all_coupons': 'Alle Coupons der Kampagne',
    'dl.figures': 'Zahlen',
    'dl.report_excel': 'Bericht (Excel)',
    'dl.redemptions_excel': 'Einlösungen (Excel)',
    'fig.break_even.no_margin': 'braucht die Rohertragsmarge',
    'sec.by_day.tz': 'Tage in der Zeitzone {tz}',
    'dl.excel_hint': 'CSV mit Semikolon und BOM, wie Excel es auf Deutsch erwartet',
    'form.new': 'Neue Kampagne',
    'form.edit': 'Kampagne bearbeiten',
    'form.basics': 'Kampagne',
    'form.offer': 'Angebot',
    'form.money': 'Kosten und Auswertung',
    'form.limits': 'Grenzen',
    'form.name': 'Name',
    'form.channel': 'Kanal',
    'form.starts_at': 'Beginn',
    'form.ends_at': 'Ende',
    'form.in_home_date': 'Zustelltag (in-home)',
    'form.in_home_date.hint': 'Tag, an dem das Mailing ankommt; leer = Beginn',
    'form.offer_kind': 'Art',
    'form.offer_kind.percent': 'Prozent-Rabatt',
    'form.offer_kind.amount': 'Betrag-Rabatt',
    'form.offer_kind.points': 'Bonuspunkte',
    'form.offer_value': 'Wert',
    'form.offer_value.hint.percent': 'Prozent, 1 bis 100',
    'form.offer_value.hint.amount': 'Euro, z. B. 5,00',
    'form.offer_value.hint.points': 'Punkte',
    'form.min_basket': 'Mindesteinkauf',
    'form.cost': 'Kosten der Kampagne',
    'form.cost.hint': 'Druck, Porto, Agentur …',
    'form.fixed_cost': 'Fixkosten',
    'form.gross_margin_pct': 'Rohertragsmarge (%)',
    'form.response_window_days': 'Reaktionszeitraum (Tage)',
    'form.response_window_days.hint': 'leer = 56',
    'form.max_redemptions': 'Höchstens Einlösungen',
    'form.stores': 'Filialen',
    'form.stores.hint': 'Nummern mit Komma getrennt; leer = alle',
    'form.variant_of': 'Variante von (A/B-Test)',
    'form.variant_of.none': '— keine —',
    'form.optional': 'optional',
    'form.error.amount': 'Bitte einen Betrag wie 1.234,56 eingeben.',
    'form.error.number': 'Bitte eine ganze Zahl eingeben.',
    'form.error.decimal': 'Bitte eine Zahl eingeben.',
    'form.error.date': 'Bitte Datum und Uhrzeit angeben.',
    'form.error.stores': 'Bitte Filialnummern mit Komma getrennt angeben, z. B. 1, 2, 7.',
    'form.error.title': 'Das hat nicht geklappt',
    'form.saved': 'Gespeichert.',
    'issue.title': 'Coupons erzeugen',
    'issue.count': 'Anzahl',
    'issue.count.hint': '1 bis 1.000.000 je Stapel',
    'issue.submit': 'Erzeugen',
    'issue.running': '{n} Coupons werden erzeugt … {s} s',
    'issue.done': '{n} Coupons erzeugt (Stapel {batch}) in {s} s.',
    'recipients.title': 'Empfängerliste hochladen',
    'recipients.file': 'Datei mit Kartennummern (CSV oder Text, eine je Zeile)',
    'recipients.holdout_pct': 'Kontrollgruppe (%)',
    'recipients.holdout_pct.hint': 'Anteil der Karten, die kein Mailing bekommen',
    'recipients.submit': 'Hochladen',
    'recipients.read': '{n} Kartennummern gelesen.',
    'recipients.done': '{recipients} Empfänger: {mailed} angeschrieben, {holdout} in der Kontrollgruppe, {issued} Coupons erzeugt.',
    'extend.title': 'Kampagne verlängern',
    'extend.until': 'Neues Ende',
    'error.load': 'Die Daten konnten nicht geladen werden.',
    'error.network': 'Der Server ist nicht erreichbar.',
    'error.not_found': 'Diese Kampagne gibt es nicht.',
    'ab.control': 'Kontrolle',
    'ab.none': 'Diese Kampagne hat keine Varianten.',
    'col.result': 'Ergebnis',
    'ab.verdict.better': '{v} reagiert besser als {c} (95 % Konfidenz).',
    'ab.verdict.worse': '{v} reagiert schlechter als {c} (95 % Konfidenz).',
    'ab.verdict.not_significant': 'Noch nicht signifikant: etwa {n} Stück je Zelle würden einen Unterschied dieser Größe zeigen.',
    'ab.verdict.same': 'Noch nicht signifikant: {v} und {c} unterscheiden sich bisher nicht mit 95 % Konfidenz.',
    'ab.verdict.no_data': 'Noch kein Vergleich: {v} und {c} brauchen beide ausgegebene Coupons.',
    'ab.result.better': 'besser',
    'ab.result.worse': 'schlechter',
    'ab.result.not_significant': 'nicht signifikant',
    'ab.result.no_data': 'keine Daten',
    'ab.hint': 'Differenz in Prozentpunkten gegenüber der Kontrolle, 95-%-Konfidenzintervall nach Newcombe, p-Wert des zweiseitigen z-Tests für zwei Anteile.',
    'holdout.about': '{n} Karten, davon {pct} % als Kontrollgruppe ohne Mailing · Reaktionszeitraum {from} – {to}',
    'holdout.significant': 'Das Mailing wirkt: {lift} Lift gegenüber der Kontrollgruppe (95 % Konfidenz).',
    'holdout.not_significant': 'Noch nicht signifikant: {lift} Lift gegenüber der Kontrollgruppe.',
    'holdout.of': '{x} von {n} Karten',
    'holdout.lift_pct': 'Lift relativ',
    'holdout.incremental_total': 'gesamt {v}',
    'form.nothing': 'Nichts geändert.',
    'recipients.lines': '{n} Zeilen in der Datei.',
    'empty.dash': '–',
  },
  en: {
    'app.title': 'coupond · Console',
    'nav.campaigns': 'Campaigns',
    'nav.new': 'New campaign',
    'nav.signed_in': 'Signed in as {name}',
    'lang.switch': 'Language',
    'role.marketer': 'marketing',
    'role.admin': 'admin',
    'state.scheduled': 'scheduled',
    'state.running': 'running',
    'state.paused': 'paused',
    'state.ended': 'ended',
    'state.exhausted': 'exhausted',
    'channel.mailing': 'Mailing',
    'channel.email': 'E-mail',
    'channel.display': 'Display ad',
    'channel.social': 'Social media',
    'channel.print': 'Print ad',
    'channel.receipt': 'Receipt',
    'channel.sms': 'SMS',
    'channel.app': 'App',
    'channel.poster': 'Poster',
    'channel.radio': 'Radio',
    'channel.other': 'Other',
    'list.title': 'Campaigns',
    'list.filter.state': 'State',
    'list.filter.channel': 'Channel',
    'list.filter.search': 'Search',
    'list.filter.all': 'all',
    'list.empty': 'No campaign yet. Create the first one.',
    'list.none_match': 'No campaign matches this filter.',
    'list.total': 'Total ({n} campaigns)',
    'col.name': 'Campaign',
    'col.state': 'State',
    'col.channel': 'Channel',
    'col.window': 'Window',
    'col.pieces': 'Pieces',
    'col.redeemed': 'Redemptions',
    'col.rate': 'Response rate',
    'col.revenue': 'Revenue',
    'col.roas': 'ROAS',
    'col.cost': 'Cost',
    'col.day': 'Day',
    'col.store': 'Store',
    'col.discount': 'Discount',
    'col.share': 'Share',
    'col.days_since_drop': 'Days since drop',
    'col.cumulative': 'cumulative',
    'col.batch': 'Batch',
    'col.issued_at': 'issued',
    'col.count': 'Count',
    'col.variant': 'Variant',
    'col.responses': 'Responses',
    'col.difference': 'Difference',
    'col.ci': '95 % confidence interval',
    'col.p': 'p-value',
    'col.group': 'Group',
    'col.downloads': 'Downloads',
    'fig.pieces': 'Pieces',
    'fig.issued': 'Pieces',
    'fig.redeemed': 'Redemptions',
    'fig.redemption_rate': 'Response rate',
    'fig.response_rate': 'Response rate',
    'fig.average_basket_cents': 'Average basket',
    'batch.recipients': 'recipient list',
    'batch.voided': 'voided',
    'batch.valid': 'valid',
    'dl.lettershop': 'Lettershop (CSV)',
    'fig.revenue_cents': 'Revenue',
    'fig.discount_cents': 'Discount cost',
    'fig.cost_cents': 'Campaign cost',
    'fig.roas': 'ROAS',
    'fig.cost_per_response_cents': 'Cost per response',
    'fig.cost_per_redemption_cents': 'Cost per redemption',
    'fig.break_even_response_rate': 'Break-even rate',
    'fig.median_days_to_redeem': 'Median days to redeem',
    'fig.roas.hint': 'revenue per euro spent',
    'fig.days': '{n} days',
    'campaign.offer.percent': '{v} % off',
    'campaign.offer.amount': '{v} off',
    'campaign.offer.points': '{v} bonus points',
    'campaign.offer.multiply': '{v}× bonus points',
    'campaign.offer.min': 'from {v} basket',
    'campaign.variant_of': 'Variant of',
    'campaign.in_home': 'In home',
    'campaign.id': 'Campaign {id}',
    'campaign.stores': 'Stores',
    'campaign.all_stores': 'all stores',
    'campaign.live': 'Live · updated {time}',
    'campaign.stale': 'Connection lost · as of {time}',
    'sec.curve': 'Response curve',
    'sec.curve.hint': 'Redemptions per day since the in-home date (bars) and cumulative share (line)',
    'sec.by_day': 'Redemptions by day',
    'sec.by_store': 'By store',
    'sec.ab': 'A/B comparison',
    'sec.holdout': 'Holdout',
    'sec.batches': 'Coupons and downloads',
    'sec.no_data': 'No redemptions yet.',
    'holdout.mailed': 'Mailed',
    'holdout.holdout': 'Holdout',
    'holdout.lift': 'Lift',
    'holdout.incremental_revenue': 'Incremental revenue per piece',
    'holdout.incremental_roas': 'Incremental ROAS',
    'act.edit': 'Edit',
    'act.pause': 'Pause',
    'act.resume': 'Resume',
    'act.end': 'End early',
    'act.extend': 'Extend',
    'act.issue': 'Issue coupons',
    'act.recipients': 'Upload recipient list',
    'act.void_batch': 'Void batch',
    'act.cancel': 'Cancel',
    'act.save': 'Save',
    'act.create': 'Create campaign',
    'act.close': 'Close',
    'act.back': 'Back to the list',
    'confirm.end': 'End “{name}” now? Its coupons will be refused from then on.',
    'confirm.void_batch': 'Void batch {id} ({n} coupons)? Its coupons will be refused from then on.',
    'dl.csv': 'Coupons (CSV)',
    'dl.qr_png': 'QR codes (PNG, tar)',
    'dl.qr_svg': 'QR codes (SVG, tar)',
    'dl.report_csv': 'Report (CSV)',
    'dl.redemptions_csv': 'Redemptions (CSV)',
    'dl.all_coupons': 'All coupons of the campaign',
    'dl.figures': 'Figures',
    'dl.report_excel': 'Report (Excel)',
    'dl.redemptions_excel': 'Redemptions (Excel)',
    'fig.break_even.no_margin': 'needs the gross margin',
    'sec.by_day.tz': 'Days in the time zone {tz}',
    'dl.excel_hint': 'CSV with semicolons and a BOM, as German Excel expects',
    'form.new': 'New campaign',
    'form.edit': 'Edit campaign',
    'form.basics': 'Campaign',
    'form.offer': 'Offer',
    'form.money': 'Cost and evaluation',
    'form.limits': 'Limits',
    'form.name': 'Name',
    'form.channel': 'Channel',
    'form.starts_at': 'Starts',
    'form.ends_at': 'Ends',
    'form.in_home_date': 'In-home date',
    'form.in_home_date.hint': 'the day the mailing lands; empty = the start',
    'form.offer_kind': 'Kind',
    'form.offer_kind.percent': 'Percent off',
    'form.offer_kind.amount': 'Amount off',
    'form.offer_kind.points': 'Bonus points',
    'form.offer_value': 'Value',
    'form.offer_value.hint.percent': 'percent, 1 to 100',
    'form.offer_value.hint.amount': 'euros, e.g. 5.00',
    'form.offer_value.hint.points': 'points',
    'form.min_basket': 'Minimum basket',
    'form.cost': 'Campaign cost',
    'form.cost.hint': 'print, postage, agency …',
    'form.fixed_cost': 'Fixed cost',
    'form.gross_margin_pct': 'Gross margin (%)',
    'form.response_window_days': 'Response window (days)',
    'form.response_window_days.hint': 'empty = 56',
    'form.max_redemptions': 'At most redemptions',
    'form.stores': 'Stores',
    'form.stores.hint': 'numbers separated by commas; empty = all',
    'form.variant_of': 'Variant of (A/B test)',
    'form.variant_of.none': '— none —',
    'form.optional': 'optional',
    'form.error.amount': 'Please enter an amount like 1,234.56.',
    'form.error.number': 'Please enter a whole number.',
    'form.error.decimal': 'Please enter a number.',
    'form.error.date': 'Please give a date and a time.',
    'form.error.stores': 'Please list store numbers separated by commas, e.g. 1, 2, 7.',
    'form.error.title': 'That did not work',
    'form.saved': 'Saved.',
    'issue.title': 'Issue coupons',
    'issue.count': 'Count',
    'issue.count.hint': '1 to 1,000,000 per batch',
    'issue.submit': 'Issue',
    'issue.running': 'Issuing {n} coupons … {s} s',
    'issue.done': '{n} coupons issued (batch {batch}) in {s} s.',
    'recipients.title': 'Upload recipient list',
    'recipients.file': 'File of card numbers (CSV or text, one per line)',
    'recipients.holdout_pct': 'Holdout (%)',
    'recipients.holdout_pct.hint': 'share of the cards that get no mailing',
    'recipients.submit': 'Upload',
    'recipients.read': '{n} card numbers read.',
    'recipients.done': '{recipients} recipients: {mailed} mailed, {holdout} held out, {issued} coupons issued.',
    'extend.title': 'Extend the campaign',
    'extend.until': 'New end',
    'error.load': 'The data could not be loaded.',
    'error.network': 'The server cannot be reached.',
    'error.not_found': 'There is no such campaign.',
    'ab.control': 'control',
    'ab.none': 'This campaign has no variants.',
    'col.result': 'Result',
    'ab.verdict.better': '{v} responds better than {c} (95 % confidence).',
    'ab.verdict.worse': '{v} responds worse than {c} (95 % confidence).',
    'ab.verdict.not_significant': 'Not significant yet: about {n} pieces per cell would show a difference this size.',
    'ab.verdict.same': 'Not significant yet: {v} and {c} do not differ with 95 % confidence.',
    'ab.verdict.no_data': 'No comparison yet: both {v} and {c} need coupons issued.',
    'ab.result.better': 'better',
    'ab.result.worse': 'worse',
    'ab.result.not_significant': 'not significant',
    'ab.result.no_data': 'no data',
    'ab.hint': 'Difference in percentage points against the control, 95 % confidence interval (Newcombe), p-value of the two-sided two-proportion z-test.',
    'holdout.about': '{n} cards, {pct} % of them held out without a mailing · response window {from} – {to}',
    'holdout.significant': 'The mailing works: {lift} lift over the holdout (95 % confidence).',
    'holdout.not_significant': 'Not significant yet: {lift} lift over the holdout.',
    'holdout.of': '{x} of {n} cards',
    'holdout.lift_pct': 'Relative lift',
    'holdout.incremental_total': 'in all {v}',
    'form.nothing': 'Nothing changed.',
    'recipients.lines': '{n} lines in the file.',
    'empty.dash': '–',
  },
};

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
  return new Intl.DateTimeFormat(locale(), { dateStyle: style, timeZone: 'UTC' }).format(d);
}

// An RFC 3339 time → the local date (and time when WITH_TIME).
export function when(text, withTime = false, style = 'medium') {
  if (!text) return DASH;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return text;
  const opts = withTime ? { dateStyle: style, timeStyle: 'short' } : { dateStyle: style };
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

export function clock(d) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(d);
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
