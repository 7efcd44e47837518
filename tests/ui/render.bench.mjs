// The console's campaign page, timed in Debian's chromium (driven by tests/bench/ui_page.sh):
// RUNS cold loads (a fresh browser context each: no cache) of /ui/#/c/ID, each timed from the
// navigation's start to the page's mark "coupond:campaign-rendered" (tiles, curve, by day, by
// store, A/B, batches drawn from the API's answers), and the tiles checked against EXPECT.
// Each load is also split into the API's part (until the last of its answers arrived) and
// the page's own (from then until the mark: parsing, tiles, SVG charts, tables), and the
// moment the page first asked the API (after the HTML, the style sheet and the modules).
// Prints one JSON line: {runs, ms, median_ms, max_ms, api_ms, page_ms, report_ms, ask_ms}.
import { chromium } from 'playwright-core';

const { UI_URL: base, UI_HOME: home, UI_CAMPAIGN: id, UI_RUNS = '7', UI_EXPECT_REDEEMED: redeemed } = process.env;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=de-DE'],
  env: { ...process.env, HOME: home },
});
const ms = [];
const reportMs = [];
const apiMs = [];
const pageMs = [];
const askMs = [];
for (let i = 0; i < Number(UI_RUNS); i++) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/ui/#/c/${id}`);
  await page.waitForFunction(() => performance.getEntriesByName('coupond:campaign-rendered').length > 0, null,
    { timeout: 60000, polling: 20 });
  const m = await page.evaluate(() => {
    const mark = performance.getEntriesByName('coupond:campaign-rendered')[0].startTime;
    const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/') && e.responseEnd <= mark);
    const report = api.find((e) => /\/report$/.test(e.name));
    return { mark, last: Math.max(...api.map((e) => e.responseEnd)), ask: Math.min(...api.map((e) => e.startTime)),
      report: report ? report.responseEnd - report.requestStart : null };
  });
  const t = m.mark;
  apiMs.push(Math.round(m.last));
  pageMs.push(Math.round(m.mark - m.last));
  askMs.push(Math.round(m.ask));
  if (m.report !== null) reportMs.push(Math.round(m.report));
  const shown = await page.getAttribute('[data-figure="redeemed"]', 'data-value');
  if (redeemed !== undefined && shown !== redeemed) throw new Error(`the page shows ${shown} redemptions, not ${redeemed}`);
  ms.push(Math.round(t));
  if (i === 0) await page.screenshot({ path: process.env.UI_SHOT, fullPage: true });
  await context.close();
}
await browser.close();
const sorted = [...ms].sort((a, b) => a - b);
console.log(JSON.stringify({ runs: ms.length, ms, median_ms: sorted[Math.floor(sorted.length / 2)],
  max_ms: sorted[sorted.length - 1], api_ms: apiMs, page_ms: pageMs, report_ms: reportMs, ask_ms: askMs }));
