// What a marketer does to a campaign from its page: edit, issue coupons (with progress for
// big batches), upload a recipient list with a holdout, pause, resume, end early, extend,
// and void a misprinted batch. Each answer of the API is shown as it is.
import { h, mount } from './dom.js';
import { api } from './api.js';
import { t, int, decimal, parseDecimal } from './i18n.js';
import { formDialog, field, notify } from './dialog.js';
import { refreshNow } from './live.js';
import { toLocalInput, fromLocalInput } from './form.js';

function errorOf(r) {
  return { ok: false, message: r.message || (r.status === 0 ? t('error.network') : `HTTP ${r.status}`) };
}

// A fresh idempotency key: a retried or double-clicked request does the work once.
function requestKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function issueDialog(c) {
  const count = h('input#issue-count', { name: 'count', type: 'text', inputmode: 'numeric', required: true,
    autocomplete: 'off', value: '1000' });
  const progress = h('div.progress-area#issue-progress', { 'aria-live': 'polite' });
  const key = requestKey(); // one key per dialog: submitting again after a failure is the same request
  formDialog('issue-dialog', t('issue.title'),
    [h('p.muted', c.name), field(t('issue.count'), count, t('issue.count.hint')), progress],
    t('issue.submit'),
    async (form) => {
      const text = count.value.replace(/[\s.,']/g, '');
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      // Anything that is not a plain number goes to the API as typed, so its sentence shows.
      const body = { count: Number.isSafeInteger(n) ? n : count.value };
      const started = performance.now();
      const bar = h('div.progress.indeterminate', h('span'));
      const label = h('span');
      const tickLabel = () => {
        label.textContent = t('issue.running', { n: int(n), s: Math.floor((performance.now() - started) / 1000) });
      };
      tickLabel();
      mount(progress, label, bar);
      const timer = setInterval(tickLabel, 250);
      const r = await api('POST', `/v1/campaigns/${c.id}/coupons`, body, { 'Idempotency-Key': key });
      clearInterval(timer);
      if (!r.ok) {
        progress.replaceChildren();
        return errorOf(r);
      }
      const s = decimal((performance.now() - started) / 1000, 1);
      const done = t('issue.done', { n: int(r.data.issued), batch: r.data.batch_id ?? '–', s });
      mount(progress, h('p.ok#issue-done', done), h('div.downloads',
        h('a.button.small', { href: `/v1/campaigns/${c.id}/coupons.csv`, download: '' }, t('dl.csv')),
        h('a.button.small', { href: `/v1/campaigns/${c.id}/qr.tar?format=png`, download: '' }, t('dl.qr_png'))));
      form.querySelector('button[type=submit]').hidden = true;
      form.querySelector('.dialog-actions button[type=button]').textContent = t('act.close');
      notify(done);
      refreshNow();
      return { ok: true, keepOpen: true };
    });
  count.focus();
  count.select();
}

function recipientsDialog(c) {
  const file = h('input#recipients-file', { type: 'file', accept: '.csv,.txt,text/csv,text/plain' });
  const pctIn = h('input#recipients-holdout', { type: 'text', inputmode: 'decimal', value: '10' });
  const info = h('p.muted#recipients-info');
  let text = null;
  file.addEventListener('change', async () => {
    text = file.files[0] ? await file.files[0].text() : null;
    info.textContent = text === null ? '' : t('recipients.lines', { n: int(text.split(/\r?\n/).filter((l) => l.trim()).length) });
  });
  const key = requestKey();
  formDialog('recipients-dialog', t('recipients.title'),
    [h('p.muted', c.name), field(t('recipients.file'), file), field(t('recipients.holdout_pct'), pctIn,
      t('recipients.holdout_pct.hint')), info],
    t('recipients.submit'),
    async () => {
      // The file goes as it is (CSV, one card per line); the API reads and checks every line.
      const p = parseDecimal(pctIn.value);
      const q = encodeURIComponent(p === null ? pctIn.value.trim() : String(p));
      const r = await api('POST', `/v1/campaigns/${c.id}/recipients?holdout_pct=${q}`, text ?? '',
        { 'Content-Type': 'text/csv', 'Idempotency-Key': key });
      if (!r.ok) return errorOf(r);
      const d = r.data;
      notify(t('recipients.done', { recipients: int(d.recipients), mailed: int(d.mailed), holdout: int(d.holdout),
        issued: int(d.issued) }));
      refreshNow();
      return { ok: true };
    });
}

function extendDialog(c) {
  const until = h('input#extend-until', { type: 'datetime-local', value: toLocalInput(c.ends_at), required: true });
  formDialog('extend-dialog', t('extend.title'), [h('p.muted', c.name), field(t('extend.until'), until)],
    t('act.save'),
    async () => {
      const ends = fromLocalInput(until.value);
      const r = await api('PATCH', `/v1/campaigns/${c.id}`, { ends_at: ends ?? until.value });
      if (!r.ok) return errorOf(r);
      notify(t('form.saved'));
      refreshNow();
      return { ok: true };
    });
}

// POST /v1/campaigns/{id}/VERB (pause, resume, end), after a confirmation for end.
async function lifecycle(c, verb) {
  const run = async () => {
    const r = await api('POST', `/v1/campaigns/${c.id}/${verb}`, {});
    if (!r.ok) return errorOf(r);
    notify(t('state.' + (r.data?.state || (verb === 'end' ? 'ended' : verb === 'pause' ? 'paused' : 'running'))));
    refreshNow();
    return { ok: true };
  };
  if (verb !== 'end') {
    const r = await run();
    if (!r.ok) notify(r.message, 'error');
    return;
  }
  formDialog('end-dialog', t('act.end'), h('p', t('confirm.end', { name: c.name })), t('act.end'), run,
    { danger: true });
}

function voidBatch(b) {
  formDialog('void-dialog', t('act.void_batch'), h('p', t('confirm.void_batch', { id: b.id, n: int(b.count ?? b.issued) })),
    t('act.void_batch'),
    async () => {
      const r = await api('POST', `/v1/batches/${b.id}/void`, {});
      if (!r.ok) return errorOf(r);
      refreshNow();
      return { ok: true };
    }, { danger: true });
}

// The buttons for campaign C in STATE, and the batch-void action for the batch table.
export function actionsBar(c, state) {
  const open = state !== 'ended';
  const button = (id, label, onclick, cls = 'button') =>
    h('button', { type: 'button', id, class: cls, onclick }, label);
  const bar = h('div.actions#campaign-actions',
    open ? button('act-issue', t('act.issue'), () => issueDialog(c), 'button primary') : null,
    open ? button('act-recipients', t('act.recipients'), () => recipientsDialog(c)) : null,
    h('a.button#act-edit', { href: `#/c/${c.id}/edit` }, t('act.edit')),
    state === 'running' || state === 'scheduled' ? button('act-pause', t('act.pause'), () => lifecycle(c, 'pause')) : null,
    state === 'paused' ? button('act-resume', t('act.resume'), () => lifecycle(c, 'resume')) : null,
    open ? button('act-extend', t('act.extend'), () => extendDialog(c)) : null,
    open ? button('act-end', t('act.end'), () => lifecycle(c, 'end'), 'button danger-outline') : null);
  return { bar, voidBatch };
}
