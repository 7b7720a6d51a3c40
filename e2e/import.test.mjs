// Issue 10: a malformed import is refused with a message that says what is wrong, and the
// series already saved are untouched; a valid bare manifest comes in as a new series.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, newPage, createSeries, journal, clearJournal } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Picks a file through the "Import" button's file chooser, as a person does. */
async function importFile(page, name, mimeType, buffer) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import', exact: true }).click()]);
  await chooser.setFiles({ name, mimeType, buffer });
}

/** The smallest valid manifest (one frame, no images; core's tests import it too), changed by `edit`. */
function manifest(edit = (m) => m) {
  const m = JSON.parse(readFileSync(new URL('../core/src/export/fixtures/bare_manifest.json', import.meta.url), 'utf8'));
  return Buffer.from(JSON.stringify(edit(m)));
}

test('malformed imports are refused with a clear message and nothing is lost', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'comic', name: 'Keep me' });
  await page.getByRole('button', { name: '← All series', exact: true }).click();
  await page.getByTestId('project-row').first().waitFor();
  await clearJournal(server.url);

  const cases = [
    ['broken.zip', 'application/zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]), /^Import refused: The archive was refused: /],
    ['notes.zip', 'application/zip', Buffer.from('hello, not a zip'), /not valid JSON/],
    ['picture.json', 'application/json', Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), /not UTF-8 text/],
    ['list.json', 'application/json', Buffer.from('title,prompt\nnot json'), /not valid JSON/],
    ['other.json', 'application/json', Buffer.from('{"format": "other"}'), /not a Continuity series manifest/],
    ['keyed.json', 'application/json', manifest((m) => { m.series.output.api_key = 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa'; return m; }),
      /field “api_key” \(at series\.output\.api_key\)\. Continuity never imports API keys/],
    ['future.json', 'application/json', manifest((m) => ({ ...m, schema_version: 7 })), /written by a newer version of Continuity \(schema 7/],
    ['extra.json', 'application/json', manifest((m) => { m.frames[0].colour = 'red'; return m; }), /field Continuity does not know: “colour” \(in frames\[0\]\)/],
    ['escape.json', 'application/json', manifest((m) => {
      m.images = [{ path: '../../evil.png', sha256: 'a'.repeat(64), mime: 'image/png', role: 'reference', bytes: 10, width: 1, height: 1 }];
      return m;
    }), /images\[0\]\.path/],
  ];
  for (const [name, type, buffer, expected] of cases) {
    await importFile(page, name, type, buffer);
    const error = page.getByTestId('import-error');
    await error.waitFor();
    const text = await error.textContent();
    assert.match(text, expected, `${name}: ${text}`);
    assert.match(text, /Nothing was changed\.$/);
    assert.ok(!text.includes('sk-proj'), 'a refused value is never echoed');
    // Still exactly the one series, untouched.
    assert.equal(await page.getByTestId('project-row').count(), 1, name);
  }
  await page.reload();
  await page.getByTestId('project-row').first().waitFor();
  assert.equal(await page.getByTestId('project-row').count(), 1);
  assert.match(await page.getByTestId('project-row').first().textContent(), /Keep me/);
  assert.equal((await journal(server.url)).length, 0, 'import never sends an image request');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a bare manifest becomes a new series beside the others, and again as another', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  for (let i = 1; i <= 2; i++) {
    await importFile(page, 'manifest.json', 'application/json', manifest());
    await page.getByTestId('import-result').filter({ hasText: 'Imported “From a manifest” as a new series (1 frame, 0 images).' }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=project-row]').length === n, i);
  }
  await page.getByTestId('open-project').first().click();
  await page.getByTestId('series-title').filter({ hasText: 'From a manifest' }).waitFor();
  assert.equal(await page.getByTestId('frame-prompt').first().inputValue(), 'A lighthouse at dusk');
  assert.equal(await page.getByTestId('frame-card').first().getAttribute('data-status'), 'idle', 'not queued: import never starts a generation');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a CSV pasted as a list previews its frames and bad rows, then adds them in one step', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'comic', name: 'From a list' });
  await page.getByText('Add frames from a list').click();
  await page.getByLabel('CSV with a header row').check();
  const list = page.getByTestId('list-input');
  await list.click();
  await list.pressSequentially('title,prompt,text:zh-Hans,product\n"Hook, part 1","{product} on a table\nat dawn",新鲜,Tea\nExtra,a,b,c,d\nOffer,مرحبا {product},只要3欧元,Cake\n');
  const preview = page.getByTestId('list-preview');
  await preview.waitFor();
  const text = await preview.textContent();
  assert.match(text, /2 frames will be added/, text);
  assert.match(text, /line 2: Hook, part 1 — Tea on a table\nat dawn/, text);
  assert.match(text, /line 5: Offer — مرحبا Cake/, text);
  assert.match(await page.getByTestId('list-bad-rows').textContent(), /^Line 4: 5 fields; the header has 4/);
  assert.equal(await page.getByTestId('frame-card').count(), 4, 'nothing changes before "Add"');
  await page.getByTestId('list-add').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]').length === 6);
  assert.equal(await page.getByTestId('frame-prompt').nth(4).inputValue(), 'Tea on a table\nat dawn');
  assert.equal(await page.getByTestId('frame-prompt').nth(5).inputValue(), 'مرحبا Cake');
  assert.deepEqual(errors, []);
  await context.close();
});
