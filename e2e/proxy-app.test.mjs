// The app through the safe proxy (issue 8, the app's half): continuity-server in forward mode
// holds the OpenAI key (its upstream is the fake on another port) and requires access tokens.
// The app says a token is needed before sending anything, takes one in Settings (kept like a
// key: this tab only by default), sends it with the client header, and honours the proxy's
// per-token rate limit (429 + retry-after) by waiting and retrying — nothing is lost and no
// request is sent twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  startServer, launchBrowser, newPage, createSeries, journal, clearJournal, openSettings, closeSettings,
  webStorage, waitForStatus, SERVER_BIN, planWithoutAnchor,
} from './harness.mjs';

const KEY = `sk-e2e-owner-${randomBytes(8).toString('hex')}`;
let upstream, proxy, browser, token;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'continuity-tokens-'));
  const tokens = join(dir, 'tokens.json');
  // Two requests per second: the third of a quick batch is refused with a short retry-after.
  const out = execFileSync(SERVER_BIN, ['token', 'create', '--name', 'e2e', '--rate', '2/s', '--tokens', tokens],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  token = out.trim().split('\n').pop().trim();
  assert.match(token, /^ct_[A-Za-z0-9_-]{43}$/);
  upstream = await startServer(['--fake-latency-ms', '10']);
  // Tokens are required by default in forward mode.
  proxy = await startServer(['--upstream', upstream.url.replace(/\/$/, ''), '--tokens', tokens],
    { provider: 'openai', env: { OPENAI_API_KEY: KEY } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await upstream?.stop();
});

test('a token is asked for, sent with the client header, and the rate limit is waited out', async () => {
  const { page, context, errors } = await newPage(browser);
  const sent = [];
  page.on('request', (r) => { if (r.url().includes('/v1/images/')) sent.push(r); });
  await page.goto(proxy.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'custom', name: 'Through the proxy', frames: 5 });
  await clearJournal(upstream.url);

  // Without a token: refused before anything is sent, and Settings opens.
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await page.getByTestId('notice').filter({ hasText: 'This server needs an access token' }).waitFor();
  await page.getByTestId('settings').waitFor();
  assert.equal(sent.length, 0, 'nothing was sent without a token');

  const field = page.getByTestId('access-token');
  await field.pressSequentially(token, { delay: 2 });
  await page.getByTestId('save-token').click();
  await page.getByText(`Token in use: ct_…${token.slice(-4)}`).waitFor();
  assert.equal(await field.inputValue(), '', 'the field is emptied once the token is in use');
  await closeSettings(page);
  const stored = await webStorage(page);
  assert.equal(stored.session['continuity.token'], token, 'kept for this tab');
  assert.ok(!JSON.stringify(stored.local).includes(token), 'not remembered unless asked');

  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 5, 60000);
  // Every request carried the token and the client header, to this server only.
  assert.equal(sent.length >= 5, true);
  for (const r of sent) {
    const h = await r.allHeaders();
    assert.equal(h.authorization, `Bearer ${token}`);
    assert.equal(h['x-continuity-client'], '1');
    assert.equal(new URL(r.url()).origin, new URL(proxy.url).origin);
  }
  // The proxy refused at least one request with 429 (2 per second), the app waited and
  // retried it; the upstream got exactly one request per frame.
  assert.match(proxy.log(), / 429 /, 'the rate limit was hit');
  assert.ok(sent.length > 5, `${sent.length} requests from the page: the refused ones were retried`);
  const reached = await journal(upstream.url);
  assert.equal(reached.length, 5, 'one paid request per frame reached OpenAI');
  assert.ok(reached.every((e) => e.authorization_present));
  assert.ok(!proxy.log().includes(token) && !proxy.log().includes(KEY), 'no secret in the log');
  assert.deepEqual(errors, []);
  await context.close();
});
