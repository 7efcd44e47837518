// Modal dialogs (the browser's own <dialog>) and the notice line at the top of the page.
import { h, mount, $ } from './dom.js';
import { t } from './i18n.js';

// Shows TEXT in the page's notice line (KIND: 'ok' or 'error') for a while.
export function notify(text, kind = 'ok') {
  const box = $('#notice');
  if (!box) return;
  mount(box, h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', text),
    h('button.notice-close', { type: 'button', 'aria-label': t('act.close'), onclick: () => box.replaceChildren() }, '×')));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.replaceChildren(), kind === 'error' ? 12000 : 6000);
}

// A modal form: TITLE, BODY (nodes), a submit button labelled SUBMIT. ON_SUBMIT(form,
// dialog) returns a promise of {ok, message}; a refusal's sentence shows inside the dialog
// and it stays open; on success it closes unless ON_SUBMIT returned keepOpen. Returns the
// <dialog>, already shown.
export function formDialog(id, title, body, submit, onSubmit, { danger = false } = {}) {
  const error = h('div.form-error', { role: 'alert', id: id + '-error' });
  const button = h('button.button', { type: 'submit', class: danger ? 'button danger' : 'button primary' }, submit);
  const form = h('form', { method: 'dialog', novalidate: true },
    h('h2', title), body, error,
    h('div.dialog-actions',
      h('button.button', { type: 'button', onclick: () => dlg.close() }, t('act.cancel')), button));
  const dlg = h('dialog.dialog', { id }, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.replaceChildren();
    button.disabled = true;
    let r;
    try {
      r = await onSubmit(form, dlg);
    } finally {
      button.disabled = false;
    }
    if (r && !r.ok) {
      mount(error, h('strong', t('form.error.title') + ': '), r.message || t('error.network'));
    } else if (!(r && r.keepOpen)) {
      dlg.close();
    }
  });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

// A labelled input for dialogs and forms.
export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('span.hint', hint) : null);
}
