// Issue 10: a 9-slide carousel leaves as each export file and comes back from its ZIP.
// Files are opened by independent readers: Python's zipfile, poppler's pdfinfo, a GIF block
// walker, Chromium opening the share page from file://.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allThumbnailsShown, startServer, launchBrowser, newPage, createSeries, shownImageSha256, sha256, waitForStatus, journal, clearJournal, waitForFramesSettled, planWithoutAnchor, cardAction } from './harness.mjs';

let server, browser, page, context, errors;
const dir = mkdtempSync(join(tmpdir(), 'continuity-export-'));

before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
  ({ page, context, errors } = await newPage(browser));
});
after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

/** Chooses `name` from the Export menu and saves the download; returns its path. */
async function exportAs(name) {
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const item = page.getByRole('menuitem', { name, exact: true });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), item.click()]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return { path, name: download.suggestedFilename() };
}

/** Entries of a ZIP as Python's zipfile reads them: name → { sha256, size, text? }. */
function readZip(path) {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
out = {}
for i in z.infolist():
    b = z.read(i)
    out[i.filename] = {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "method": i.compress_type,
                       "text": b.decode("utf-8") if i.filename.endswith((".json", ".html")) else None}
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', script, path], { maxBuffer: 64 << 20 }).toString());
}

/** Frames of a GIF, walking its blocks. */
function gifFrames(buf) {
  assert.equal(buf.subarray(0, 6).toString('latin1'), 'GIF89a');
  let i = 13;
  if (buf[10] & 0x80) i += 3 * (1 << ((buf[10] & 7) + 1));
  const skipSub = () => { while (buf[i] !== 0) i += buf[i] + 1; i += 1; };
  let frames = 0;
  const delays = [];
  for (;;) {
    const b = buf[i++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = buf[i++];
      if (label === 0xf9) delays.push(buf.readUInt16LE(i + 2));
      skipSub();
    } else if (b === 0x2c) {
      frames += 1;
      const packed = buf[i + 8];
      i += 9;
      if (packed & 0x80) i += 3 * (1 << ((packed & 7) + 1));
      i += 1; // LZW minimum code size
      skipSub();
    } else throw new Error(`unexpected GIF block 0x${b.toString(16)} at ${i - 1}`);
  }
  return { frames, delays, width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
}

let zipPath;
let activeHashes;

test('a generated carousel exports as a ZIP with its manifest, hashes and no key', async () => {
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'carousel', name: 'Export me' });
  const prompts = page.getByTestId('frame-prompt');
  await prompts.nth(0).click();
  await prompts.nth(0).pressSequentially('A fox courier waves');
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 9);
  await allThumbnailsShown(page, 9);
  const cards = page.getByTestId('frame-card');
  activeHashes = [];
  for (let i = 0; i < 9; i++) activeHashes.push(await shownImageSha256(cards.nth(i)));

  // Slide 2 holds 2.5 s in the animatic (typed key by key; Tab commits it).
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByText('Per-frame durations', { exact: true }).click();
  const seconds2 = page.getByRole('spinbutton', { name: 'Seconds for frame 2', exact: true });
  await seconds2.click();
  await seconds2.pressSequentially('2.5');
  await page.keyboard.press('Tab');
  await page.getByTestId('animatic-total').filter({ hasText: 'Animatic: 14.5 s in all (9 frames with an image)' }).waitFor();
  await page.keyboard.press('Escape');

  const { path, name } = await exportAs('ZIP');
  assert.equal(name, 'export-me.zip');
  zipPath = path;
  const entries = readZip(path);
  const names = Object.keys(entries);
  assert.equal(names[0], 'manifest.json', 'the manifest comes first');
  const images = names.filter((n) => n.endsWith('.png'));
  assert.equal(images.length, 9, names.join(', '));
  assert.ok(images.every((n, i) => n.startsWith(String(i + 1).padStart(2, '0') + '-')), images.join(', '));
  for (const n of images) assert.equal(entries[n].method, 0, `${n} is stored, not recompressed`);
  const manifest = JSON.parse(entries['manifest.json'].text);
  assert.equal(manifest.format, 'continuity-series');
  assert.equal(manifest.schema_version, 2);
  assert.equal(manifest.frames.length, 9);
  assert.deepEqual(manifest.frames.map((f) => f.hold_seconds), [null, 2.5, null, null, null, null, null, null, null]);
  assert.ok(manifest.versions.length >= 9);
  assert.ok(manifest.versions.every((v) => v.request.model === 'gpt-image-2' && v.request_id), 'request params and x-request-id');
  for (const f of manifest.images) {
    assert.equal(entries[f.path].sha256, f.sha256, `${f.path}: its bytes have the manifest's hash`);
    assert.equal(entries[f.path].size, f.bytes);
  }
  assert.deepEqual(images.map((n) => entries[n].sha256), activeHashes, 'the active images, in order');
  // No credential anywhere in the archive: the raw bytes and every entry's text.
  const raw = readFileSync(path).toString('latin1');
  for (const text of [raw, entries['manifest.json'].text]) {
    assert.doesNotMatch(text, /sk-[A-Za-z0-9_-]{20,}/);
    assert.doesNotMatch(text, /authorization|bearer|api_key|x-continuity-token/i);
    assert.doesNotMatch(text, /https?:\/\//);
  }
});

