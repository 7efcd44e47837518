// The campaign list: every campaign with its state, channel, window, pieces, redemptions,
// response rate, revenue, ROAS and cost; filters by state, channel and name; sorting by any
// column; a total row over what the filter shows.
import { h, mount } from './dom.js';
import { allCampaigns, get } from './api.js';
import { t, money, int, pct, decimal } from './i18n.js';
import { CHANNELS, STATES, stateOf, stateRank, windowText } from './model.js';
import { watch, nextMoment, liveLine } from './live.js';

// Filter and sort survive a visit to a campaign page.
const view = { state: '', channel: '', search: '', sort: 'starts_at', dir: -1 };
// Reports fetched for list rows the API gives no revenue for, by campaign id, with the
// counts they were fetched at (fetched again only when those change).
const reports = new Map();
// The live feed's events that change a figure or a state the list shows.
const LIST_EVENTS = ['batch.issued', 'batch.voided', 'campaign.created', 'campaign.ended', 'campaign.exhausted',
  'campaign.paused', 'campaign.resumed', 'redemption.created', 'redemption.voided'].join(',');

const COLUMNS = [
  { key: 'name', label: 'col.name', num: false },
  { key: 'state', label: 'col.state', num: false },
  { key: 'channel', label: 'col.channel', num: false },
  { key: 'starts_at', label: 'col.window', num: false },
  { key: 'pieces', label: 'col.pieces', num: true },
  { key: 'redeemed', label: 'col.redeemed', num: true },
  { key: 'rate', label: 'col.rate', num: true },
  { key: 'revenue', label: 'col.revenue', num: true },
  { key: 'roas', label: 'col.roas', num: true },
  { key: 'cost', label: 'col.cost', num: true },
];

// One row's figures from the campaign and, where the list lacks them, its report.
function rowOf(c) {
  const r = reports.get(c.id)?.report;
  const pieces = c.pieces ?? c.issued ?? r?.issued ?? 0;
  const redeemed = c.redeemed ?? r?.redeemed ?? 0;
  return {
    c,
    id: c.id,
    name: c.name,
    state: stateOf(c),
    channel: c.channel,
    starts_at: c.starts_at,
    pieces,
    redeemed,
    rate: c.response_rate ?? c.redemption_rate ?? r?.redemption_rate ?? (pieces > 0 ? redeemed / pieces : null),
    revenue: c.revenue_cents ?? r?.revenue_cents ?? null,
    roas: c.roas ?? r?.roas ?? null,
    cost: c.total_cost_cents ?? r?.cost_cents ?? c.cost_cents ?? null,
  };
}

