// The investigator kit in a real Neo4j Browser (headless Debian chromium, playwright-core): log in, drop the
// style, open the guide served by the managed server, draw the ring view of RING_ID, show its members table and
// why_linked for ACCOUNT_A/ACCOUNT_B. Prints one JSON line of what it saw (the pytest test asserts on it) and,
// with SHOTS_DIR set, saves every screenshot docs/investigators.md uses (the Connect form, the style, largest
// rings, a ring, a component, the ring view and members table, why_linked, a neighbourhood). One browser
// session; the only source of those pictures.
//
// Environment: PLAYWRIGHT_DIR (folder with node_modules/playwright-core: scripts/browser-test-deps.sh prints it),
// BROWSER_URL (http://127.0.0.1:7474/browser/), BOLT_HOSTPORT (127.0.0.1:7687), NEO4J_PASSWORD_FILE,
// GUIDE_URL, RING_ID, BRIDGE_RING_ID (a ring with a bridge, for ring.png), ACCOUNT_A, ACCOUNT_B,
// SHOTS_DIR (optional), CHROMIUM (/usr/bin/chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR || here, 'package.json'));
const { chromium } = require('playwright-core');

const env = (name, fallback) => process.env[name] || fallback;
const need = (name) => {
  if (!process.env[name]) { console.error(`set ${name}`); process.exit(2); }
  return process.env[name];
};
const browserUrl = env('BROWSER_URL', 'http://127.0.0.1:7474/browser/');
const boltHostPort = env('BOLT_HOSTPORT', '127.0.0.1:7687');
const passwordFile = need('NEO4J_PASSWORD_FILE');
const guideUrl = need('GUIDE_URL');
const [ringId, accountA, accountB] = [need('RING_ID'), need('ACCOUNT_A'), need('ACCOUNT_B')];
const bridgeRingId = env('BRIDGE_RING_ID', ringId);
const shotsDir = process.env.SHOTS_DIR;
const repo = path.resolve(here, '..', '..');
const readQuery = (name) => fs.readFileSync(path.join(repo, 'cypher', 'explore', `${name}.cypher`), 'utf8');
const style = fs.readFileSync(path.join(repo, 'cypher', 'browser', 'style.grass'), 'utf8');
const seen = {};

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'er-browser-test-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  headless: true,
  viewport: { width: 1280, height: 860 },
  deviceScaleFactor: 1,
  bypassCSP: true, // Browser's CSP forbids eval, which playwright's waitForFunction uses
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || (await context.newPage());
const frames = () => page.locator('[data-testid="frame"]');

async function shot(locator, name) {
  if (shotsDir) await locator.screenshot({ path: path.join(shotsDir, name) });
}

