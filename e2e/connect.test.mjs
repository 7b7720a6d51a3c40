// How the app connects, and where the user's key goes (security-reliability.md §1.8 SEC-KEY-04,
// SEC-KEY-05). The fake stands in for OpenAI as a *custom endpoint* (its `/v1`, behind a
// recording pass-through), so a real key-shaped secret really travels. Every request the page
// makes is recorded by Playwright, and every request that reaches the endpoint is recorded
// byte for byte (multipart bodies too, which Playwright's request events do not carry); both
// are searched for it: the key may appear in exactly one place, the `Authorization: Bearer`
// header of requests to the configured endpoint (image requests, and `GET /v1/models`, whose
// shutdown dates the Model select follows).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  startServer, launchBrowser, newPage, journal, createSeries, recordRequests, requestLog,
  openSettings, closeSettings, webStorage, indexedDbText, waitForFramesSettled, makePng, openBible, closeBible,
  planWithoutAnchor,
} from './harness.mjs';
import { startRecorder } from './recorder.mjs';

// Key-shaped, and unique to this run so nothing stale can match it.
const KEY = `sk-test-e2e-SECRETKEY123456789${randomBytes(4).toString('hex')}`;

let server, browser, recorder;
before(async () => {
  server = await startServer(['--fake-latency-ms', '100']);
  recorder = await startRecorder(server.url);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await recorder?.stop();
  await server?.stop();
});

/** The fake's `/v1`, through the recorder, as a custom endpoint (an absolute URL, as a user
 * would paste it). */
const baseUrl = () => `${recorder.url}/v1`;
const isImageRequest = (r) => r.url.startsWith(`${baseUrl()}/images/`);
/** The endpoint's model list (issue 21: its shutdown dates win over the catalogue's). */
const isModelList = (r) => r.method === 'GET' && r.url === `${baseUrl()}/models`;

/** Settings → Custom endpoint = the fake, then types the key and presses "Use this key". */
async function connectWithKey(page) {
  await openSettings(page);
  await page.locator('#conn-custom').check();
  const url = page.getByTestId('custom-base-url');
  await url.fill(baseUrl());
  await url.press('Tab'); // the field saves on `change`, which a real user triggers by leaving it
  const key = page.getByTestId('api-key');
  await key.fill(KEY);
  await page.getByTestId('save-key').click();
  // The dialog confirms a key is in use, showing only its last four characters.
  await page.getByText(`Key in use: sk-…${KEY.slice(-4)}`).waitFor();
}

/** Creates a 2-frame series whose style carries `token` and generates it to the end. */
async function generateSeries(page, token) {
  await createSeries(page, { template: 'custom', name: `Connect ${token}`, frames: 2 });
  await openBible(page);
  await page.getByTestId('series-style').pressSequentially(`Pencil sketch ${token}`);
  await closeBible(page);
  // Both frames made on their own; the plan asks for a confirmation ("Start"): give it.
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForFramesSettled(page, 2);
}

