// console_in_a_real_browser (driven by tests/integration/t_ui_console.sh, which prepares the
// NSS databases and the certificate policy): Debian's chromium over the DevTools protocol
// opens coupond's console as a marketer, creates a campaign through the form (bad input first:
// the page must show the API's own sentence for exactly what it sent), issues coupons, and
// while the page stays open tills redeem some through the API with curl; the page must then
// show, by itself, the same figures as the report JSON, in German and in English. It does so
// from the live feed (GET /v1/events?campaign=ID): polling is set to an hour, no report is
// fetched while nothing happens, a redemption shows within 3 s, the line under the head says
// "Live"; with the feed refused (503) the page says it polls, and does. Without a
// certificate the console is refused (401), with a till's certificate too (403).
// Screenshots of the campaign page and the list go to $UI_SHOTS.
import { chromium } from 'playwright-core';
import { execFileSync, spawnSync } from 'node:child_process';
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

// The id of the last event of CAMPAIGN so far, read from the live feed with curl (0: none).
function lastEventId(campaign) {
  const out = spawnSync('curl', ['-sS', '-N', '--max-time', '2', '--cacert', ca, '--cert', `${certs}/marketer.pem`,
    '--key', `${certs}/marketer.key`, `${base}/v1/events?campaign=${campaign}&after=0`], { encoding: 'utf8' }).stdout;
  const ids = [...out.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return ids.length ? Math.max(...ids) : 0;
}

// German figures written out by hand (not through Intl, which the page uses).
const group = (digits, sep) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
const deInt = (n) => group(String(n), '.');
const deMoney = (c) => `${c < 0 ? '-' : ''}${group(String(Math.floor(Math.abs(c) / 100)), '.')},${String(Math.abs(c) % 100).padStart(2, '0')} €`;
const dePct = (f) => `${(f * 100).toFixed(2).replace('.', ',')} %`;
const deDec = (x) => x.toFixed(2).replace('.', ',');
const enMoney = (c) => `€${group(String(Math.floor(c / 100)), ',')}.${String(c % 100).padStart(2, '0')}`;
const norm = (s) => s.replace(/[\s\u00a0\u202f]+/g, ' ').trim();

let lastPage = null; // for a screenshot when something fails
const requests = []; // the marketer's page's API requests: {url, at (ms)}
const tag = () => Date.now().toString(36).slice(-5).toUpperCase();

// A screenshot NAME.png (the whole page, or what the window shows when FULL is false, as
// for the list, which grows with every campaign of the database), the notices closed first.
async function shot(page, name, full = true) {
  // A notice the page replaced meanwhile (the live feed re-renders it) needs no closing.
  for (const b of await page.$$('#notice .notice-close')) await b.click({ timeout: 2000 }).catch(() => {});
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: full });
}

