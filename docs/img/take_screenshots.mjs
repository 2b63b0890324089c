// Screenshots for docs/investigators.md, taken from a real Neo4j Browser session in headless Chromium.
//
// Needs the managed server running with the demo graph loaded (`er neo4j start`, `er demo --neo4j`, `er detect`),
// Debian's chromium, and playwright-core installed in a scratch folder (never in the repository):
//
//   mkdir -p /tmp/shots && (cd /tmp/shots && npm i playwright-core)
//   PLAYWRIGHT_DIR=/tmp/shots RING_ID=R-5cd1611e5065ff70 ACCOUNT_A=acct_232547680 ACCOUNT_B=acct_382029261 \
//     node docs/img/take_screenshots.mjs
//
// Environment: BROWSER_URL (default http://127.0.0.1:7474/browser/), BOLT_HOSTPORT (127.0.0.1:7687),
// NEO4J_PASSWORD_FILE (default ~/.config/entity-resolution/neo4j-password; `er neo4j status` names it),
// RING_ID, ACCOUNT_A, ACCOUNT_B, HUB_MIN_ACCOUNTS (25), OUT_DIR (this folder), CHROMIUM (/usr/bin/chromium).
// The password is read from the file and typed into the Connect form; it is never printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR || here, 'package.json'));
const { chromium } = require('playwright-core');

const env = (name, fallback) => process.env[name] || fallback;
const browserUrl = env('BROWSER_URL', 'http://127.0.0.1:7474/browser/');
const boltHostPort = env('BOLT_HOSTPORT', '127.0.0.1:7687');
const passwordFile = env('NEO4J_PASSWORD_FILE',
  path.join(os.homedir(), '.config', 'entity-resolution', 'neo4j-password'));
const outDir = env('OUT_DIR', here);
const repo = path.resolve(here, '..', '..');
const required = ['RING_ID', 'ACCOUNT_A', 'ACCOUNT_B'].filter((n) => !process.env[n]);
if (required.length) {
  console.error(`set ${required.join(', ')} (sample ids from the demo graph; see docs/investigators.md)`);
  process.exit(2);
}
const hub = Number(env('HUB_MIN_ACCOUNTS', '25'));
const readQuery = (name) => fs.readFileSync(path.join(repo, 'cypher', 'explore', `${name}.cypher`), 'utf8');
const style = fs.readFileSync(path.join(repo, 'cypher', 'browser', 'style.grass'), 'utf8');

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'er-browser-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  viewport: { width: 1280, height: 860 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const page = context.pages()[0] || (await context.newPage());

// Type a command into the Browser's editor and run it; returns the new (topmost) result frame.
async function run(command, { settle = 1500 } = {}) {
  const cypher = !command.startsWith(':');
  const before = await page.locator('[data-testid="frame"]').count();
  const editor = page.locator('[data-testid="activeEditor"]');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(command);
  await page.locator('[data-testid="editor-Run"]').click();
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="frame"]').length > n, before, { timeout: 60000 });
  const frame = page.locator('[data-testid="frame"]').first();
  if (cypher) {
    await frame.locator('[data-testid="frame-loaded-contents"], [data-testid="cypherFrameErrorMessage"]')
      .first().waitFor({ timeout: 120000 });
  }
  await page.waitForTimeout(settle);
  if (await frame.locator('[data-testid="cypherFrameErrorMessage"]').count()) {
    throw new Error(`Browser error for ${command.slice(0, 60)}: ` +
      await frame.locator('[data-testid="cypherFrameErrorMessage"]').innerText());
  }
  return frame;
}

// A graph result in a full-window frame, zoomed to fit, so captions are readable.
// `select` names a relationship type to click first, so the side panel shows its properties; `zoomOut` clicks
// zoom-out that many times after fitting (the side panel covers the right edge of a fitted small graph).
async function graphShot(frame, name, { select, zoomOut = 0 } = {}) {
  await frame.locator('button[title="Fullscreen"]').click();
  await page.waitForTimeout(4000); // let the force layout settle before fitting
  const fit = frame.locator('button[aria-label="zoom-to-fit"], button[title="Zoom to fit"]');
  if (await fit.count()) {
    await fit.first().click();
    await page.waitForTimeout(1500);
  }
  for (let i = 0; i < zoomOut; i++) {
    await frame.locator('button[aria-label="zoom-out"]').click();
    await page.waitForTimeout(500);
  }
  if (select) {
    await frame.locator('svg g.relationship', { hasText: select }).first().click({ force: true });
    await page.waitForTimeout(1000);
  }
  await shot(frame, name);
  await frame.locator('button[title="Close fullscreen"], button[title="Fullscreen"]').first().click();
}

async function shot(locator, name) {
  const file = path.join(outDir, name);
  await locator.screenshot({ path: file });
  console.log(`${file} (${Math.round(fs.statSync(file).size / 1024)} KB)`);
}

try {
  await page.goto(browserUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid="boltaddress"]', { timeout: 120000 });
  await page.selectOption('[data-testid="bolt-scheme-select"]', 'bolt://');
  await page.fill('[data-testid="boltaddress"]', boltHostPort);
  await page.fill('[data-testid="username"]', 'neo4j');
  await page.fill('[data-testid="password"]', fs.readFileSync(passwordFile, 'utf8').trim());
  await page.waitForTimeout(300);
  await shot(page.locator('[data-testid="frame"]').first(), 'browser-connect.png');
  await page.click('[data-testid="connect"]');
  await page.getByText('You are connected as user').first().waitFor({ timeout: 60000 });

  // Close the start-up frames so each screenshot shows one result.
  const closeAll = async () => {
    for (const button of await page.locator('[data-testid="frame"] [title="Close"]').all()) {
      await button.click().catch(() => {});
    }
  };
  await closeAll();

  // Apply the style the way an investigator does: drop style.grass onto the Browser window. (Typing
  // `:style <file content>` only works with the content on one line: the editor splits commands at line ends.)
  const before = await page.locator('[data-testid="frame"]').count();
  const files = await page.evaluateHandle((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'style.grass', { type: 'text/plain' }));
    return transfer;
  }, style);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('[data-testid="main"]', type, { dataTransfer: files });
  }
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="frame"]').length > n, before, { timeout: 30000 });
  await page.waitForTimeout(1000);
  await shot(page.locator('[data-testid="frame"]').first(), 'browser-style.png');
  await closeAll();

  await run(`:param ring_id => '${process.env.RING_ID}'`);
  await run(`:param hub_min_accounts => ${hub}`);
  await closeAll();
  await graphShot(await run(readQuery('ring'), { settle: 6000 }), 'ring.png');
  await closeAll();

  await run(`:param a => '${process.env.ACCOUNT_A}'`);
  await run(`:param b => '${process.env.ACCOUNT_B}'`);
  await closeAll();
  await graphShot(await run(readQuery('why_linked'), { settle: 5000 }), 'why-linked.png', { select: 'MATCHES' });
  await closeAll();

  await run(`:param account_id => '${process.env.ACCOUNT_A}'`);
  await run(':param depth => 2');
  await closeAll();
  await graphShot(await run(readQuery('neighbourhood'), { settle: 6000 }), 'neighbourhood.png', { zoomOut: 1 });
  await closeAll();

  await run(':param limit => 10');
  await closeAll();
  await shot(await run(readQuery('largest_components')), 'largest-components.png');
} catch (error) {
  const debug = path.join(os.tmpdir(), 'er-browser-failure.png');
  await page.screenshot({ path: debug }).catch(() => {});
  console.error(`failed; the page as it was: ${debug}`);
  throw error;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