// A graph result in a full-window frame, zoomed to fit, so captions are readable. `select` names a relationship
// type to click first (the side panel shows its properties); `zoomOut` clicks zoom-out that many times after
// fitting (the side panel covers the right edge of a fitted small graph).
async function graphShot(frame, name, { select, zoomOut = 0 } = {}) {
  // Browser opens a result in the view last chosen (why_linked switches to Table): back to the graph
  await frame.getByText('Graph', { exact: true }).first().click();
  await page.waitForTimeout(1000);
  await frame.locator('button[title="Fullscreen"]').click();
  await page.waitForTimeout(3000); // let the force layout settle before fitting
  const fit = frame.locator('button[aria-label="zoom-to-fit"], button[title="Zoom to fit"]');
  if (await fit.count()) { await fit.first().click(); await page.waitForTimeout(1500); }
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

async function closeAll() {
  for (const button of await page.locator('[data-testid="frame"] [title="Close"]').all()) {
    await button.click().catch(() => {});
  }
}

// Type a command into the editor and run it; returns the new (topmost) frame.
async function run(command, { settle = 1000 } = {}) {
  const before = await frames().count();
  await page.locator('[data-testid="activeEditor"]').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(command);
  await page.locator('[data-testid="editor-Run"]').click();
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="frame"]').length > n, before, { timeout: 60000 });
  const frame = frames().first();
  if (!command.startsWith(':')) {
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

try {
  await page.goto(browserUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid="boltaddress"]', { timeout: 120000 });
  await page.selectOption('[data-testid="bolt-scheme-select"]', 'bolt://');
  await page.fill('[data-testid="boltaddress"]', boltHostPort);
  await page.fill('[data-testid="username"]', 'neo4j');
  await page.fill('[data-testid="password"]', fs.readFileSync(passwordFile, 'utf8').trim());
  await page.waitForTimeout(300);
  await shot(frames().first(), 'browser-connect.png');
  await page.click('[data-testid="connect"]');
  await page.getByText('You are connected as user').first().waitFor({ timeout: 60000 });
  await closeAll();

  // the style, dropped on the window as an investigator does
  const before = await frames().count();
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
  await shot(frames().first(), 'browser-style.png');
  await closeAll();

  // the guide: its first slide and its clickable queries
  const guide = await run(`:play ${guideUrl}`, { settle: 3000 });
  seen.guide_text = (await guide.innerText()).slice(0, 2000);
  seen.guide_runnable = await guide.locator('pre.runnable, pre.code').count();
  await shot(guide, 'guide.png');
  await closeAll();

  // largest rings (table), a ring with a bridge (graph), a component named by an account id (graph)
  await run(':param limit => 10');
  await closeAll();
  await shot(await run(readQuery('largest_components')), 'largest-components.png');
  await closeAll();
  await run(`:param ring_id => '${bridgeRingId}'`);
  await closeAll();
  await graphShot(await run(readQuery('ring'), { settle: 5000 }), 'ring.png');
  await closeAll();
  await run(`:param ring_id => '${accountA}'`);
  await closeAll();
  await graphShot(await run(readQuery('ring'), { settle: 5000 }), 'ring-component.png');
  await closeAll();

  // the ring view, fitted in a full-window frame
  await run(`:param ring_id => '${ringId}'`);
  await closeAll();
  const view = await run(readQuery('ring_view'), { settle: 5000 });
  seen.ring_view_nodes = await view.locator('svg g.node').count();
  seen.ring_view_relationships = await view.locator('svg g.relationship').count();
  await view.locator('button[title="Fullscreen"]').click();
  await page.waitForTimeout(3000);
  const fit = view.locator('button[aria-label="zoom-to-fit"], button[title="Zoom to fit"]');
  if (await fit.count()) { await fit.first().click(); await page.waitForTimeout(1500); }
  await shot(view, 'ring-view.png');
  await view.locator('button[title="Close fullscreen"], button[title="Fullscreen"]').first().click();
  await closeAll();

  // the members table: every row rendered (the frame scrolls; the full-window shot shows the first ones)
  const members = await run(readQuery('ring_members'), { settle: 2000 });
  const memberContents = members.locator('[data-testid="frame-loaded-contents"]');
  seen.members_text = await memberContents.innerText();
  seen.members_rows = await members.locator('[role="row"], tbody tr').count();
  await members.locator('button[title="Fullscreen"]').click();
  await page.waitForTimeout(1500);
  await shot(members, 'ring-members.png');
  await members.locator('button[title="Close fullscreen"], button[title="Fullscreen"]').first().click();
  await closeAll();

  // why_linked: the MATCHES link selected (its ev_/mw_ properties in the side panel), then the table
  await run(`:param a => '${accountA}'`);
  await run(`:param b => '${accountB}'`);
  await closeAll();
  const why = await run(readQuery('why_linked'), { settle: 4000 });
  await why.locator('svg g.relationship', { hasText: 'MATCHES' }).first().click({ force: true });
  await page.waitForTimeout(1000);
  seen.why_linked_panel = await why.locator('[data-testid="frame-loaded-contents"]').innerText();
  await shot(why, 'why-linked-evidence.png');
  await why.getByText('Table', { exact: true }).first().click();
  await page.waitForTimeout(1500);
  seen.why_linked_table = await why.locator('[data-testid="frame-loaded-contents"]').innerText();
  await why.locator('button[title="Fullscreen"]').click();
  await page.waitForTimeout(1500);
  await shot(why, 'why-linked.png');
  await why.locator('button[title="Close fullscreen"], button[title="Fullscreen"]').first().click();
  await closeAll();

  // the neighbourhood of account A at depth 2
  await run(`:param account_id => '${accountA}'`);
  await run(':param depth => 2');
  await closeAll();
  await graphShot(await run(readQuery('neighbourhood'), { settle: 5000 }), 'neighbourhood.png', { zoomOut: 1 });
  console.log(JSON.stringify(seen));
} catch (error) {
  const debug = path.join(os.tmpdir(), 'er-browser-test-failure.png');
  await page.screenshot({ path: debug }).catch(() => {});
  console.error(`failed; the page as it was: ${debug}`);
  throw error;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