test('SEC-KEY-04/05: the key travels only in the Authorization header to the custom endpoint', async () => {
  const { page, context, errors } = await newPage(browser);
  const records = recordRequests(page);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await connectWithKey(page);

  // SEC-KEY-04: the key field hides what is typed and keeps it out of autofill and spellcheck.
  const input = page.getByTestId('api-key');
  assert.equal(await input.getAttribute('type'), 'password');
  assert.equal(await input.getAttribute('autocomplete'), 'off');
  assert.equal(await input.getAttribute('spellcheck'), 'false');
  assert.equal(await input.inputValue(), '', 'the field is emptied once the key is in use');
  assert.ok(!(await page.content()).includes(KEY), 'the key is in no DOM text or attribute');
  await closeSettings(page);

  const token = randomBytes(6).toString('hex');
  await generateSeries(page, token);
  const cards = page.getByTestId('frame-card');
  assert.equal(await cards.nth(0).getAttribute('data-status'), 'done');
  assert.equal(await cards.nth(1).getAttribute('data-status'), 'done');

  // A character with a reference image makes the next request a multipart edit.
  await openBible(page);
  await page.getByTestId('add-character').click();
  const png = await makePng(64, 64, [200, 40, 40]);
  await page.getByTestId('reference-input').setInputFiles({ name: 'mira.png', mimeType: 'image/png', buffer: png });
  await page.getByTestId('reference').locator('img').waitFor();
  await closeBible(page);
  await cards.nth(1).getByTestId('generate-frame').click();
  await page.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-card]')[1].querySelectorAll('[data-testid=variant]').length === 2,
  null, { timeout: 30000 });

  // Every request the page made: the key appears only as the bearer of image requests to the
  // configured endpoint.
  const log = await requestLog(records);
  const images = log.filter(isImageRequest);
  assert.equal(images.length, 3, 'three image requests went to the custom endpoint');
  for (const r of images) {
    assert.equal(r.method, 'POST');
    assert.equal(r.headers.authorization, `Bearer ${KEY}`, r.url);
  }
  for (const r of log) {
    assert.ok(!r.url.includes(KEY), `key in a URL: ${r.url.slice(0, 120)}`);
    for (const [name, value] of Object.entries(r.headers)) {
      if (!value.includes(KEY)) continue;
      assert.equal(name, 'authorization', `key in header ${name} of ${r.url.slice(0, 120)}`);
      assert.ok(isImageRequest(r) || isModelList(r), `key sent to ${r.url.slice(0, 120)}`);
    }
  }
  // What reached the endpoint, byte for byte, for every kind of request (JSON generations,
  // streamed ones, multipart edits with an image): the key is in the Authorization header
  // and nowhere else — not in the URL, another header or the body.
  const reached = recorder.requests.filter((r) => r.method === 'POST');
  const kinds = reached.map((r) => `${r.url} ${r.headers['content-type']?.split(';')[0]}`);
  assert.ok(kinds.includes('/v1/images/generations application/json'), kinds.join(', '));
  assert.ok(kinds.includes('/v1/images/edits multipart/form-data'), kinds.join(', '));
  const edit = reached.find((r) => r.url === '/v1/images/edits');
  assert.ok(edit.body.includes(png), 'the multipart body, the reference image included, was read');
  assert.ok(edit.body.includes(Buffer.from('name="image[]"')), 'the recorder saw the image part');
  for (const r of recorder.requests) {
    assert.ok(!r.url.includes(KEY), `key in the URL ${r.url}`);
    assert.ok(!r.body.includes(Buffer.from(KEY)), `key in the body of ${r.method} ${r.url}`);
    for (const [name, value] of Object.entries(r.headers)) {
      if (name === 'authorization') continue;
      assert.ok(!String(value).includes(KEY), `key in header ${name} of ${r.url}`);
    }
    if (r.method === 'POST') assert.equal(r.headers.authorization, `Bearer ${KEY}`, r.url);
    // The model list is asked for as soon as the endpoint is set, before a key is given too.
    else if (r.method === 'GET' && r.url === '/v1/models') {
      assert.ok([undefined, `Bearer ${KEY}`].includes(r.headers.authorization), r.url);
    } else assert.equal(r.headers.authorization, undefined, `credentials on ${r.method} ${r.url}`);
  }
  // What the fake itself received for this series: every request authorised.
  const received = (await journal(server.url)).filter((e) => e.params.prompt?.includes(token));
  assert.equal(received.length, 3);
  assert.ok(received.every((e) => e.authorization_present === true), JSON.stringify(received));

  // Kept for this tab only by default: in sessionStorage, nowhere in localStorage or IndexedDB,
  // and never shown.
  const stored = await webStorage(page);
  assert.equal(stored.session['continuity.key'], KEY);
  assert.ok(!JSON.stringify(stored.local).includes(KEY), 'key in localStorage');
  assert.ok(!(await indexedDbText(page)).includes(KEY), 'key in IndexedDB');
  assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(KEY), 'key on screen');
  assert.ok(!(await page.content()).includes(KEY), 'key in the DOM');

  // "Remember on this device" adds the localStorage copy; "Forget key" removes every copy.
  await openSettings(page);
  await page.getByLabel('Remember on this device').check();
  assert.equal((await webStorage(page)).local['continuity.key'], KEY, 'remembered on request');
  await page.getByTestId('forget-key').click();
  await page.getByText('No key in use.').waitFor();
  const after = await webStorage(page);
  assert.ok(!JSON.stringify(after.session).includes(KEY), 'key left in sessionStorage');
  assert.ok(!JSON.stringify(after.local).includes(KEY), 'key left in localStorage');

  assert.deepEqual(errors, []);
  await context.close();
});

test('"This server" sends no Authorization header, even with a key stored for another connection', async () => {
  const { page, context, errors } = await newPage(browser);
  const records = recordRequests(page);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  // A key exists (saved while on the custom endpoint)…
  await connectWithKey(page);
  assert.equal((await webStorage(page)).session['continuity.key'], KEY);
  // …then the user goes back to the server that served the page, which holds its own key.
  await page.locator('#conn-server').check();
  await page.getByTestId('api-key').waitFor({ state: 'detached' });
  await closeSettings(page);
  assert.match(await page.getByTestId('connection').textContent(), /^This server/);

  const token = randomBytes(6).toString('hex');
  await generateSeries(page, token);
  const cards = page.getByTestId('frame-card');
  assert.equal(await cards.nth(0).getAttribute('data-status'), 'done');
  assert.equal(await cards.nth(1).getAttribute('data-status'), 'done');

  const log = await requestLog(records);
  const images = log.filter((r) => new URL(r.url).pathname.startsWith('/v1/images/'));
  assert.equal(images.length, 2, 'one request per frame, to this server');
  for (const r of images) {
    assert.equal(r.headers.authorization, undefined, `Authorization sent to ${r.url}`);
  }
  // The custom endpoint's model list was asked for (with the key) while it was the one in use.
  for (const r of log.filter((r) => !isModelList(r))) {
    assert.ok(!JSON.stringify(r).includes(KEY), `key in ${r.method} ${r.url.slice(0, 120)}`);
  }
  const ownList = log.filter((r) => r.method === 'GET' && r.url === `${server.url}v1/models`);
  for (const r of ownList) assert.equal(r.headers.authorization, undefined, 'no credentials to this server');
  const received = (await journal(server.url)).filter((e) => e.params.prompt?.includes(token));
  assert.equal(received.length, 2);
  assert.ok(received.every((e) => e.authorization_present === false), JSON.stringify(received));
  assert.deepEqual(errors, []);
  await context.close();
});