async function open(home, locale) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...ARGS, `--lang=${locale}`],
    env: { ...process.env, HOME: home } });
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  lastPage = page;
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
  for (const alts of [['pieces', 'issued'], ['redeemed'], ['response_rate', 'redemption_rate'], ['revenue_cents'],
    ['discount_cents'], ['cost_cents'], ['roas'], ['cost_per_response_cents', 'cost_per_redemption_cents']]) {
    assert.ok(alts.some((k) => keys.includes(k)), `the page shows ${alts.join(' or ')}`);
  }
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

  // Every EventSource the page makes, to see which feeds are open (readyState 2 is closed).
  await page.addInitScript(() => {
    const Real = window.EventSource;
    window.coupondFeeds = [];
    window.EventSource = class extends Real {
      constructor(...args) {
        super(...args);
        this.seen = 0; // the last event id it delivered
        this.addEventListener('message', (e) => {
          this.seen = Number(e.lastEventId) || this.seen;
        });
        window.coupondFeeds.push(this);
      }
    };
  });
  const feeds = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${base}/v1/events`)) feeds.push(r.url());
    if (r.url().startsWith(`${base}/v1/`)) requests.push({ url: r.url(), at: Date.now() });
  });

  const res = await page.goto(`${base}/ui/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  // Polling every hour at most: what the pages show from here on comes from the live feed
  // (or from a fetch after the person's own action).
  await page.evaluate(() => localStorage.setItem('coupond.poll-ms', String(3600 * 1000)));
  await page.waitForSelector('#who:has-text("marketer")');
  assert.equal(await page.textContent('h1'), 'Kampagnen', 'German by the browser');
  ok('the console opens with the certificate from the .p12, in German by the browser language');

  // Create a campaign through the form: bad input first.
  await page.click('#new-campaign');
  await page.waitForSelector('#campaign-form');
  const name = `Herbstmailing Nord ${tag()}`;
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
  await shot(page, 'form-error-de');
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

  // The page follows the live feed for this campaign, says so, and does not poll meanwhile
  // (from here on the polling interval is an hour: only the feed can bring what follows).
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 10000 });
  assert.match(norm(await page.textContent('#live')), /^Live · aktualisiert \d/);
  assert.ok(feeds.some((u) => new URL(u).searchParams.get('campaign') === String(id)),
    `the page opened /v1/events?campaign=${id}: ${feeds.join(' ')}`);
  // Quiet from here: the page has had every event of its campaign so far (the batch's is
  // published after the issue dialog is done) and the fetch that follows the last one.
  const last = lastEventId(id);
  await page.waitForFunction((n) => window.coupondFeeds.some((e) => e.readyState === 1 && e.seen >= n), last,
    { timeout: 10000 });
  await page.waitForTimeout(1500);
  const asked = [];
  const count = (r) => {
    if (r.url().startsWith(`${base}/v1/campaigns/${id}/report`)) asked.push(r.url());
  };
  page.on('request', count);
  await page.waitForTimeout(9000);
  page.off('request', count);
  assert.deepEqual(asked, [], 'no polling while the feed is connected (the old console asked every 4 s)');
  ok('the campaign page follows /v1/events?campaign=ID, shows "Live" (connected), and does not poll');

  // Tills redeem some while the page stays open (it is not reloaded from here on).
  const baskets = [2590, 4399, 12000, 3150, 8875, 2000, 15990, 6420, 9999];
  const ids = [];
  {
    const t0 = Date.now();
    const r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[0], basket_cents: baskets[0], txn_id: `ui-${id}-0` });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.redemption_id);
    await page.waitForFunction(() => document.querySelector('[data-figure="redeemed"]')?.dataset.value === '1', null,
      { timeout: 3000, polling: 50 });
    ok(`a redemption over mutual TLS showed on the open page ${Date.now() - t0} ms after the till's request (limit 3 s)`);
  }
  assert.deepEqual((await openFeeds(page)).map((u) => new URL(u).search), [`?campaign=${id}`], 'one feed, this campaign');
  // A hidden page (another tab in front) closes its feed and fetches nothing; visible again,
  // it reopens the feed and fetches at once.
  await setHidden(page, true);
  assert.deepEqual(await openFeeds(page), [], 'a hidden page holds no feed');
  {
    const r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[1], basket_cents: baskets[1], txn_id: `ui-${id}-1` });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.redemption_id);
    await page.waitForTimeout(1500);
    assert.equal(await page.getAttribute('[data-figure="redeemed"]', 'data-value'), '1', 'a hidden page does not fetch');
    await setHidden(page, false);
    await page.waitForFunction(() => document.querySelector('[data-figure="redeemed"]')?.dataset.value === '2', null,
      { timeout: 3000 });
    await page.waitForSelector('#live[data-feed="connected"]', { timeout: 5000 });
    assert.equal((await openFeeds(page)).length, 1, 'visible again: the feed is open again');
    ok('a hidden page closes its feed and fetches nothing; visible again it reopens the feed and shows what happened');
  }
  baskets.forEach((cents, i) => {
    if (i < 2) return;
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
    report.redeemed, { timeout: 5000 });
  await page.waitForFunction((c) => document.querySelector('[data-figure="revenue_cents"]')?.dataset.value === String(c),
    report.revenue_cents, { timeout: 5000 });
  ok('the open page picked up the redemptions and the void by itself, from the live feed');
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
  await shot(page, 'campaign-de');

  // English by the switch.
  await page.click('#lang-en');
  await page.waitForSelector('[data-figure="revenue_cents"] .tile-label:has-text("Revenue")');
  assert.equal(norm(await page.textContent('[data-figure="revenue_cents"] .tile-value')), enMoney(report.revenue_cents));
  await tileCheck(page, report, 'en');
  await shot(page, 'campaign-en');
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
  // The list follows the feed too (one ?types= feed; polling at an hour): a redemption shows.
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 10000 });
  assert.deepEqual((await openFeeds(page)).map((u) => new URL(u).searchParams.has('types')), [true], 'one feed of types');
  {
    const t0 = Date.now();
    const r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[12], basket_cents: 3300, txn_id: `ui-${id}-list` });
    assert.equal(r.status, 201, r.text);
    await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.textContent.trim() === n,
      [`${row} td[data-col="redeemed"]`, deInt(report.redeemed + 1)], { timeout: 12000 });
    ok(`the list, live too, showed a redemption ${Date.now() - t0} ms after it (at most one fetch per 5 s)`);
  }
  // The database holds every other test's campaigns too: the screenshot shows this test's.
  await page.fill('#filter-search', 'Herbstmailing Nord');
  await page.waitForSelector(row);
  await shot(page, 'list-de', false);
  await page.fill('#filter-search', '');
  await page.click(`${row} td.name a`);
  await page.waitForSelector('#campaign-name');

  await fallback(page, id, codes);
  await lifecycle(page, id, name, codes);
  await abTest(page, id, name);
  await holdout(page);

  assert.deepEqual(problems, [], 'no script error, no CSP violation, nothing loaded from elsewhere');
  ok('no script error, no CSP violation, no request to another origin');
  await browser.close();
}

