// The campaign page: what the campaign is, its figures as tiles, the response curve, the
// redemptions by day and by store, the A/B comparison, the holdout lift, and its coupons
// with their downloads. Figures come from the report as the API gives them (each tile keeps
// the raw value in data-value) and refresh by themselves while the page is open: on the live
// feed's events (live.js), and a line under the head says whether the feed is connected.
import { h, mount } from './dom.js';
import { api, get } from './api.js';
import { t, money, int, pct, decimal, day, when } from './i18n.js';
import { stateOf, offerText, windowText } from './model.js';
import { barChart } from './chart.js';
import { watch, nextMoment, liveLine } from './live.js';
import { actionsBar } from './actions.js';
import { compareSection, holdoutSection } from './tests.js';

// The live feed's types a campaign page may follow (see feeds() in showCampaign).
const FEED_TYPES = ['batch.issued', 'batch.voided', 'campaign.ended', 'campaign.exhausted', 'campaign.paused',
  'campaign.resumed', 'card.earned', 'card.voided', 'redemption.created', 'redemption.voided'];

// The tiles in order: the report's field, how to show it, and an optional second line.
const TILES = [
  { key: 'pieces', alt: 'issued', fmt: int },
  { key: 'redeemed', fmt: int },
  { key: 'response_rate', alt: 'redemption_rate', fmt: (v) => pct(v), sub: (r) =>
    r.break_even_response_rate != null ? `${t('fig.break_even_response_rate')}: ${pct(r.break_even_response_rate)}` : null },
  { key: 'revenue_cents', fmt: money },
  { key: 'average_basket_cents', fmt: money },
  { key: 'discount_cents', fmt: money },
  { key: 'cost_cents', fmt: money },
  { key: 'roas', fmt: (v) => decimal(v), sub: () => t('fig.roas.hint') },
  { key: 'cost_per_response_cents', alt: 'cost_per_redemption_cents', fmt: money },
  { key: 'break_even_response_rate', fmt: (v) => pct(v), sub: (r) =>
    r.break_even_response_rate == null && r.gross_margin_pct == null ? t('fig.break_even.no_margin') : null },
  { key: 'median_days_to_redeem', fmt: (v) => (v == null ? decimal(v) : t('fig.days', { n: decimal(v, 1) })) },
];

function tiles(report) {
  return TILES.map((tile) => {
    const key = tile.key in report ? tile.key : tile.alt in report ? tile.alt : null;
    if (key === null) return null;
    const v = report[key];
    const sub = tile.sub ? tile.sub(report) : null;
    let tone = null;
    if (tile.key === 'response_rate' && v != null && report.break_even_response_rate != null) {
      tone = v >= report.break_even_response_rate ? 'good' : 'warn';
    }
    return h('div.tile', { class: tone ? `tile tone-${tone}` : 'tile', dataset: { figure: key, value: JSON.stringify(v) } },
      h('div.tile-label', t('fig.' + key)),
      h('div', { class: tile.fmt(v).length > 12 ? 'tile-value long' : 'tile-value' }, tile.fmt(v)),
      sub ? h('div.tile-sub', sub) : null);
  });
}

function section(id, title, ...body) {
  return h('section.card', { id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), ...body);
}

function curveSection(report) {
  const rows = report.by_days_since_drop;
  if (!Array.isArray(rows)) return null;
  if (rows.length === 0) return section('curve', t('sec.curve'), h('p.muted', t('sec.no_data')));
  return section('curve', t('sec.curve'),
    h('p.hint', t('sec.curve.hint')),
    barChart({
      bars: rows.map((r) => ({ label: String(r.day), value: r.redeemed,
        title: `${t('col.days_since_drop')} ${r.day}: ${int(r.redeemed)} (${t('col.cumulative')} ${pct(r.cumulative_share, 1)})` })),
      line: rows.map((r) => r.cumulative_share),
      formatY: (v) => int(v),
      formatLine: (f) => pct(f, 0),
      label: t('sec.curve'),
      width: 1180,
    }),
    h('details', h('summary', t('col.days_since_drop')),
      h('table.data.compact', h('thead', h('tr', h('th.num', t('col.days_since_drop')), h('th.num', t('col.redeemed')),
        h('th.num', t('col.cumulative')))),
      h('tbody', rows.map((r) => h('tr', h('td.num', int(r.day)), h('td.num', int(r.redeemed)),
        h('td.num', pct(r.cumulative_share, 1))))))));
}

