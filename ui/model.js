// What the console knows about a campaign beyond the API's fields: its state when the API
// does not say it, the offer and window in words, and the channel and state vocabularies.
import { t, money, int, when } from './i18n.js';

export const CHANNELS = ['mailing', 'email', 'display', 'social', 'print', 'receipt', 'sms', 'app', 'poster',
  'radio', 'other'];
export const STATES = ['scheduled', 'running', 'paused', 'ended', 'exhausted'];
const STATE_ORDER = { running: 0, paused: 1, scheduled: 2, exhausted: 3, ended: 4 };

// The campaign's state: the API's own when it gives one, else from its window and cap.
export function stateOf(c, now = Date.now()) {
  if (c.state) return c.state;
  if (c.max_redemptions && c.redeemed >= c.max_redemptions) return 'exhausted';
  if (now < Date.parse(c.starts_at)) return 'scheduled';
  if (now >= Date.parse(c.ends_at)) return 'ended';
  return 'running';
}

export function stateRank(state) {
  return STATE_ORDER[state] ?? 9;
}

export function offerText(o) {
  if (!o) return '';
  let main;
  if (o.kind === 'percent') main = t('campaign.offer.percent', { v: int(o.value) });
  else if (o.kind === 'amount') main = t('campaign.offer.amount', { v: money(o.value) });
  else if (o.multiply) main = t('campaign.offer.multiply', { v: int(o.value) });
  else main = t('campaign.offer.points', { v: int(o.value) });
  return o.min_basket_cents > 0 ? `${main} ${t('campaign.offer.min', { v: money(o.min_basket_cents) })}` : main;
}

export function windowText(c, style = 'medium') {
  return `${when(c.starts_at, false, style)} – ${when(c.ends_at, false, style)}`;
}