// The URLs of the page's open feeds.
const openFeeds = (page) => page.evaluate(() => window.coupondFeeds.filter((e) => e.readyState !== 2).map((e) => e.url));

// Makes the page hidden (as when another tab is in front) or visible again.
async function setHidden(page, hidden) {
  await page.evaluate((x) => {
    if (x) Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    else delete document.visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

// Without the feed (here answered 503, as coupond does when the feed has all the readers it
// takes), the page says it polls, and polls: a redemption still shows. With the feed dropped
// and coupond away for a while, it says it reconnects, and catches up once the browser has.
async function fallback(page, id, codes) {
  const redeemed = async () => Number(await page.getAttribute('[data-figure="redeemed"]', 'data-value'));
  const refuse = (r) => r.fulfill({ status: 503, contentType: 'application/json',
    body: '{"error":"unavailable","message":"The live feed has as many readers as it takes."}' });
  await page.route('**/v1/events*', refuse);
  await page.evaluate(() => localStorage.setItem('coupond.poll-ms', '1000'));
  await page.reload();
  await page.waitForSelector('#live[data-feed="polling"]', { timeout: 10000 });
  assert.match(norm(await page.textContent('#live')), /^Aktualisierung alle paar Sekunden/);
  const before = await redeemed();
  const r = call('terminal-2', 'POST', '/v1/redemptions', { code: codes[10], basket_cents: 5100, txn_id: `ui-${id}-poll` });
  assert.equal(r.status, 201, r.text);
  await page.waitForFunction((n) => document.querySelector('[data-figure="redeemed"]')?.dataset.value === String(n),
    before + 1, { timeout: 8000 });
  await page.unroute('**/v1/events*', refuse);
  await page.evaluate(() => localStorage.setItem('coupond.poll-ms', String(3600 * 1000)));
  const since = requests.length;
  await page.reload();
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 10000 });
  // What waiting for the feed before the first fetch costs (figure only, see live.js).
  const fresh = requests.slice(since);
  const feedAt = fresh.find((x) => x.url.includes('/v1/events'))?.at;
  const reportAt = fresh.find((x) => x.url.endsWith(`/v1/campaigns/${id}/report`))?.at;
  assert.ok(feedAt !== undefined && reportAt !== undefined && feedAt <= reportAt, 'the feed is asked for before the figures');
  console.log(`info the first fetch began ${reportAt - feedAt} ms after the feed was asked for (at most 300 ms by design)`);
  ok('with the feed refused (503) the page says it polls, and a redemption still shows; reloaded, it is live again');

  // The feed drops and coupond cannot be reached for a while (polling is at an hour): a
  // stream that ends, then refused connections; the line says the page reconnects; a
  // redemption meanwhile shows once the browser has reconnected the feed by itself.
  let attempts = 0;
  const drop = (r) => {
    attempts++;
    if (attempts === 1) return r.fulfill({ status: 200, contentType: 'text/event-stream', body: 'retry: 500\n: coupond\n\n' });
    return r.abort('connectionrefused');
  };
  await page.route('**/v1/events*', drop);
  await page.reload();
  await page.waitForSelector('#live[data-feed="reconnecting"]', { timeout: 10000 });
  assert.match(norm(await page.textContent('#live')), /^Live-Verbindung wird wiederhergestellt/);
  const r2 = call('terminal-2', 'POST', '/v1/redemptions', { code: codes[11], basket_cents: 5200, txn_id: `ui-${id}-off` });
  assert.equal(r2.status, 201, r2.text);
  await page.waitForTimeout(1500);
  assert.equal(await redeemed(), before + 1, 'nothing fetched while the feed is away (polling at an hour)');
  assert.ok(attempts >= 2, `the browser tried to reconnect (${attempts} requests)`);
  await page.unroute('**/v1/events*', drop);
  await page.waitForFunction((n) => document.querySelector('[data-figure="redeemed"]')?.dataset.value === String(n),
    before + 2, { timeout: 10000 });
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 10000 });
  ok(`a dropped feed: the line says it reconnects; the browser reconnects by itself (${attempts} tries) and the page shows what happened meanwhile`);

  // A fetch that fails while the feed is open (here the report answers 503 once) is tried
  // again within a few seconds, not only at the next event; the line says stale meanwhile.
  let reports = 0;
  const failOnce = (r) => (reports++ === 0
    ? r.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"unavailable","message":"Busy."}' })
    : r.continue());
  await page.route(`**/v1/campaigns/${id}/report`, failOnce);
  const r3 = call('terminal-2', 'POST', '/v1/redemptions', { code: codes[13], basket_cents: 5300, txn_id: `ui-${id}-503` });
  assert.equal(r3.status, 201, r3.text);
  await page.waitForSelector('#live[data-feed="stale"]', { timeout: 5000 });
  await page.waitForFunction((n) => document.querySelector('[data-figure="redeemed"]')?.dataset.value === String(n),
    before + 3, { timeout: 10000 });
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 5000 });
  await page.unroute(`**/v1/campaigns/${id}/report`, failOnce);
  ok('a failed fetch with the feed open: the line says so and the page tries again by itself');
}

