// Creating and editing a campaign. The form turns what a person types (euros, local dates
// and times, store lists) into the API's fields and nothing more: every rule (ranges, end
// after start, variants) is the API's, and its own sentence is shown beside the form, with
// the field it names marked.
import { h, mount } from './dom.js';
import { api, allCampaigns, get } from './api.js';
import { t, money, decimal, parseMoney, parseDecimal } from './i18n.js';
import { CHANNELS } from './model.js';
import { field, notify } from './dialog.js';
import { stop } from './live.js';

const pad = (n) => String(n).padStart(2, '0');

// An RFC 3339 time → the value of a datetime-local input (local time).
export function toLocalInput(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A datetime-local value (local time) → RFC 3339 in UTC, or null when empty or invalid.
export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class Local extends Error {}

// What PATCH /v1/campaigns/{id} can change; the other fields show but cannot be edited.
const EDITABLE = ['name', 'ends_at', 'in_home_date', 'cost_cents', 'fixed_cost_cents', 'gross_margin_pct',
  'response_window_days'];

// The request body from the form's inputs (by their name, which is the API's field); when
// editing campaign C, only what changed.
function bodyOf(form, c) {
  const editing = c !== null;
  const v = (name) => form.elements[name]?.value.trim() ?? '';
  const fail = (name, key) => {
    const e = new Local(t(key));
    e.field = name;
    throw e;
  };
  const money_ = (name, required) => {
    if (v(name) === '') return required ? 0 : undefined;
    const c = parseMoney(v(name));
    if (c === null) fail(name, 'form.error.amount');
    return c;
  };
  // Whole numbers go as numbers; anything else goes as typed, so the API says what is wrong.
  const intOrRaw = (name) => (v(name) === '' ? undefined : /^-?\d+$/.test(v(name)) ? Number(v(name)) : v(name));
  const time = (name) => {
    const iso = fromLocalInput(v(name));
    if (v(name) !== '' && iso === null) fail(name, 'form.error.date');
    return iso ?? undefined;
  };
  if (editing) {
    const now = {
      name: v('name'),
      ends_at: time('ends_at'),
      in_home_date: v('in_home_date') || undefined,
      cost_cents: money_('cost_cents', false),
      fixed_cost_cents: money_('fixed_cost_cents', false),
      gross_margin_pct: v('gross_margin_pct') === '' ? undefined : parseDecimal(v('gross_margin_pct')) ?? v('gross_margin_pct'),
      response_window_days: intOrRaw('response_window_days'),
    };
    const body = {};
    for (const k of EDITABLE) {
      const was = k === 'ends_at' ? fromLocalInput(toLocalInput(c[k])) : c[k];
      if (now[k] !== undefined && String(now[k]) !== String(was ?? '')) body[k] = now[k];
    }
    return body;
  }
  const kind = v('offer.kind');
  const offer = { kind, value: kind === 'amount' ? money_('offer.value', false) : intOrRaw('offer.value') };
  const minBasket = money_('offer.min_basket_cents', false);
  if (minBasket !== undefined) offer.min_basket_cents = minBasket;
  let stores;
  if (v('stores') !== '') {
    const parts = v('stores').split(/[,;\s]+/).filter(Boolean);
    if (!parts.every((p) => /^\d+$/.test(p))) fail('stores', 'form.error.stores');
    stores = parts.map(Number);
  }
  const margin = v('gross_margin_pct');
  const body = {
    name: v('name'),
    channel: v('channel'),
    cost_cents: money_('cost_cents', true),
    starts_at: time('starts_at'),
    ends_at: time('ends_at'),
    offer,
    in_home_date: v('in_home_date') || undefined,
    fixed_cost_cents: money_('fixed_cost_cents', false),
    gross_margin_pct: margin === '' ? undefined : parseDecimal(margin) ?? margin,
    response_window_days: intOrRaw('response_window_days'),
    max_redemptions: intOrRaw('max_redemptions'),
    stores,
    variant_of: intOrRaw('variant_of'),
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body;
}

function input(name, attrs = {}) {
  return h('input', { name, id: 'f-' + name.replace('.', '-'), autocomplete: 'off', ...attrs });
}

function select(name, options, value) {
  return h('select', { name, id: 'f-' + name.replace('.', '-') },
    options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
}

// Marks the input the API's sentence names ('offer.value', 'ends_at', …) and focuses it.
function markField(form, message, name) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const named = name || (/'([a-z_.]+)'/.exec(message || '') || [])[1];
  // The API names nested fields by their own name ('value' of the offer) or by path.
  const el = named && (form.elements[named] || [...form.elements].find((e) => e.name && e.name.endsWith('.' + named)));
  if (el && el.setAttribute) {
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  }
}

export async function showForm(root, id) {
  stop();
  const editing = id !== undefined;
  let c = {};
  let campaigns = [];
  try {
    if (editing) c = await get(`/v1/campaigns/${id}`);
    else campaigns = await allCampaigns();
  } catch (e) {
    mount(root, h('div.notice.error', e.status === 404 ? t('error.not_found') : e.message || t('error.load')));
    return;
  }
  const now = new Date();
  const start = editing ? c.starts_at : new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
  const end = editing ? c.ends_at : new Date(now.getFullYear(), now.getMonth(), now.getDate() + 56, 23, 59).toISOString();
  const ro = editing ? { disabled: true } : {};
  const rw = {}; // editable when editing too
  const opt = t('form.optional');
  const kind = select('offer.kind', ['percent', 'amount', 'points'].map((k) => [k, t('form.offer_kind.' + k)]),
    c.offer?.kind);
  Object.assign(kind, ro);
  const valueHint = h('span.hint');
  const setHint = () => {
    valueHint.textContent = t('form.offer_value.hint.' + kind.value);
  };
  kind.addEventListener('change', setHint);
  setHint();
  const offerValue = c.offer ? (c.offer.kind === 'amount' ? money(c.offer.value) : String(c.offer.value)) : '10';
  const error = h('div.form-error#form-error', { role: 'alert' });
  const submit = h('button.button.primary#form-submit', { type: 'submit' }, editing ? t('act.save') : t('act.create'));
  const form = h('form.campaign-form#campaign-form', { novalidate: true },
    h('fieldset.card', h('legend', t('form.basics')),
      h('div.grid',
        field(t('form.name'), input('name', { value: c.name ?? '', maxlength: 200, required: true })),
        field(t('form.channel'), Object.assign(select('channel', CHANNELS.map((ch) => [ch, t('channel.' + ch)]),
          c.channel ?? 'mailing'), ro)),
        field(t('form.starts_at'), input('starts_at', { type: 'datetime-local', value: toLocalInput(start), ...ro })),
        field(t('form.ends_at'), input('ends_at', { type: 'datetime-local', value: toLocalInput(end) })),
        field(t('form.in_home_date'), input('in_home_date', { type: 'date', value: c.in_home_date ?? '', ...rw }),
          `${opt} · ${t('form.in_home_date.hint')}`))),
    h('fieldset.card', h('legend', t('form.offer')),
      h('div.grid',
        field(t('form.offer_kind'), kind),
        h('label.field', h('span.label', t('form.offer_value')),
          input('offer.value', { inputmode: 'decimal', value: offerValue, ...ro }), valueHint),
        field(t('form.min_basket'), input('offer.min_basket_cents', { inputmode: 'decimal',
          value: c.offer?.min_basket_cents ? money(c.offer.min_basket_cents) : '', placeholder: money(0), ...ro }), opt))),
    h('fieldset.card', h('legend', t('form.money')),
      h('div.grid',
        field(t('form.cost'), input('cost_cents', { inputmode: 'decimal', value: c.cost_cents != null ? money(c.cost_cents) : '',
          placeholder: money(0), ...rw }), t('form.cost.hint')),
        field(t('form.fixed_cost'), input('fixed_cost_cents', { inputmode: 'decimal',
          value: c.fixed_cost_cents != null ? money(c.fixed_cost_cents) : '', ...rw }), opt),
        field(t('form.gross_margin_pct'), input('gross_margin_pct', { inputmode: 'decimal',
          value: c.gross_margin_pct != null ? decimal(c.gross_margin_pct) : '', ...rw }), opt),
        field(t('form.response_window_days'), input('response_window_days', { inputmode: 'numeric',
          value: c.response_window_days ?? '', ...rw }), `${opt} · ${t('form.response_window_days.hint')}`))),
    h('fieldset.card', h('legend', t('form.limits')),
      h('div.grid',
        field(t('form.max_redemptions'), input('max_redemptions', { inputmode: 'numeric', value: c.max_redemptions ?? '',
          ...ro }), opt),
        field(t('form.stores'), input('stores', { value: c.stores ? c.stores.join(', ') : '', ...ro }),
          `${opt} · ${t('form.stores.hint')}`),
        field(t('form.variant_of'), Object.assign(select('variant_of',
          [['', t('form.variant_of.none')], ...(editing && c.variant_of ? [[c.variant_of, `#${c.variant_of}`]] : []),
            ...campaigns.map((x) => [x.id, `#${x.id} ${x.name}`])], c.variant_of), ro), opt))),
    error,
    h('div.form-actions',
      h('a.button', { href: editing ? `#/c/${id}` : '#/' }, t('act.cancel')), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.replaceChildren();
    let body;
    try {
      body = bodyOf(form, editing ? c : null);
    } catch (err) {
      if (!(err instanceof Local)) throw err;
      mount(error, h('strong', t('form.error.title') + ': '), err.message);
      markField(form, '', err.field);
      return;
    }
    if (editing && Object.keys(body).length === 0) {
      mount(error, h('span#form-error-text', t('form.nothing')));
      return;
    }
    submit.disabled = true;
    const r = editing
      ? await api('PATCH', `/v1/campaigns/${id}`, body)
      : await api('POST', '/v1/campaigns', body);
    submit.disabled = false;
    if (!r.ok) {
      mount(error, h('strong', t('form.error.title') + ': '), h('span#form-error-text', r.message || t('error.network')));
      markField(form, r.message);
      error.scrollIntoView({ block: 'nearest' });
      return;
    }
    notify(t('form.saved'));
    location.hash = `#/c/${r.data.id ?? id}`;
  });
  mount(root, h('div.page-head', h('h1', editing ? t('form.edit') : t('form.new'))), form);
  form.elements.name.focus();
}
