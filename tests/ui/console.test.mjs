// console_in_a_real_browser (driven by tests/integration/t_ui_console.sh, which prepares the
// NSS databases and the certificate policy): Debian's chromium over the DevTools protocol
// opens coupond's console as a marketer, creates a campaign through the form (bad input first:
// the page must show the API's own sentence for exactly what it sent), issues coupons, and
// while the page stays open tills redeem some through the API with curl; the page must then
// show, by itself, the same figures as the report JSON, in German and in English. Without a
// certificate the console is refused (401), with a till's certificate too (403).
// Screenshots of the campaign page and the list go to $UI_SHOTS.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const { UI_URL: base, UI_CA: ca, UI_CERTS: certs, UI_SHOTS: shots } = process.env;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
let passed = 0;
const ok = (what) => {
  passed++;
  console.log('ok   ' + what);
};

// The API as curl sees it: CERT is the dev certificate's name (marketer, terminal-1, …).
function call(cert, method, path, body) {
  const args = ['-sS', '--cacert', ca, '--cert', `${certs}/${cert}.pem`, '--key', `${certs}/${cert}.key`,
    '-X', method, '-w', '\n%{http_code}', `${base}${path}`];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', typeof body === 'string' ? body : JSON.stringify(body));
  const out = execFileSync('curl', args, { encoding: 'utf8' });
  const i = out.lastIndexOf('\n');
  const text = out.slice(0, i);
  let json = null;
  try {
    json = JSON.parse(text);
  } catch (e) {
    json = null;
  }
  return { status: Number(out.slice(i + 1)), json, text };
}

// German figures written out by hand (not through Intl, which the page uses).
const group = (digits, sep) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
const deInt = (n) => group(String(n), '.');
const deMoney = (c) => `${c < 0 ? '-' : ''}${group(String(Math.floor(Math.abs(c) / 100)), '.')},${String(Math.abs(c) % 100).padStart(2, '0')} €`;
const dePct = (f) => `${(f * 100).toFixed(2).replace('.', ',')} %`;
const deDec = (x) => x.toFixed(2).replace('.', ',');
const enMoney = (c) => `€${group(String(Math.floor(c / 100)), ',')}.${String(c % 100).padStart(2, '0')}`;
const norm = (s) => s.replace(/[\s\u00a0\u202f]+/g, ' ').trim();

async function open(home, locale) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...ARGS, `--lang=${locale}`],
    env: { ...process.env, HOME: home } });
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  return { browser, page };
}

async function refused() {
  {
    const { browser, page } = await open(process.env.UI_HOME_NONE, 'de-DE');
    const res = await page.goto(`${base}/ui/`);
    assert.equal(res.status(), 401, 'a browser without a certificate is refused');
    assert.equal(await page.textContent('#error-title'), 'Zertifikat erforderlich');
    assert.equal(await page.$('#main'), null, 'the console did not load');
    await browser.close();
    ok('a browser without a certificate gets 401 and a German page saying what to do');
  }
  {
    const { browser, page } = await open(process.env.UI_HOME_TILL, 'en-US');
    const res = await page.goto(`${base}/ui/`);
    assert.equal(res.status(), 403, "a till's certificate is refused");
    assert.equal(await page.textContent('#error-title'), 'Not with this certificate');
    assert.match(await page.textContent('#error-who'), /terminal .terminal-1./);
    await browser.close();
    ok("a browser with a till's certificate gets 403 naming the certificate");
  }
}

// Submits the form and returns {shown, sent}: the sentence on the page and the body it sent.
async function submitBad(page) {
  const req = page.waitForRequest((r) => r.url() === `${base}/v1/campaigns` && r.method() === 'POST');
  await page.click('#form-submit');
  const sent = (await req).postData();
  await page.waitForSelector('#form-error-text');
  return { shown: await page.textContent('#form-error-text'), sent };
}

async function tileCheck(page, report, lang) {
  const tiles = await page.$$eval('[data-figure]', (els) => els.map((e) => ({
    key: e.dataset.figure, value: e.dataset.value, text: e.querySelector('.tile-value').textContent,
    label: e.querySelector('.tile-label').textContent })));
  const keys = tiles.map((x) => x.key);
  for (const k of ['redeemed', 'redemption_rate', 'revenue_cents', 'discount_cents', 'cost_cents', 'roas']) {
    assert.ok(keys.includes(k), `the page shows ${k}`);
  }
  assert.ok(keys.includes('pieces') || keys.includes('issued'), 'the page shows the pieces');
  for (const tile of tiles) {
    assert.equal(tile.value, JSON.stringify(report[tile.key]), `tile ${tile.key} holds the report's value`);
    const v = report[tile.key];
    if (v === null || lang !== 'de') continue;
    let want = null;
    if (tile.key.endsWith('_cents')) want = deMoney(v);
    else if (tile.key === 'pieces' || tile.key === 'issued' || tile.key === 'redeemed') want = deInt(v);
    else if (tile.key.endsWith('_rate')) want = dePct(v);
    else if (tile.key === 'roas') want = deDec(v);
    if (want !== null) assert.equal(norm(tile.text), norm(want), `tile ${tile.key} reads ${want}`);
  }
  return tiles;
}

