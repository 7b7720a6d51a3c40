// Issue 8, the exploit in a real browser: with the server in forward mode (it holds an OpenAI
// key), a page on ANOTHER origin tries to spend it. The upstream is the built-in fake on a
// second port, whose journal shows every request that got through: it must stay empty.
// 1. no-cors multipart edit (a "simple" request: no preflight, so CORS cannot stop it);
// 2. an HTML form POST (classic CSRF, a top-level navigation);
// 3. JSON with the app's X-Continuity-Client header (needs a preflight, which is refused).
// A control from the server's own origin, with an access token (required by default), goes
// through, so the refusals are not an outage.
// Finally the logs of both servers are searched for the key, the prompts and image bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, launchBrowser, journal, clearJournal, makePng, freePort, SERVER_BIN } from './harness.mjs';

const KEY = `sk-e2e-proxy-${randomBytes(8).toString('hex')}`;
const PROMPT = `spend the owner's key ${randomBytes(4).toString('hex')}`;

let upstream, proxy, attacker, attackerUrl, browser, png, token;
before(async () => {
  png = await makePng(64, 64, [200, 40, 40]);
  const tokens = join(mkdtempSync(join(tmpdir(), 'continuity-tokens-')), 'tokens.json');
  token = execFileSync(SERVER_BIN, ['token', 'create', '--name', 'owner', '--tokens', tokens],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop().trim();
  upstream = await startServer(['--fake-latency-ms', '10']);
  proxy = await startServer(['--upstream', upstream.url.replace(/\/$/, ''), '--tokens', tokens], {
    provider: 'openai', env: { OPENAI_API_KEY: KEY },
  });
  const port = await freePort();
  attacker = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Some other site</title><p>Nothing to see.</p>');
  });
  await new Promise((r) => attacker.listen(port, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${port}/`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => (attacker ? attacker.close(r) : r()));
  await proxy?.stop();
  await upstream?.stop();
});

/**
 * Waits until the proxy's log, from character `since` on, has a line matching `re` (the
 * request arrived and was answered).
 */
async function logLine(re, since = 0) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const line = proxy.log().slice(since).split('\n').find((l) => re.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line ${re}:\n${proxy.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function attackerPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(attackerUrl);
  return { page, context };
}

test('a no-cors multipart edit from another origin is refused; the upstream receives nothing', async () => {
  await clearJournal(upstream.url);
  const since = proxy.log().length;
  const { page, context } = await attackerPage();
  const outcome = await page.evaluate(async ({ target, bytes, prompt }) => {
    const fd = new FormData();
    fd.append('model', 'gpt-image-2');
    fd.append('prompt', prompt);
    fd.append('quality', 'high');
    fd.append('image[]', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'a.png');
    const r = await fetch(`${target}v1/images/edits`, { method: 'POST', mode: 'no-cors', body: fd });
    return r.type; // opaque: the page learns nothing, and must have spent nothing
  }, { target: proxy.url, bytes: [...png], prompt: PROMPT });
  assert.equal(outcome, 'opaque');
  const line = await logLine(/^POST \/v1\/images\/edits /, since);
  assert.match(line, /^POST \/v1\/images\/edits 403 \d+ms refused=cross_origin_refused$/);
  assert.deepEqual(await journal(upstream.url), [], 'nothing reached the upstream');
  await context.close();
});

test('an HTML form POST from another origin is refused', async () => {
  await clearJournal(upstream.url);
  const { page, context } = await attackerPage();
  const navigation = page.waitForNavigation();
  await page.evaluate(({ target, prompt }) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'multipart/form-data';
    form.action = `${target}v1/images/generations`;
    for (const [name, value] of [['model', 'gpt-image-2'], ['prompt', prompt], ['quality', 'high']]) {
      const input = document.createElement('input');
      input.name = name; input.value = value; form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, { target: proxy.url, prompt: PROMPT });
  const response = await navigation;
  assert.equal(response.status(), 403);
  const body = JSON.parse(await response.text());
  assert.equal(body.error.code, 'cross_origin_refused');
  assert.deepEqual(await journal(upstream.url), []);
  await context.close();
});

test('JSON with the client header from another origin fails its preflight; nothing is forwarded', async () => {
  await clearJournal(upstream.url);
  let since = proxy.log().length;
  const { page, context } = await attackerPage();
  const error = await page.evaluate(async ({ target, prompt }) => {
    try {
      await fetch(`${target}v1/images/generations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-continuity-client': '1' },
        body: JSON.stringify({ model: 'gpt-image-2', prompt, quality: 'high' }),
      });
      return 'no error';
    } catch (e) {
      return e.name;
    }
  }, { target: proxy.url, prompt: PROMPT });
  assert.equal(error, 'TypeError', 'the browser blocks the request after the refused preflight');
  assert.match(await logLine(/^OPTIONS \/v1\/images\/generations /, since), / 403 \d+ms refused=cross_origin_refused$/);
  assert.ok(!/^POST /m.test(proxy.log().slice(since)), 'the POST itself was never sent');
  since = proxy.log().length;
  // The same JSON as a "simple" text/plain no-cors request: no header, no preflight, refused.
  await page.evaluate(async ({ target, prompt }) => {
    await fetch(`${target}v1/images/generations`, {
      method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ model: 'gpt-image-2', prompt, quality: 'high' }),
    });
  }, { target: proxy.url, prompt: PROMPT });
  assert.match(await logLine(/^POST \/v1\/images\/generations /, since), / 403 \d+ms refused=/);
  assert.deepEqual(await journal(upstream.url), []);
  await context.close();
});

test('control: the server\'s own page, with the client header and a token, is forwarded with the key', async () => {
  await clearJournal(upstream.url);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${proxy.url}healthz`);
  const statuses = await page.evaluate(async (token) => {
    const send = (headers) => fetch('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-image-2', prompt: 'own page', quality: 'low', size: '1024x1024' }),
    }).then((r) => r.status);
    const auth = { authorization: `Bearer ${token}` };
    return [await send(auth), await send({ 'x-continuity-client': '1' }), await send({ 'x-continuity-client': '1', ...auth })];
  }, token);
  assert.deepEqual(statuses, [403, 401, 200], 'without the header refused, without a token refused, with both forwarded');
  const seen = await journal(upstream.url);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].authorization_present, true, 'the server attached its key');
  await context.close();
});

test('the logs of both servers hold no key, prompt or image bytes', async () => {
  const logs = proxy.log() + upstream.log();
  assert.ok(logs.includes('POST /v1/images/edits 403'), logs);
  for (const secret of [KEY, PROMPT, "spend the owner", 'iVBORw0KGgo', png.toString('base64').slice(0, 24)]) {
    assert.ok(!logs.includes(secret), `logs leak ${secret}:\n${logs}`);
  }
});
