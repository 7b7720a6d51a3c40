// Two tabs of the app on one browser profile (security-reliability.md §3.6 STO-04): every tab
// sees the other's edits, neither overwrites the other's newer records with its older copy,
// and only one tab runs a batch at a time (Web Locks) — the fake receives N requests, not 2N.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, createSeries, journal, clearJournal, waitForStatus, planWithoutAnchor } from './harness.mjs';

let server, browser;
before(async () => {
  // Slow enough that the second tab tries while the first tab's batch is still running.
  server = await startServer(['--fake-latency-ms', '1500']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const prompt = (page, i) => page.getByTestId('frame-card').nth(i).getByTestId('frame-prompt');

test('two tabs see each other, never overwrite newer with older, and run one batch at a time', async () => {
  const context = await browser.newContext();
  const errors = [];
  const a = await context.newPage();
  const b = await context.newPage();
  for (const p of [a, b]) p.on('pageerror', (e) => errors.push(String(e)));
  await a.goto(server.url);
  await a.getByTestId('no-projects').waitFor();
  await createSeries(a, { template: 'custom', name: 'Two tabs', frames: 4 });
  const url = a.url();
  await b.goto(url);
  await b.getByTestId('series-title').filter({ hasText: 'Two tabs' }).waitFor();

  // An edit in tab A reaches tab B without a reload…
  await prompt(a, 0).pressSequentially('Typed in tab A', { delay: 5 });
  await b.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-prompt]')[0].value === 'Typed in tab A', null, { timeout: 10000 });
  // …and tab B's edit of another frame does not overwrite it with B's older copy.
  await prompt(b, 1).pressSequentially('Typed in tab B', { delay: 5 });
  await a.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-prompt]')[1].value === 'Typed in tab B', null, { timeout: 10000 });
  // Both edits are stored: each tab wrote only the record it changed.
  await a.waitForTimeout(700);
  for (const p of [a, b]) {
    await p.reload();
    await p.getByTestId('series-title').filter({ hasText: 'Two tabs' }).waitFor();
    assert.equal(await prompt(p, 0).inputValue(), 'Typed in tab A');
    assert.equal(await prompt(p, 1).inputValue(), 'Typed in tab B');
  }

  // One batch at a time across tabs.
  await clearJournal(server.url);
  await planWithoutAnchor(a);
  await a.getByTestId('start-plan').click();
  await a.getByTestId('cancel-all').waitFor();
  await planWithoutAnchor(b);
  await b.getByTestId('start-plan').click();
  const notice = b.getByTestId('notice');
  await notice.filter({ hasText: 'A batch is running in another tab' }).waitFor();
  await waitForStatus(a, 'done', 4, 60000);
  // Tab B hears about tab A's images and shows them.
  await waitForStatus(b, 'done', 4, 20000);
  const sent = await journal(server.url);
  assert.equal(sent.length, 4, 'one request per frame, from one tab');

  // After tab A's batch, tab B may run one (the lock is free again).
  await clearJournal(server.url);
  await b.getByTestId('frame-card').nth(3).getByTestId('generate-frame').click();
  await b.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-card] [data-testid=variant]').length >= 2, null, { timeout: 20000 });
  assert.equal((await journal(server.url)).length, 1);

  assert.deepEqual(errors, []);
  await context.close();
});