// The campaign page's state chip, once it says STATE.
const stateIs = (page, state) => page.waitForSelector(`#campaign-state[data-state="${state}"]`, { timeout: 20000 });

// Edit, pause and resume (a till is refused while paused), extend, void a batch: through the
// page, each checked against the API and a till.
async function lifecycle(page, id, name, codes) {
  await page.click('#act-edit');
  await page.waitForSelector('#campaign-form');
  assert.equal(await page.isDisabled('[name="channel"]'), true, 'what PATCH cannot change is read-only');
  await page.fill('[name="name"]', `${name} (geändert)`);
  await page.fill('[name="cost_cents"]', '1.500,00');
  await page.fill('[name="gross_margin_pct"]', '40');
  const patch = page.waitForRequest((r) => r.method() === 'PATCH');
  await page.click('#form-submit');
  assert.deepEqual(JSON.parse((await patch).postData()), { name: `${name} (geändert)`, cost_cents: 150000, gross_margin_pct: 40 },
    'the edit sends only what changed');
  await page.waitForSelector(`#campaign-name:has-text("(geändert)")`);
  const c = call('marketer', 'GET', `/v1/campaigns/${id}`).json;
  assert.deepEqual([c.name, c.cost_cents, c.gross_margin_pct], [`${name} (geändert)`, 150000, 40]);
  const report = call('marketer', 'GET', `/v1/campaigns/${id}/report`).json;
  await page.waitForFunction((v) => document.querySelector('[data-figure="cost_cents"]')?.dataset.value === v,
    JSON.stringify(report.cost_cents), { timeout: 20000 });
  await tileCheck(page, report, 'de');
  assert.notEqual(report.break_even_response_rate, null, 'with a margin there is a break-even rate');
  ok('edit through the form: name, cost and margin changed (PATCH with only those); the tiles follow, break-even included');

  await page.click('#act-pause');
  await stateIs(page, 'paused');
  let r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[30], basket_cents: 5000, txn_id: `ui-${id}-p1` });
  assert.equal(r.json.error, 'campaign_paused', r.text);
  await page.click('#act-resume');
  await stateIs(page, 'running');
  r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[30], basket_cents: 5000, txn_id: `ui-${id}-p2` });
  assert.equal(r.status, 201, r.text);
  ok('pause (a till is refused with campaign_paused) and resume through the buttons');

  const before = Date.parse(c.ends_at);
  const later = new Date(before + 21 * 86400000);
  const local = `${later.getFullYear()}-${String(later.getMonth() + 1).padStart(2, '0')}-${String(later.getDate()).padStart(2, '0')}T18:30`;
  await page.click('#act-extend');
  await page.fill('#extend-until', local);
  await page.click('#extend-dialog button[type=submit]');
  await page.waitForSelector('#extend-dialog', { state: 'detached' });
  const ext = call('marketer', 'GET', `/v1/campaigns/${id}`).json;
  assert.equal(ext.ends_at, new Date(local).toISOString().replace('.000Z', 'Z'));
  ok(`extended through the dialog to ${ext.ends_at}`);

  const batchRow = '#batches-table tbody tr';
  await page.waitForSelector(batchRow);
  const batch = Number(await page.getAttribute(batchRow, 'data-batch'));
  await page.click(`${batchRow}[data-batch="${batch}"] button`);
  await page.click('#void-dialog button[type=submit]');
  await page.waitForSelector(`${batchRow}[data-batch="${batch}"].voided`, { timeout: 20000 });
  r = call('terminal-1', 'POST', '/v1/redemptions', { code: codes[31], basket_cents: 5000, txn_id: `ui-${id}-v` });
  assert.equal(r.json.error, 'voided_batch', r.text);
  ok(`batch ${batch} voided through the page: its coupons are refused with voided_batch`);
}

