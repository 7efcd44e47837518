// The campaign page's two experiments: the A/B comparison of a campaign with its variants
// (GET /v1/campaigns/{id}/compare) and the lift of a mailing over its holdout (the report's
// holdout part). Every figure is the API's; the verdict sentence is the API's own in English
// and the same verdict (with the API's figures) in German.
import { h } from './dom.js';
import { t, language, int, pct, pp, money, decimal, day } from './i18n.js';

function section(id, title, ...body) {
  return h('section.card', { id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), ...body);
}

// [low; high] of a pair, each formatted by FMT, or a dash.
function interval(pair, fmt) {
  if (!Array.isArray(pair) || pair[0] == null || pair[1] == null) return '–';
  return `[${fmt(pair[0])}; ${fmt(pair[1])}]`;
}

const pctPoints = (v) => `${decimal(v, 2)} %`;

// The verdict of variant CELL against CONTROL: the API's sentence, or in German the same
// verdict in German words.
function sentenceOf(cell, control) {
  if (language() === 'en' || !cell.verdict) return cell.sentence;
  const vars = { v: cell.name, c: control.name, n: int(cell.pieces_needed) };
  if (cell.verdict === 'not_significant' && !cell.pieces_needed) return t('ab.verdict.same', vars);
  return t('ab.verdict.' + cell.verdict, vars);
}

const VERDICT_TONE = { better: 'state-running', worse: 'state-exhausted', not_significant: 'state-paused', no_data: 'state-ended' };

export function compareSection(cmp, id) {
  const cells = cmp && cmp.cells;
  if (!Array.isArray(cells) || cells.length < 2) return null;
  const control = cells.find((c) => c.control) || cells[0];
  return section('ab', t('sec.ab'),
    h('div#ab-sentences', cells.filter((c) => !c.control && c.sentence).map((c) =>
      h('p.verdict', { dataset: { campaign: c.campaign_id, verdict: c.verdict } }, sentenceOf(c, control)))),
    h('div.table-scroll', h('table.data#ab-table',
      h('thead', h('tr', h('th', t('col.variant')), h('th.num', t('col.pieces')), h('th.num', t('col.responses')),
        h('th.num', t('col.rate')), h('th.num', t('col.difference')), h('th.num', t('col.ci')), h('th.num', t('col.p')),
        h('th', t('col.result')))),
      h('tbody', cells.map((c) => h('tr', { class: String(c.campaign_id) === String(id) ? 'current' : null,
        dataset: { campaign: c.campaign_id } },
        h('td', h('a', { href: `#/c/${c.campaign_id}` }, c.name),
          c.control ? h('span.chip.muted-chip', t('ab.control')) : null),
        h('td.num', int(c.pieces)),
        h('td.num', int(c.responses)),
        h('td.num', pct(c.rate)),
        h('td.num', c.control ? '' : pp(c.diff_pp)),
        h('td.num', c.control ? '' : interval(c.ci_pp, (v) => pp(v))),
        h('td.num', c.control ? '' : decimal(c.p_value, 4)),
        h('td', c.control || !c.verdict ? '' : h('span', { class: `chip ${VERDICT_TONE[c.verdict] || ''}` },
          t('ab.result.' + c.verdict)))))))),
    h('p.hint', t('ab.hint')));
}

export function holdoutSection(ho) {
  if (!ho || !ho.mailed) return null;
  const m = ho.mailed;
  const x = ho.held_out || {};
  const tile = (key, label, value, sub) => h('div.tile', { dataset: { figure: 'holdout.' + key } },
    h('div.tile-label', label), h('div.tile-value', value), sub ? h('div.tile-sub', sub) : null);
  return section('holdout', t('sec.holdout'),
    h('p.hint', t('holdout.about', {
      n: int(ho.recipients), pct: decimal(ho.holdout_pct, ho.holdout_pct % 1 ? 2 : 0),
      from: day(ho.window_from), to: day(ho.window_to) })),
    ho.significant == null ? null : h('p.verdict#holdout-verdict',
      t(ho.significant ? 'holdout.significant' : 'holdout.not_significant', { lift: pp(ho.lift_pp) })),
    h('div.tiles.small',
      tile('mailed', t('holdout.mailed'), pct(m.rate), t('holdout.of', { x: int(m.responders), n: int(m.cards) })),
      tile('held_out', t('holdout.holdout'), pct(x.rate), t('holdout.of', { x: int(x.responders), n: int(x.cards) })),
      tile('lift_pp', t('holdout.lift'), pp(ho.lift_pp), interval(ho.lift_pp_ci, (v) => pp(v))),
      tile('lift_pct', t('holdout.lift_pct'), ho.lift_pct == null ? '–' : pctPoints(ho.lift_pct),
        interval(ho.lift_pct_ci, pctPoints)),
      tile('incremental_revenue_per_piece_cents', t('holdout.incremental_revenue'),
        money(ho.incremental_revenue_per_piece_cents == null ? null : Math.round(ho.incremental_revenue_per_piece_cents)),
        ho.incremental_revenue_cents == null ? null : t('holdout.incremental_total', { v: money(ho.incremental_revenue_cents) })),
      tile('incremental_roas', t('holdout.incremental_roas'), decimal(ho.incremental_roas))));
}
