// The campaign page's two experiments: the A/B comparison of a campaign with its variants
// (GET /v1/campaigns/{id}/compare) and the lift of a mailing over its holdout (the report's
// holdout part). Both show the API's figures and its own sentence; nothing is computed here.
import { h } from './dom.js';
import { t, int, pct, pp, money, decimal } from './i18n.js';

function section(id, title, ...body) {
  return h('section.card', { id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), ...body);
}

const first = (o, ...keys) => {
  for (const k of keys) if (o && o[k] !== undefined) return o[k];
  return undefined;
};

// [low, high] in percentage points, or a dash.
function interval(lo, hi) {
  if (lo == null || hi == null) return '–';
  return `[${pp(lo)}; ${pp(hi)}]`;
}

export function compareSection(cmp, id) {
  const cells = cmp && (cmp.cells || cmp.variants);
  if (!Array.isArray(cells) || cells.length < 2) return null;
  return section('ab', t('sec.ab'),
    cmp.sentence || cmp.message ? h('p.verdict#ab-sentence', cmp.sentence || cmp.message) : null,
    h('table.data#ab-table',
      h('thead', h('tr', h('th', t('col.variant')), h('th.num', t('col.pieces')), h('th.num', t('col.responses')),
        h('th.num', t('col.rate')), h('th.num', t('col.difference')), h('th.num', t('col.ci')), h('th.num', t('col.p')))),
      h('tbody', cells.map((c) => {
        const cid = first(c, 'campaign_id', 'id');
        const control = first(c, 'control') === true || first(c, 'role') === 'control';
        return h('tr', { class: String(cid) === String(id) ? 'current' : null, dataset: { campaign: cid } },
          h('td', h('a', { href: `#/c/${cid}` }, first(c, 'name') ?? `#${cid}`),
            control ? h('span.chip.muted-chip', t('ab.control')) : null),
          h('td.num', int(first(c, 'pieces'))),
          h('td.num', int(first(c, 'responses', 'redeemed'))),
          h('td.num', pct(first(c, 'rate', 'response_rate'))),
          h('td.num', control ? '' : pp(first(c, 'difference_pp', 'diff_pp'))),
          h('td.num', control ? '' : interval(first(c, 'ci_low_pp'), first(c, 'ci_high_pp'))),
          h('td.num', control ? '' : decimal(first(c, 'p_value'), 4)));
      }))));
}

export function holdoutSection(ho) {
  if (!ho) return null;
  const mailed = first(ho, 'mailed') || {};
  const held = first(ho, 'held_out', 'holdout') || {};
  return section('holdout', t('sec.holdout'),
    ho.sentence ? h('p.verdict', ho.sentence) : null,
    h('div.tiles.small',
      h('div.tile', h('div.tile-label', t('holdout.mailed')), h('div.tile-value', pct(first(mailed, 'rate', 'response_rate'))),
        h('div.tile-sub', `${int(first(mailed, 'responders', 'responses'))} / ${int(first(mailed, 'cards', 'pieces', 'count'))}`)),
      h('div.tile', h('div.tile-label', t('holdout.holdout')), h('div.tile-value', pct(first(held, 'rate', 'response_rate'))),
        h('div.tile-sub', `${int(first(held, 'responders', 'responses'))} / ${int(first(held, 'cards', 'pieces', 'count'))}`)),
      h('div.tile', h('div.tile-label', t('holdout.lift')), h('div.tile-value', pp(first(ho, 'lift_pp'))),
        h('div.tile-sub', interval(first(ho, 'ci_low_pp'), first(ho, 'ci_high_pp')))),
      h('div.tile', h('div.tile-label', t('holdout.incremental_revenue')),
        h('div.tile-value', money(first(ho, 'incremental_revenue_per_piece_cents')))),
      h('div.tile', h('div.tile-label', t('holdout.incremental_roas')), h('div.tile-value', decimal(first(ho, 'incremental_roas'))))));
}