function byDaySection(report) {
  const rows = report.by_day || [];
  if (rows.length === 0) return section('by-day', t('sec.by_day'), h('p.muted', t('sec.no_data')));
  return section('by-day', t('sec.by_day'),
    report.time_zone ? h('p.hint', t('sec.by_day.tz', { tz: report.time_zone })) : null,
    barChart({
      bars: rows.map((r) => ({ label: day(r.day, 'short').replace(/\d{2,4}$/, '').replace(/[./]$/, ''),
        value: r.redeemed, title: `${day(r.day)}: ${int(r.redeemed)} · ${money(r.revenue_cents)}` })),
      formatY: (v) => int(v),
      label: t('sec.by_day'),
    }),
    h('table.data.compact#by-day-table',
      h('thead', h('tr', h('th', t('col.day')), h('th.num', t('col.redeemed')), h('th.num', t('col.revenue')),
        h('th.num', t('col.discount')))),
      h('tbody', rows.slice().reverse().map((r) => h('tr', { dataset: { day: r.day } },
        h('td', day(r.day)), h('td.num', int(r.redeemed)), h('td.num', money(r.revenue_cents)),
        h('td.num', money(r.discount_cents)))))));
}

// A small horizontal bar for a share (0..1); its width is set through the CSSOM, which
// the Content-Security-Policy allows (style attributes it does not).
function shareBar(f) {
  const bar = h('span.share-bar', { 'aria-hidden': 'true' });
  bar.style.width = `${Math.round(Math.max(0, Math.min(1, f)) * 100)}%`;
  return h('span.share-track', bar);
}

function byStoreSection(report) {
  const rows = report.by_store || [];
  if (rows.length === 0) return section('by-store', t('sec.by_store'), h('p.muted', t('sec.no_data')));
  const total = rows.reduce((a, r) => a + r.redeemed, 0);
  return section('by-store', t('sec.by_store'),
    h('table.data.compact#by-store-table',
      h('thead', h('tr', h('th', t('col.store')), h('th.num', t('col.redeemed')), h('th.num', t('col.share')),
        h('th.num', t('col.revenue')), h('th.num', t('col.discount')))),
      h('tbody', rows.map((r) => h('tr', { dataset: { store: r.store } },
        h('td', String(r.store)), h('td.num', int(r.redeemed)),
        h('td.num', h('span.share', shareBar(total ? r.redeemed / total : 0), pct(total ? r.redeemed / total : null, 1))),
        h('td.num', money(r.revenue_cents)), h('td.num', money(r.discount_cents)))))));
}

// A download link (the browser sends the certificate; the server names the file).
function dl(href, label, title) {
  return h('a.button.small', { href, download: '', title }, label);
}

function batchesSection(c, batches, onVoid) {
  const base = `/v1/campaigns/${c.id}`;
  const all = h('div.downloads', h('span.muted', t('dl.all_coupons') + ':'),
    dl(`${base}/coupons.csv`, t('dl.csv')), dl(`${base}/qr.tar?format=png`, t('dl.qr_png')),
    dl(`${base}/qr.tar?format=svg`, t('dl.qr_svg')));
  const reports = h('div.downloads', h('span.muted', t('dl.figures') + ':'), dl(`${base}/report.csv`, t('dl.report_csv')),
    dl(`${base}/report.csv?sep=%3B`, t('dl.report_excel'), t('dl.excel_hint')),
    dl(`${base}/redemptions.csv`, t('dl.redemptions_csv')),
    dl(`${base}/redemptions.csv?sep=%3B`, t('dl.redemptions_excel'), t('dl.excel_hint')));
  let table = null;
  if (Array.isArray(batches) && batches.length) {
    const links = (b) => b.downloads || {
      csv: `${base}/coupons.csv?batch=${b.id}`,
      qr_png: `${base}/qr.tar?format=png&batch=${b.id}`,
      qr_svg: `${base}/qr.tar?format=svg&batch=${b.id}`,
    };
    table = h('table.data.compact#batches-table',
      h('thead', h('tr', h('th', t('col.batch')), h('th', t('col.issued_at')), h('th.num', t('col.count')),
        h('th', t('col.state')), h('th', t('col.downloads')), h('th'))),
      h('tbody', batches.map((b) => {
        const l = links(b);
        const voided = b.voided || Boolean(b.voided_at);
        return h('tr', { dataset: { batch: b.id }, class: voided ? 'voided' : null },
          h('td', `#${b.id}`, b.kind === 'recipients' ? h('span.chip.muted-chip', t('batch.recipients')) : null),
          h('td', when(b.created_at, true)), h('td.num', int(b.count)),
          h('td', voided ? h('span.chip.state-exhausted', t('batch.voided')) : h('span.chip.state-running', t('batch.valid'))),
          h('td.downloads', l.csv ? dl(l.csv, 'CSV') : null, l.qr_png ? dl(l.qr_png, 'PNG') : null,
            l.qr_svg ? dl(l.qr_svg, 'SVG') : null, l.lettershop ? dl(l.lettershop, t('dl.lettershop')) : null),
          h('td', voided ? null : h('button.button.small.danger-outline', { type: 'button', onclick: () => onVoid(b) },
            t('act.void_batch'))));
      })));
  }
  return section('batches', t('sec.batches'), table, all, reports);
}

