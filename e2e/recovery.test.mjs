// Nothing paid is lost (issue 21, the app's half): every image request sent through
// continuity-server carries a job id, the frame's in-flight record is stored before it leaves,
// and after a reload or a network cut the app asks the server for the answer it kept and
// stores it as a normal version marked "recovered" — never sent twice, counted once in
// "spent". A job is readable only with the token that created it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  startServer, launchBrowser, newPage, createSeries, journal, clearJournal, planWithoutAnchor,
  openSettings, closeSettings, waitForStatus, SERVER_BIN,
} from './harness.mjs';

/** Back to the projects screen, as a person would (the browser's address: the list). */
async function gotoProjects(page) {
  await page.goto(new URL('/', page.url()).href);
  await page.getByTestId('create-series').waitFor();
  return page;
}

// Slow answers: requests are still in flight when the page goes or the network drops.
const LATENCY_MS = 4000;
let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', String(LATENCY_MS)]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Creates a custom series of `n` frames whose prompts, typed key by key, carry markers. */
async function seriesWithMarkers(page, name, n) {
  await createSeries(page, { template: 'custom', name, frames: n });
  const prompts = page.getByTestId('frame-prompt');
  for (let i = 0; i < n; i++) await prompts.nth(i).pressSequentially(`Marker${i} a lighthouse`, { delay: 1 });
}

/** Records every image request the page sends: `{ url, job }` (the job header's value). */
function imageRequests(page) {
  const sent = [];
  page.on('request', (r) => {
    if (/\/v1\/images\//.test(r.url())) sent.push({ url: r.url(), job: r.headers()['x-continuity-job'] ?? null, body: r.postData() ?? '' });
  });
  return sent;
}

/** Which frames (by marker index) the fake answered, and how often each. */
async function answeredByFrame(url, n) {
  const prompts = (await journal(url)).map((r) => r.params.prompt ?? '');
  return [...Array(n).keys()].map((i) => prompts.filter((p) => p.includes(`Marker${i} `)).length);
}

/** Dollars in a "$0.053 …" text. */
const dollars = (text) => Number(text.match(/\$(\d+(?:\.\d+)?)/)[1]);

/** Waits until every frame in `frames` shows "recovered" on its card. */
async function waitRecovered(page, frames, timeout = 30000) {
  await page.waitForFunction((want) => {
    const cards = [...document.querySelectorAll('[data-testid=frame-card]')];
    return want.every((i) => cards[i]?.querySelector('[data-testid=frame-recovered]'));
  }, frames, { timeout });
}

/** "Spent" is counted once per request: the spend line equals the sum of the frames' costs. */
async function assertSpentOnce(page, n) {
  const costs = await page.locator('[data-testid=frame-card] .frame-cost').allTextContents();
  const sum = costs.filter((c) => c.includes('$')).map(dollars).reduce((a, b) => a + b, 0);
  const spend = await page.getByTestId('series-spend').textContent();
  assert.ok(costs.filter((c) => c.includes('$')).length === n, `every frame has a cost: ${costs}`);
  assert.ok(Math.abs(dollars(spend) - sum) < 0.0015, `spent (${spend}) is each request once (${sum.toFixed(3)})`);
}

test('reload immediately after Start: every frame sent is recovered or flagged, none silently Empty, nothing paid twice', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await seriesWithMarkers(page, 'Reload at once', 4);
  await clearJournal(server.url);
  const sent = imageRequests(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  // The moment the first request leaves, the page goes (before any answer).
  while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Reload at once' }).waitFor();
  assert.ok(sent.every((s) => /^[0-9a-f]{32}$/.test(s.job)), 'every request carries a 128-bit job id');

  // Let every request the fake received finish there, and the app ask for it.
  await new Promise((r) => setTimeout(r, LATENCY_MS + 500));
  const answered = await answeredByFrame(server.url, 4);
  const reached = answered.flatMap((c, i) => (c > 0 ? [i] : []));
  assert.ok(reached.length > 0, 'at least one request reached the fake');
  await waitRecovered(page, reached);
  const sentFrames = [0, 1, 2, 3].filter((i) => sent.some((s) => s.body.includes(`Marker${i} `)));
  const cards = page.getByTestId('frame-card');
  for (const i of sentFrames) {
    if (reached.includes(i)) continue;
    // Sent but never received: the honest flag, not a silent "Empty".
    const message = await cards.nth(i).getByTestId('frame-error').textContent({ timeout: 10000 });
    assert.match(message, /may have been billed/, `frame ${i + 1} was sent`);
  }
  // Nothing is sent again by itself, and nothing was paid twice.
  await new Promise((r) => setTimeout(r, 1500));
  const final = await answeredByFrame(server.url, 4);
  assert.ok(final.every((c) => c <= 1), `no frame paid twice: ${final}`);
  assert.deepEqual(final, answered, 'no request after the reload');
  await assertSpentOnce(page, reached.length);
  assert.deepEqual(errors, []);
  await context.close();
});

test('reload while 4 frames are in flight: all 4 come back as versions marked "recovered", one request each', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await seriesWithMarkers(page, 'Four in flight', 4);
  await clearJournal(server.url);
  const sent = imageRequests(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  while (sent.length < 4) await new Promise((r) => setTimeout(r, 5));
  // All four are on their way (the fake answers after LATENCY_MS).
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await answeredByFrame(server.url, 4), [0, 0, 0, 0], 'none answered yet');
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Four in flight' }).waitFor();

  await waitRecovered(page, [0, 1, 2, 3]);
  await waitForStatus(page, 'done', 4, 15000);
  const cards = page.getByTestId('frame-card');
  for (let i = 0; i < 4; i++) assert.equal(await cards.nth(i).getByTestId('frame-error').count(), 0);
  assert.deepEqual(await answeredByFrame(server.url, 4), [1, 1, 1, 1], 'one request per frame');
  assert.equal(new Set(sent.map((s) => s.job)).size, 4, 'four distinct job ids');
  await assertSpentOnce(page, 4);

  // The inspector's version row says so too, and a reload keeps it all.
  await cards.nth(0).getByTestId('open-inspector').click();
  await page.getByTestId('inspector').getByTestId('version-recovered').waitFor();
  await page.keyboard.press('Escape');
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Four in flight' }).waitFor();
  await waitRecovered(page, [0, 1, 2, 3], 10000);
  await assertSpentOnce(page, 4);
  assert.deepEqual(await answeredByFrame(server.url, 4), [1, 1, 1, 1], 'nothing sent again');
  assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e)), []);
  await context.close();
});