// An A/B test: a variant made through the form, coupons and redemptions on both; the page's
// comparison equals GET /compare, its verdict in German and the API's own sentence in English.
async function abTest(page, control, controlName) {
  await page.click('nav a[href="#/new"]');
  await page.waitForSelector('#campaign-form');
  const name = `Herbstmailing Nord, Variante B ${tag()}`;
  await page.fill('[name="name"]', name);
  await page.fill('[name="cost_cents"]', '1.000');
  await page.fill('[name="offer.value"]', '15');
  await page.selectOption('[name="variant_of"]', String(control));
  await page.click('#form-submit');
  await page.waitForURL(/#\/c\/\d+$/);
  const id = Number(/#\/c\/(\d+)$/.exec(page.url())[1]);
  assert.equal(call('marketer', 'GET', `/v1/campaigns/${id}`).json.variant_of, control);
  const issued = call('marketer', 'POST', `/v1/campaigns/${id}/coupons`, { count: 60 });
  assert.equal(issued.status, 201);
  issued.json.coupons.slice(0, 12).forEach((cp, i) => {
    const r = call('terminal-2', 'POST', '/v1/redemptions', { code: cp.code, basket_cents: 3000 + i * 100, txn_id: `ab-${id}-${i}` });
    assert.equal(r.status, 201, r.text);
  });
  const cmp = call('marketer', 'GET', `/v1/campaigns/${id}/compare`).json;
  await page.waitForSelector('#ab-table', { timeout: 20000 });
  await page.waitForFunction((n) => document.querySelectorAll('#ab-table tbody tr').length === n, cmp.cells.length);
  await page.waitForFunction((want) => {
    const row = document.querySelector(`#ab-table tr[data-campaign="${want}"]`);
    return row && row.cells[2].textContent === '12';
  }, id, { timeout: 20000 });
  for (const cell of cmp.cells) {
    const cells = await page.$$eval(`#ab-table tr[data-campaign="${cell.campaign_id}"] td`, (tds) => tds.map((x) => x.textContent));
    assert.equal(norm(cells[1]), deInt(cell.pieces));
    assert.equal(norm(cells[2]), deInt(cell.responses));
    assert.equal(norm(cells[3]), cell.rate == null ? '–' : norm(dePct(cell.rate)));
    if (!cell.control) {
      assert.equal(norm(cells[4]), norm(`${cell.diff_pp > 0 ? '+' : cell.diff_pp < 0 ? '-' : ''}${Math.abs(cell.diff_pp).toFixed(2).replace('.', ',')} pp`));
      assert.equal(norm(cells[6]), cell.p_value.toFixed(4).replace('.', ','));
    }
  }
  const variant = cmp.cells.find((x) => x.campaign_id === id);
  assert.equal(await page.getAttribute(`#ab-sentences p[data-campaign="${id}"]`, 'data-verdict'), variant.verdict);
  await shot(page, 'campaign-ab-de');
  await page.click('#lang-en');
  await page.waitForSelector(`#ab-sentences p[data-campaign="${id}"]:has-text("${variant.sentence.slice(0, 20)}")`);
  assert.equal(await page.textContent(`#ab-sentences p[data-campaign="${id}"]`), variant.sentence, "the API's own sentence");
  await page.click('#lang-de');
  ok(`A/B: variant ${id} of ${control} made through the form; the comparison equals /compare (${variant.verdict}: "${variant.sentence}")`);

  // The control's page follows the variant too (one feed of the types, picked by the page).
  await page.evaluate((c) => { location.hash = `#/c/${c}`; }, control);
  await page.waitForSelector(`#ab-table tr[data-campaign="${id}"]`, { timeout: 20000 });
  await page.waitForSelector('#live[data-feed="connected"]', { timeout: 10000 });
  const wide = await openFeeds(page);
  assert.equal(wide.length, 1, `one feed for the whole test: ${wide.join(' ')}`);
  assert.match(new URL(wide[0]).searchParams.get('types') || '', /redemption\.created/);
  const t0 = Date.now();
  const r13 = call('terminal-2', 'POST', '/v1/redemptions', { code: issued.json.coupons[12].code, basket_cents: 4200,
    txn_id: `ab-${id}-12` });
  assert.equal(r13.status, 201, r13.text);
  await page.waitForFunction((want) => document.querySelector(`#ab-table tr[data-campaign="${want}"]`)?.cells[2].textContent === '13',
    id, { timeout: 5000 });
  ok(`the control's page showed a redemption of the variant ${Date.now() - t0} ms after it (one feed: ?types=…)`);
  await page.evaluate((v) => { location.hash = `#/c/${v}`; }, id);
  await page.waitForSelector(`#campaign-name:has-text("${name}")`);

  await page.click('#act-end');
  await page.click('#end-dialog button[type=submit]');
  await stateIs(page, 'ended');
  assert.equal(await page.$('#act-issue'), null, 'an ended campaign offers no new coupons');
  assert.equal(call('marketer', 'GET', `/v1/campaigns/${id}`).json.state, 'ended');
  ok('ended early through the confirmation dialog');
  void controlName;
}

// A mailing to bonus-card holders with a holdout, uploaded as a CSV file through the dialog;
// the holdout figures on the page equal the report's.
async function holdout(page) {
  const cards = [];
  for (let i = 0; i < 40; i++) cards.push(call('terminal-1', 'POST', '/v1/cards', {}).json.card);
  const c = call('marketer', 'POST', '/v1/campaigns', { name: `Kartenmailing Stammkunden ${tag()}`, channel: 'mailing',
    cost_cents: 20000, starts_at: new Date(Date.now() - 3600000).toISOString().replace(/\.\d+Z$/, 'Z'),
    ends_at: new Date(Date.now() + 40 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
    offer: { kind: 'amount', value: 500, min_basket_cents: 2500 } }).json;
  await page.evaluate((id) => { location.hash = `#/c/${id}`; }, c.id);
  await page.waitForSelector(`#campaign-name:has-text("${c.name}")`);
  const file = `${shots}/../recipients-${c.id}.csv`;
  (await import('node:fs')).writeFileSync(file, 'card\n' + cards.join('\n') + '\n');
  await page.click('#act-recipients');
  await page.setInputFiles('#recipients-file', file);
  await page.waitForSelector('#recipients-info:has-text("41 Zeilen")');
  await page.fill('#recipients-holdout', '25');
  await page.click('#recipients-dialog button[type=submit]');
  await page.waitForSelector('#recipients-dialog', { state: 'detached' });
  const shop = execFileSync('curl', ['-sS', '--fail', '--cacert', ca, '--cert', `${certs}/marketer.pem`, '--key',
    `${certs}/marketer.key`, `${base}/v1/campaigns/${c.id}/lettershop.csv`], { encoding: 'utf8' });
  const mailed = shop.trim().split('\n').slice(1).map((l) => l.split(',')[0]);
  assert.equal(mailed.length, 30, '30 mailed, 10 held out');
  const held = cards.filter((k) => !mailed.includes(k));
  mailed.slice(0, 9).forEach((card, i) => {
    const r = call('terminal-1', 'POST', `/v1/cards/${card}/earn`, { basket_cents: 4000 + i, txn_id: `ho-${c.id}-m${i}` });
    assert.equal(r.status, 201, r.text);
  });
  const r = call('terminal-1', 'POST', `/v1/cards/${held[0]}/earn`, { basket_cents: 3000, txn_id: `ho-${c.id}-h` });
  assert.equal(r.status, 201, r.text);
  const report = call('marketer', 'GET', `/v1/campaigns/${c.id}/report`).json;
  const ho = report.holdout;
  assert.deepEqual([ho.recipients, ho.mailed.cards, ho.held_out.cards, ho.mailed.responders, ho.held_out.responders],
    [40, 30, 10, 9, 1]);
  // Both groups' responses, fetched after the last earn (the page fetches at most every 5 s,
  // so one fetch may fall between the mailed cards' earns and the held-out card's).
  await page.waitForFunction(([m, h]) =>
    document.querySelector('[data-figure="holdout.mailed"] .tile-sub')?.textContent.startsWith(m) &&
    document.querySelector('[data-figure="holdout.held_out"] .tile-sub')?.textContent.startsWith(h),
  ['9 von', '1 von'], { timeout: 20000 });
  const tile = (k) => page.textContent(`[data-figure="holdout.${k}"] .tile-value`).then(norm);
  assert.equal(await tile('mailed'), norm(dePct(ho.mailed.rate)));
  assert.equal(await tile('held_out'), norm(dePct(ho.held_out.rate)));
  assert.equal(await tile('lift_pp'), `+${ho.lift_pp.toFixed(2).replace('.', ',')} pp`);
  assert.equal(await tile('incremental_revenue_per_piece_cents'), norm(deMoney(Math.round(ho.incremental_revenue_per_piece_cents))));
  await shot(page, 'campaign-holdout-de');
  ok(`holdout: 40 cards uploaded as CSV with 25 % held out; the page shows the report's rates (${dePct(ho.mailed.rate)} vs ${dePct(ho.held_out.rate)}) and lift (${ho.lift_pp} pp)`);
}

try {
  await refused();
  await marketer();
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.error(e);
  if (lastPage) await lastPage.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
}