test('the contact sheet is a PNG of the layout size', async () => {
  const { path } = await exportAs('Contact sheet');
  const png = readFileSync(path);
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  const width = png.readUInt32BE(16);
  assert.ok(width > 2300 && width <= 2400, `the sheet is about 2400 px wide: ${width}`);
  assert.ok(png.readUInt32BE(20) > 1000, 'three rows of 4:5 images');
  // It decodes (Chromium reads it back).
  const size = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bmp = await createImageBitmap(blob);
    return [bmp.width, bmp.height];
  }, png.toString('base64'));
  assert.deepEqual(size, [width, png.readUInt32BE(20)]);
});

test('the storyboard PDF opens in poppler: 6 panels a page, or one page per panel', async () => {
  const { path, name } = await exportAs('PDF storyboard');
  assert.equal(name, 'export-me-storyboard.pdf');
  const info = execFileSync('pdfinfo', [path]).toString();
  assert.match(info, /^Pages:\s+2$/m, info);
  assert.match(info, /^Title:\s+Export me$/m, info);
  // One panel a page, chosen in the menu: nine pages.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByTestId('pdf-layout').selectOption('1');
  await page.keyboard.press('Escape');
  const one = await exportAs('PDF storyboard');
  assert.match(execFileSync('pdfinfo', [one.path]).toString(), /^Pages:\s+9$/m);
});

test('one image downloads from the grid and from the inspector, named by order and title', async () => {
  const card = page.getByTestId('frame-card').first();
  const shown = await shownImageSha256(card);
  const [fromGrid] = await Promise.all([page.waitForEvent('download'), cardAction(card, 'Download image')]);
  assert.match(fromGrid.suggestedFilename(), /^01-[a-z0-9-]+\.png$/);
  assert.equal(await sha256(readFileSync(await fromGrid.path())), shown, 'the image the card shows');
  await card.getByTestId('open-inspector').click();
  const [fromInspector] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-image').click()]);
  assert.equal(fromInspector.suggestedFilename(), fromGrid.suggestedFilename());
  await page.keyboard.press('Escape');
});

test('the animatic GIF has one frame per slide, each shown for its time', async () => {
  const { path } = await exportAs('Animatic GIF');
  const gif = gifFrames(readFileSync(path));
  assert.equal(gif.frames, 9);
  // The Graphic Control Extension of each frame: 1.5 s by default, slide 2's own 2.5 s.
  assert.deepEqual(gif.delays, [150, 250, 150, 150, 150, 150, 150, 150, 150]);
  assert.equal(Math.max(gif.width, gif.height), 480);
});

test('the share page opens from disk, shows 9 images and makes no request', async () => {
  const { path } = await exportAs('Share page');
  const html = readFileSync(path, 'utf8');
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'none'/);
  const viewer = await context.newPage();
  const requests = [];
  viewer.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(path).href;
  await viewer.goto(url);
  const shown = await viewer.evaluate(() =>
    [...document.querySelectorAll('.grid img')].filter((i) => i.complete && i.naturalWidth > 0).length);
  assert.equal(shown, 9);
  await viewer.getByRole('link', { name: 'Play as a slideshow' }).click();
  assert.ok(await viewer.locator('#slide-1').isVisible());
  await viewer.getByRole('link', { name: 'Next →' }).first().click();
  assert.ok(await viewer.locator('#slide-2').isVisible());
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);
  await viewer.close();
});