async function marketer() {
  const { browser, page } = await open(process.env.UI_HOME_MARKETER, 'de-DE');
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push('console: ' + m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) problems.push('request elsewhere: ' + r.url());
  });

  const res = await page.goto(`${base}/ui/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  await page.waitForSelector('#who:has-text("marketer")');
  assert.equal(await page.textContent('h1'), 'Kampagnen', 'German by the browser');
  ok('the console opens with the certificate from the .p12, in German by the browser language');

  // Create a campaign through the form: bad input first.
  await page.click('#new-campaign');
  await page.waitForSelector('#campaign-form');
  const name = `Herbstmailing Browsertest ${Date.now()}`;
  await page.fill('[name="name"]', name);
  await page.selectOption('[name="channel"]', 'mailing');
  await page.fill('[name="cost_cents"]', '1.234,56');
  await page.fill('[name="offer.min_basket_cents"]', '20,00');
  const today = new Date();
  const ymd = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const yesterday = new Date(today.getTime() - 86400000);
  const starts = await page.inputValue('[name="starts_at"]');
  await page.fill('[name="ends_at"]', `${ymd(yesterday)}T08:00`);
  let bad = await submitBad(page);
  let api = call('marketer', 'POST', '/v1/campaigns', bad.sent);
  assert.equal(api.status, 400);
  assert.equal(bad.shown, api.json.message, "the page shows the API's own sentence");
  ok(`an end before the start shows the API's sentence: "${bad.shown}"`);
  await page.fill('[name="ends_at"]', `${ymd(new Date(today.getTime() + 30 * 86400000))}T20:00`);
  await page.fill('[name="offer.value"]', '150');
  bad = await submitBad(page);
  api = call('marketer', 'POST', '/v1/campaigns', bad.sent);
  assert.equal(api.status, 400);
  assert.equal(bad.shown, api.json.message);
  assert.equal(await page.getAttribute('[name="offer.value"]', 'aria-invalid'), 'true', 'the field named is marked');
  ok(`150 % shows the API's sentence and marks the field: "${bad.shown}"`);
  await page.screenshot({ path: `${shots}/form-error-de.png`, fullPage: true });
  assert.equal(call('marketer', 'GET', '/v1/campaigns?limit=1000').json.campaigns.filter((c) => c.name === name).length, 0,
    'bad input created nothing');
  await page.fill('[name="offer.value"]', '10');
  await page.click('#form-submit');
  await page.waitForURL(/#\/c\/\d+$/);
  const id = Number(/#\/c\/(\d+)$/.exec(page.url())[1]);
  await page.waitForSelector(`#campaign-name:has-text("${name}")`);
  const created = call('marketer', 'GET', `/v1/campaigns/${id}`).json;
  assert.equal(created.name, name);
  assert.equal(created.cost_cents, 123456, '"1.234,56" is 1234.56 EUR');
  assert.deepEqual([created.offer.kind, created.offer.value, created.offer.min_basket_cents], ['percent', 10, 2000]);
  assert.equal(created.starts_at, new Date(starts).toISOString().replace('.000Z', 'Z'), 'local start time');
  ok(`campaign ${id} created through the form (German amounts read right)`);

  // Issue coupons through the dialog.
  await page.click('#act-issue');
  await page.fill('#issue-count', '40');
  await page.click('#issue-dialog button[type=submit]');
  await page.waitForSelector('#issue-done');
  assert.match(norm(await page.textContent('#issue-done')), /^40 Coupons erzeugt/);
  await page.screenshot({ path: `${shots}/issue-dialog-de.png` });
  await page.click('#issue-dialog .dialog-actions button[type=button]');
  const csv = execFileSync('curl', ['-sS', '--fail', '--cacert', ca, '--cert', `${certs}/marketer.pem`, '--key',
    `${certs}/marketer.key`, `${base}/v1/campaigns/${id}/coupons.csv`], { encoding: 'utf8' });
  const codes = csv.trim().split('\n').slice(1).map((l) => l.split(',')[0]);
  assert.equal(codes.length, 40, 'the CSV has the 40 coupons');
  await page.waitForSelector('[data-figure="redeemed"]');
  ok('40 coupons issued through the dialog; the CSV download has them');

  // Tills redeem some while the page stays open (it is not reloaded from here on).
  const baskets = [2590, 4399, 12000, 3150, 8875, 2000, 15990, 6420, 9999];
  const ids = [];
  baskets.forEach((cents, i) => {
    const till = i % 3 === 2 ? 'terminal-2' : 'terminal-1';
    const r = call(till, 'POST', '/v1/redemptions', { code: codes[i], basket_cents: cents, txn_id: `ui-${id}-${i}` });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.redemption_id);
  });
  const below = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[20], basket_cents: 1999, txn_id: `ui-${id}-low` });
  assert.equal(below.json.error, 'below_minimum', 'a basket below the minimum is refused');
  const v = call('terminal-1', 'POST', `/v1/redemptions/${ids[1]}/void`, { txn_id: `ui-${id}-void` });
  assert.ok(v.status === 200 || v.status === 201, v.text);
  const report = call('marketer', 'GET', `/v1/campaigns/${id}/report`).json;
  assert.equal(report.redeemed, 8);
  await page.waitForFunction((n) => document.querySelector('[data-figure="redeemed"]')?.dataset.value === String(n),
    report.redeemed, { timeout: 20000 });
  await page.waitForFunction((c) => document.querySelector('[data-figure="revenue_cents"]')?.dataset.value === String(c),
    report.revenue_cents, { timeout: 20000 });
  ok('the open page picked up the redemptions by itself');
  const tiles = await tileCheck(page, report, 'de');
  ok(`every figure tile equals the report JSON (${tiles.map((x) => x.key).join(', ')}), German formats`);
  const stores = await page.$$eval('#by-store-table tbody tr', (rows) => rows.map((r) => ({
    store: Number(r.dataset.store), cells: [...r.cells].map((c) => c.textContent) })));
  assert.deepEqual(stores.map((s) => s.store), report.by_store.map((s) => s.store));
  report.by_store.forEach((s, i) => {
    assert.equal(norm(stores[i].cells[1]), deInt(s.redeemed));
    assert.equal(norm(stores[i].cells[3]), norm(deMoney(s.revenue_cents)));
    assert.equal(norm(stores[i].cells[4]), norm(deMoney(s.discount_cents)));
  });
  const days = await page.$$eval('#by-day-table tbody tr', (rows) => rows.map((r) => ({
    day: r.dataset.day, cells: [...r.cells].map((c) => c.textContent) })));
  assert.deepEqual(days.map((d) => d.day).sort(), report.by_day.map((d) => d.day).sort());
  for (const d of report.by_day) {
    const row = days.find((x) => x.day === d.day);
    assert.equal(norm(row.cells[1]), deInt(d.redeemed));
    assert.equal(norm(row.cells[2]), norm(deMoney(d.revenue_cents)));
  }
  ok('by store and by day equal the report');
  await page.screenshot({ path: `${shots}/campaign-de.png`, fullPage: true });

  // English by the switch.
  await page.click('#lang-en');
  await page.waitForSelector('[data-figure="revenue_cents"] .tile-label:has-text("Revenue")');
  assert.equal(norm(await page.textContent('[data-figure="revenue_cents"] .tile-value')), enMoney(report.revenue_cents));
  await tileCheck(page, report, 'en');
  await page.screenshot({ path: `${shots}/campaign-en.png`, fullPage: true });
  ok('the switch turns the page English (amounts as €1,234.56)');
  await page.click('#lang-de');
  await page.waitForSelector('[data-figure="revenue_cents"] .tile-label:has-text("Umsatz")');

  // The list: the same figures; filter and sort.
  await page.click('nav a[href="#/"]');
  const row = `#campaigns tr[data-id="${id}"]`;
  await page.waitForSelector(row);
  const cell = (col) => page.textContent(`${row} td[data-col="${col}"]`).then(norm);
  assert.equal(await cell('pieces'), deInt(report.issued));
  assert.equal(await cell('redeemed'), deInt(report.redeemed));
  assert.equal(await cell('rate'), norm(dePct(report.redemption_rate)));
  assert.equal(await cell('revenue'), norm(deMoney(report.revenue_cents)));
  assert.equal(await cell('roas'), deDec(report.roas));
  assert.equal(await cell('cost'), norm(deMoney(report.cost_cents)));
  ok('the list shows the campaign with the report figures');
  await page.selectOption('#filter-state', 'ended');
  await page.waitForSelector(row, { state: 'detached' });
  await page.selectOption('#filter-state', 'running');
  await page.waitForSelector(row);
  await page.selectOption('#filter-channel', 'sms');
  await page.waitForSelector(row, { state: 'detached' });
  await page.selectOption('#filter-channel', '');
  await page.selectOption('#filter-state', '');
  await page.click('button[data-sort="revenue"]');
  const revenues = await page.$$eval('#campaigns tbody td[data-col="revenue"]', (els) => els.map((e) => e.textContent));
  const cents = revenues.map((r) => Number(r.replace(/[^\d,-]/g, '').replace(',', '.')));
  assert.deepEqual(cents, [...cents].sort((a, b) => b - a), 'sorted by revenue, highest first');
  ok('the list filters by state and channel and sorts by revenue');
  await page.screenshot({ path: `${shots}/list-de.png`, fullPage: true });
  await page.click(`${row} td.name a`);
  await page.waitForSelector('#campaign-name');

  assert.deepEqual(problems, [], 'no script error, no CSP violation, nothing loaded from elsewhere');
  ok('no script error, no CSP violation, no request to another origin');
  await browser.close();
}

try {
  await refused();
  await marketer();
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.error(e);
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
}
