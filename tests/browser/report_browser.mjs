// report.html in headless Debian chromium (playwright-core): open the file, wait for every chart image, and
// print one JSON line of what was seen: console errors, page errors, requests that left the file, the section
// ids, how many charts decoded and their sizes. With SHOT set, save a full-page screenshot there.
//
// Environment: PLAYWRIGHT_DIR (folder with node_modules/playwright-core: scripts/browser-test-deps.sh prints it),
// REPORT (path of report.html), SHOT (optional PNG path), CHROMIUM (/usr/bin/chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR || here, 'package.json'));
const { chromium } = require('playwright-core');

const report = process.env.REPORT;
if (!report) { console.error('set REPORT'); process.exit(2); }
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'er-report-test-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 900 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const seen = { console_errors: [], page_errors: [], requests: [] };
const page = context.pages()[0] || (await context.newPage());
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') seen.console_errors.push(m.text()); });
page.on('pageerror', (e) => seen.page_errors.push(String(e)));
page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) seen.requests.push(r.url()); });
try {
  await page.goto('file://' + path.resolve(report), { waitUntil: 'load' });
  seen.title = await page.title();
  seen.sections = await page.$$eval('section', (s) => s.map((e) => e.id));
  seen.headings = await page.$$eval('h2', (h) => h.map((e) => e.textContent));
  seen.charts = await page.$$eval('img.chart', (imgs) => imgs.map((i) => ({
    alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight })));
  seen.tables = await page.$$eval('table', (t) => t.length);
  seen.text = (await page.textContent('body')).slice(0, 20000);
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT, fullPage: true });
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(seen));