export function showCampaign(root, id) {
  const head = h('div#campaign-head');
  const live = h('p.live#live', { 'aria-live': 'polite' }, '…');
  const figures = h('div.tiles#figures');
  const rest = h('div#campaign-sections');
  mount(root, h('p.back', h('a', { href: '#/' }, '← ' + t('act.back'))), head, live, figures, rest);
  const seen = { campaign: '', report: '', extra: '' };
  // Optional parts of the API: asked for once, and again only when they answered.
  const optional = { compare: true, batches: true };
  let campaign = null;

  async function optionalGet(name, path) {
    if (!optional[name]) return null;
    const r = await api('GET', path);
    if (r.ok) return r.data;
    if (r.status === 404 || r.status === 405) optional[name] = false;
    return null;
  }

  async function load() {
    // All four at once: the page waits for the slowest (the report), not for a chain. The
    // campaign without its figures (the report has them): no second pass over its redemptions.
    const [c, report, cmp, batches] = await Promise.all([
      get(`/v1/campaigns/${id}?figures=false`),
      get(`/v1/campaigns/${id}/report`),
      optionalGet('compare', `/v1/campaigns/${id}/compare`),
      optionalGet('batches', `/v1/campaigns/${id}/batches`),
    ]);
    campaign = c;
    learn(report, cmp, c);
    const cText = JSON.stringify(c);
    if (cText !== seen.campaign) {
      seen.campaign = cText;
      drawHead(c);
    }
    const rText = JSON.stringify(report);
    const eText = JSON.stringify([cmp, batches]);
    if (rText !== seen.report || eText !== seen.extra) {
      seen.report = rText;
      seen.extra = eText;
      mount(figures, tiles(report));
      mount(rest,
        curveSection(report),
        h('div.two', byDaySection(report), byStoreSection(report)),
        compareSection(cmp, id),
        holdoutSection(report.holdout),
        batchesSection(c, batches?.batches ?? batches, (b) => actions.voidBatch(b)));
      // The first complete picture of the campaign (the benchmark in tests/bench times it).
      if (!performance.getEntriesByName('coupond:campaign-rendered').length) {
        performance.mark('coupond:campaign-rendered', { detail: { campaign: id } });
      }
    }
  }

  let actions = null;
  function drawHead(c) {
    const state = stateOf(c);
    actions = actionsBar(c, state);
    mount(head,
      h('div.page-head',
        h('div', h('h1#campaign-name', c.name),
          h('p.meta',
            h('span', { class: `chip state-${state}`, id: 'campaign-state', dataset: { state } }, t('state.' + state)),
            h('span', t('channel.' + c.channel)),
            h('span', windowText(c)),
            h('span', offerText(c.offer)),
            c.in_home_date ? h('span', `${t('campaign.in_home')} ${day(c.in_home_date)}`) : null,
            h('span', c.stores ? `${t('campaign.stores')} ${c.stores.join(', ')}` : t('campaign.all_stores')),
            c.variant_of ? h('span', t('campaign.variant_of') + ' ', h('a', { href: `#/c/${c.variant_of}` }, `#${c.variant_of}`)) : null,
            h('span.id', t('campaign.id', { id: c.id })))),
        actions.bar));
  }

  // The live feed: this campaign's events, filtered by coupond. Where the page shows more
  // than this campaign (the other cells of its A/B test; an open holdout, whose response is
  // any purchase of a recipient card within the response window), one feed of the types that
  // matter instead, whose events the page picks itself (one connection either way). Cards
  // are masked in the feed, so any purchase with a card counts for the holdout: fetched at
  // most every 5 s for those.
  let related = [];
  let holdoutOpen = false;
  function feeds() {
    if (!related.length && !holdoutOpen) return [{ query: `campaign=${id}`, wait: 500 }];
    const cells = new Set(related);
    const match = (e) => {
      if (e.campaign_id === id) return 500;
      if (cells.has(e.campaign_id) && !e.type.startsWith('card.')) return 1000;
      if (holdoutOpen && (e.type.startsWith('card.') || e.data?.card)) return 5000;
      return false;
    };
    return [{ query: `types=${FEED_TYPES.join(',')}`, wait: 500, match }];
  }
  function learn(report, cmp, c) {
    related = (cmp?.cells || []).map((x) => x.campaign_id).filter((x) => x !== id);
    const ho = report.holdout;
    const end = c.in_home_date && c.response_window_days != null
      ? Date.parse(c.in_home_date) + (c.response_window_days + 1) * 86400000 : Infinity;
    holdoutOpen = Boolean(ho && ho.recipients) && Date.now() < end;
  }

  const line = liveLine(live);
  watch(load, {
    feeds,
    wakeAt: () => (campaign ? nextMoment([campaign.starts_at, campaign.ends_at]) : null),
    onFeed: line.onFeed,
    onState: (ok, time) => {
      if (!campaign && !ok) {
        get(`/v1/campaigns/${id}?figures=false`).catch((e) => {
          mount(root, h('p.back', h('a', { href: '#/' }, '← ' + t('act.back'))),
            h('div.notice.error', e.status === 404 ? t('error.not_found') : e.message || t('error.load')));
        });
        return;
      }
      line.onState(ok, time);
    },
  });
}