test('the network cut for 3 s while 4 frames are in flight: nothing lost, nothing sent twice; lost with the page, recovered when it is back', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await seriesWithMarkers(page, 'Network cut', 4);
  await clearJournal(server.url);
  let sent = imageRequests(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  while (sent.length < 4) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 300));
  // Chromium's offline emulation does not cut a connection already open, so these answers
  // may still arrive: either way each frame ends with its one image, no flag, paid once.
  await context.setOffline(true);
  await new Promise((r) => setTimeout(r, 3000));
  await context.setOffline(false);
  await waitForStatus(page, 'done', 4, 30000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await answeredByFrame(server.url, 4), [1, 1, 1, 1], 'one request per frame, none sent again');
  assert.equal(await page.getByTestId('frame-error').count(), 0);
  await assertSpentOnce(page, 4);

  // The cut that loses the requests: offline, and the page reloaded meanwhile (it opens from
  // the service worker's cache). The app cannot reach the server until the network is back;
  // then ('online') it asks, and all four come back "recovered".
  await createSeries(await gotoProjects(page), { template: 'custom', name: 'Cut and reload', frames: 4 });
  const prompts = page.getByTestId('frame-prompt');
  for (let i = 0; i < 4; i++) await prompts.nth(i).pressSequentially(`Cut${i} a harbour`, { delay: 1 });
  await clearJournal(server.url);
  sent = imageRequests(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  while (sent.length < 4) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 300));
  await context.setOffline(true);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Cut and reload' }).waitFor();
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await page.getByTestId('frame-recovered').count(), 0, 'nothing to read while offline');
  await context.setOffline(false);
  await waitRecovered(page, [0, 1, 2, 3]);
  await waitForStatus(page, 'done', 4, 15000);
  const cut = (await journal(server.url)).map((r) => r.params.prompt ?? '');
  assert.deepEqual([0, 1, 2, 3].map((i) => cut.filter((p) => p.includes(`Cut${i} `)).length), [1, 1, 1, 1],
    'one request per frame');
  await assertSpentOnce(page, 4);
  assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|network/i.test(e)), []);
  await context.close();
});

test('a second browser context with another token cannot read the first one\'s jobs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'continuity-tokens-'));
  const tokens = join(dir, 'tokens.json');
  const create = (name) => execFileSync(SERVER_BIN, ['token', 'create', '--name', name, '--tokens', tokens],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop().trim();
  const [tokenA, tokenB] = [create('a'), create('b')];
  const upstream = await startServer(['--fake-latency-ms', '1500']);
  const proxy = await startServer(['--upstream', upstream.url.replace(/\/$/, ''), '--tokens', tokens],
    { provider: 'openai', env: { OPENAI_API_KEY: `sk-e2e-${randomBytes(8).toString('hex')}` } });
  try {
    const a = await newPage(browser);
    await a.page.goto(proxy.url);
    await openSettings(a.page);
    await a.page.getByTestId('access-token').pressSequentially(tokenA, { delay: 1 });
    await a.page.getByTestId('save-token').click();
    await closeSettings(a.page);
    await seriesWithMarkers(a.page, 'Token A', 1);
    const sent = imageRequests(a.page);
    await planWithoutAnchor(a.page);
    await a.page.getByTestId('start-plan').click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid=frame-card]')?.dataset.status === 'done', null, { timeout: 30000 });
    const job = sent[0].job;
    assert.match(job, /^[0-9a-f]{32}$/);

    const read = (page, token) => page.evaluate(async ([id, t]) => {
      const r = await fetch(`/v1/continuity/jobs/${id}`, { headers: { Authorization: `Bearer ${t}`, 'x-continuity-client': '1' } });
      return { status: r.status, job: r.headers.get('x-continuity-job-status'), body: await r.text() };
    }, [job, token]);
    const own = await read(a.page, tokenA);
    assert.equal(own.status, 200, 'its own token reads the job');
    assert.equal(own.job, 'done');

    const b = await newPage(browser);
    await b.page.goto(proxy.url);
    const other = await read(b.page, tokenB);
    assert.equal(other.status, 404, 'another token cannot read it');
    assert.equal(other.job, 'unknown');
    assert.ok(!other.body.includes('b64_json'), 'no image leaks');
    assert.deepEqual(a.errors, []);
    await a.context.close();
    await b.context.close();
  } finally {
    await proxy.stop();
    await upstream.stop();
  }
});