// Fetches the reports of campaigns whose list entry has no revenue, four at a time,
// only for those whose counts changed since the last fetch.
async function fillReports(campaigns) {
  const todo = campaigns.filter((c) => {
    if (c.revenue_cents !== undefined) return false;
    const seen = reports.get(c.id);
    return !seen || seen.issued !== c.issued || seen.redeemed !== c.redeemed;
  });
  const worker = async () => {
    for (let c = todo.shift(); c; c = todo.shift()) {
      const report = await get(`/v1/campaigns/${c.id}/report`);
      reports.set(c.id, { issued: c.issued, redeemed: c.redeemed, report });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

function compare(a, b) {
  const k = view.sort;
  let x = a[k];
  let y = b[k];
  if (k === 'state') {
    x = stateRank(x);
    y = stateRank(y);
  }
  if (x === y) return b.id - a.id;
  if (x === null || x === undefined) return 1;
  if (y === null || y === undefined) return -1;
  if (typeof x === 'string') return x.localeCompare(y) * view.dir;
  return (x - y) * view.dir;
}

function select(id, label, value, options, onChange) {
  return h('label.field.inline', {}, h('span', label),
    h('select', { id, onchange: (e) => onChange(e.target.value) },
      h('option', { value: '' }, t('list.filter.all')),
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

export function showList(root) {
  let campaigns = null;
  let failed = false;
  const body = h('div#list-body');
  const filters = h('div.filters',
    select('filter-state', t('list.filter.state'), view.state, STATES.map((s) => [s, t('state.' + s)]), (v) => {
      view.state = v;
      draw();
    }),
    select('filter-channel', t('list.filter.channel'), view.channel,
      CHANNELS.map((c) => [c, t('channel.' + c)]), (v) => {
        view.channel = v;
        draw();
      }),
    h('label.field.inline', {}, h('span', t('list.filter.search')),
      h('input#filter-search', { type: 'search', value: view.search, oninput: (e) => {
        view.search = e.target.value;
        draw();
      } })));
  const live = h('p.live#live', { 'aria-live': 'polite' }, '…');
  mount(root,
    h('div.page-head', h('h1', t('list.title')),
      h('a.button.primary#new-campaign', { href: '#/new' }, t('nav.new'))),
    live,
    filters,
    body);

  function header() {
    return h('tr', COLUMNS.map((col) => {
      const active = view.sort === col.key;
      return h('th', {
        class: col.num ? 'num' : null,
        scope: 'col',
        'aria-sort': active ? (view.dir > 0 ? 'ascending' : 'descending') : null,
      }, h('button.sort', {
        type: 'button',
        dataset: { sort: col.key },
        onclick: () => {
          if (view.sort === col.key) view.dir = -view.dir;
          else {
            view.sort = col.key;
            view.dir = col.num ? -1 : 1;
          }
          draw();
        },
      }, t(col.label), h('span.arrow', { 'aria-hidden': 'true' }, active ? (view.dir > 0 ? '▲' : '▼') : '')));
    }));
  }

  function draw() {
    if (campaigns === null) {
      mount(body, h('p.muted', failed ? t('error.load') : '…'));
      return;
    }
    if (campaigns.length === 0) {
      mount(body, h('div.empty', h('p', t('list.empty')), h('a.button.primary', { href: '#/new' }, t('nav.new'))));
      return;
    }
    const q = view.search.trim().toLowerCase();
    const rows = campaigns.map(rowOf).filter((r) =>
      (!view.state || r.state === view.state) && (!view.channel || r.channel === view.channel) &&
      (!q || r.name.toLowerCase().includes(q) || String(r.id) === q));
    rows.sort(compare);
    const sum = (k) => rows.reduce((a, r) => a + (r[k] ?? 0), 0);
    const totals = { pieces: sum('pieces'), redeemed: sum('redeemed'), revenue: sum('revenue'), cost: sum('cost') };
    mount(body, h('div.table-wrap', h('table#campaigns.data', {},
      h('thead', header()),
      h('tbody', rows.length === 0
        ? h('tr', h('td.muted', { colspan: COLUMNS.length }, t('list.none_match')))
        : rows.map((r) => h('tr', { dataset: { id: r.id } },
          h('td.name', h('a', { href: `#/c/${r.id}` }, r.name), h('span.id', `#${r.id}`)),
          h('td', h('span', { class: `chip state-${r.state}`, dataset: { state: r.state } }, t('state.' + r.state))),
          h('td', t('channel.' + r.channel)),
          h('td.nowrap', windowText(r.c, 'short')),
          h('td.num', { dataset: { col: 'pieces' } }, int(r.pieces)),
          h('td.num', { dataset: { col: 'redeemed' } }, int(r.redeemed)),
          h('td.num', { dataset: { col: 'rate' } }, pct(r.rate)),
          h('td.num', { dataset: { col: 'revenue' } }, money(r.revenue)),
          h('td.num', { dataset: { col: 'roas' } }, decimal(r.roas)),
          h('td.num', { dataset: { col: 'cost' } }, money(r.cost))))),
      rows.length > 1 ? h('tfoot', h('tr',
        h('th', { scope: 'row', colspan: 4 }, t('list.total', { n: int(rows.length) })),
        h('td.num', int(totals.pieces)),
        h('td.num', int(totals.redeemed)),
        h('td.num', pct(totals.pieces > 0 ? totals.redeemed / totals.pieces : null)),
        h('td.num', money(totals.revenue)),
        h('td.num', decimal(totals.cost > 0 ? totals.revenue / totals.cost : null)),
        h('td.num', money(totals.cost)))) : null)));
  }

  draw();
  watch(async () => {
    try {
      const list = await allCampaigns();
      await fillReports(list);
      campaigns = list;
      failed = false;
    } catch (e) {
      failed = campaigns === null;
      throw e;
    } finally {
      draw();
    }
  }, {
    ...liveLine(live),
    everyMs: 15000,
    // The list follows every campaign's figures: one fetch for all the events of 5 s.
    feeds: () => [{ query: `types=${LIST_EVENTS}`, wait: 5000 }],
    wakeAt: () => nextMoment((campaigns || []).flatMap((c) => [c.starts_at, c.ends_at])),
  });
}