test('the files worker assembles an export with progress before each image, and a cancel stops it', async () => {
  // The worker protocol the Export menu uses, driven directly: the stored series and images
  // go to the files worker of the deployed build as the app sends them (blobs by reference).
  const outcome = await page.evaluate(async () => {
    const db = await new Promise((ok, err) => { const r = indexedDB.open('continuity'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const all = (store) => new Promise((ok, err) => {
      const q = db.transaction(store).objectStore(store).getAll(); q.onsuccess = () => ok(q.result); q.onerror = () => err(q.error); });
    const record = (await all('series')).map((r) => JSON.parse(r.json)).find((s) => s.name === 'Export me');
    const mine = async (store) => (await all(store)).filter((r) => r.series_id === record.id).map((r) => JSON.parse(r.json));
    const [frames, versions] = [await mine('frames'), await mine('versions')];
    const images = {};
    for (const v of versions) {
      const q = db.transaction('images').objectStore('images').get(v.image.hash);
      images[v.image.hash] = await new Promise((ok) => { q.onsuccess = () => ok(q.result); });
    }
    db.close();
    const series = JSON.stringify({ series: record, frames, versions });
    const worker = new Worker(new URL('continuity-files-worker_loader.js', document.baseURI), { type: 'module' });
    const messages = [];
    let listener = () => {};
    worker.onmessage = (e) => { messages.push(e.data); listener(e.data); };
    await new Promise((ok) => { listener = (m) => m.ready && ok(); });
    const run = (id, cancelAt) => new Promise((ok) => {
      listener = (m) => {
        if (m.id !== id) return;
        if (m.progress === cancelAt) worker.postMessage({ op: 'cancel-exports' });
        if ('ok' in m) ok(m);
      };
      worker.postMessage({ id, op: 'export', kind: 'gif', series, images, gifSeconds: 0.5 });
    });
    const whole = await run(1, -1);
    const cancelled = await run(2, 1);
    worker.terminate();
    const steps = (id) => messages.filter((m) => m.id === id && 'progress' in m).map((m) => `${m.progress}/${m.total}`);
    return {
      whole: { ok: whole.ok, type: whole.blob?.type, size: whole.blob?.size, name: whole.fileName, steps: steps(1) },
      cancelled: { ok: cancelled.ok, cancelled: cancelled.cancelled, error: cancelled.error, steps: steps(2) },
    };
  });
  assert.equal(outcome.whole.ok, true);
  assert.equal(outcome.whole.type, 'image/gif');
  assert.equal(outcome.whole.name, 'export-me-animatic.gif');
  assert.ok(outcome.whole.size > 1000);
  // One step before each of the 9 images, then the finished file.
  assert.deepEqual(outcome.whole.steps, ['0/10', '1/10', '2/10', '3/10', '4/10', '5/10', '6/10', '7/10', '8/10', '10/10']);
  assert.equal(outcome.cancelled.ok, false);
  assert.equal(outcome.cancelled.cancelled, true, outcome.cancelled.error);
  assert.equal(outcome.cancelled.error, 'the export was cancelled');
  assert.ok(outcome.cancelled.steps.length < 5, `stopped early: ${outcome.cancelled.steps}`);
});

test('the ZIP comes back after the series is deleted: same 9 images, new series', async () => {
  await page.getByRole('button', { name: '← All series', exact: true }).click();
  await page.getByTestId('delete').click();
  await page.getByTestId('delete-confirm').click();
  await page.getByTestId('no-projects').waitFor();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import' }).click()]);
  await chooser.setFiles(zipPath);
  const result = page.getByTestId('import-result');
  await result.waitFor({ timeout: 30000 });
  assert.match(await result.textContent(), /^Imported “Export me” as a new series \(9 frames, 9 images\)/);
  await page.getByTestId('open-project').first().click();
  await page.getByTestId('series-title').filter({ hasText: 'Export me' }).waitFor();
  await allThumbnailsShown(page, 9);
  const cards = page.getByTestId('frame-card');
  const back = [];
  for (let i = 0; i < 9; i++) back.push(await shownImageSha256(cards.nth(i)));
  assert.deepEqual(back, activeHashes);
  for (let i = 0; i < 9; i++) assert.equal(await cards.nth(i).getAttribute('data-status'), 'done');
  // Slide 2's animatic time came back with it.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByText('Per-frame durations', { exact: true }).click();
  assert.equal(await page.getByRole('spinbutton', { name: 'Seconds for frame 2', exact: true }).inputValue(), '2.5');
  assert.equal(await page.getByRole('spinbutton', { name: 'Seconds for frame 1', exact: true }).inputValue(), '');
  await page.keyboard.press('Escape');

  // Re-run from manifest: the usual plan first, then every frame with the recorded parameters.
  await clearJournal(server.url);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Re-run from manifest' }).click();
  await page.getByTestId('plan-summary').waitFor();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^9 requests/);
  assert.deepEqual(await journal(server.url), [], 'nothing is sent before Start');
  await page.getByTestId('start-plan').click();
  let sent = [];
  for (let i = 0; i < 300 && sent.length < 9; i++) {
    await new Promise((r) => setTimeout(r, 200));
    sent = await journal(server.url);
  }
  await waitForFramesSettled(page, 9);
  assert.equal(sent.length, 9);
  assert.ok(sent.every((r) => r.params.model === 'gpt-image-2' && r.params.size === '1024x1280'), JSON.stringify(sent.map((r) => [r.params.model, r.params.size])));
  assert.deepEqual(errors, []);
});
