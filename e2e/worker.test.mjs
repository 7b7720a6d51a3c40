// The pixel worker (continuity-worker) through the app's client (src/web/worker.rs), against the
// release dist/ served by continuity-server: mask PNG, leak and heat map, composite, consistency
// signature and comparison, thumbnails, errors in words, start-up failure and timeout; and that
// each of the two workers loads only on its own first use (the files worker, export and
// import, is driven in export.test.mjs and import.test.mjs). The time
// of each operation and the longest main-thread task meanwhile are figures, measured by
// `./scripts/bench.sh worker` (e2e/bench-worker.mjs), not asserted here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, createSeries } from './harness.mjs';
import { pageHelpers, waitForApi } from './worker-page.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh page with the app started and the helpers installed. */
async function open() {
  // The tests below route the worker's own files; a service worker would serve them from its
  // cache, around the routes.
  const opened = await newPage(browser, { serviceWorkers: 'block' });
  await opened.page.addInitScript(pageHelpers);
  await opened.page.goto(server.url);
  await waitForApi(opened.page);
  return opened;
}

// The known images (160 × 120). Parent: blue with yellow vertical stripes, a plain blue block
// B at the bottom right and a translucent orange block T (alpha 100) at the bottom left.
// Mask M: x 50‥110, y 10‥90 (4800 px). The leak result changes
// block A (x 0‥40, y 0‥30, outside M: 1200 px) to orange, block C (x 60‥100, y 20‥80, inside
// M: 2400 px) to green, and nudges B by ΔE ≈ 1.5 (below the threshold of 10).
const W = 160, H = 120;
const M = { x: 50, y: 10, w: 60, h: 80 };
const BLUE = [40, 90, 160], YELLOW = [200, 200, 60], ORANGE = [240, 60, 20];
const PARENT = [{ fill: BLUE }, { stripes: YELLOW, every: 20, width: 5, vertical: true },
  { fill: BLUE, x: 120, y: 60, w: 40, h: 60 },
  { clear: true, x: 5, y: 95, w: 30, h: 20 }, { fill: [250, 120, 30, 100], x: 5, y: 95, w: 30, h: 20 }];
const RESULT = [...PARENT, { fill: ORANGE, x: 0, y: 0, w: 40, h: 30 },
  { fill: [10, 200, 10], x: 60, y: 20, w: 40, h: 60 }, { fill: [43, 92, 158], x: 120, y: 60, w: 40, h: 60 }];
const COVERAGE = [{ fill: [0, 0, 0, 255], ...M }, { fill: [0, 0, 0, 77], x: 0, y: 100, w: 10, h: 10 }];

/** CIE Lab (D65) of an sRGB colour, the exact formula. */
function lab([r, g, b]) {
  const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const x = f((0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047);
  const y = f(0.2126729 * R + 0.7151522 * G + 0.072175 * B);
  const z = f((0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}
const deltaE = (p, q) => Math.hypot(...lab(p).map((v, i) => v - lab(q)[i]));

test('the mask PNG is the image size, alpha 0 exactly where painted, opaque elsewhere', async () => {
  const { page, context, errors } = await open();
  const r = await page.evaluate(async ([W, H, COVERAGE, M]) => {
    const { api, png, pixels, failure } = window.__w;
    const coverage = await png(W, H, COVERAGE);
    const mask = await api.mask(coverage, W, H);
    const head = [...new Uint8Array(await mask.slice(0, 8).arrayBuffer())];
    const p = await pixels(mask);
    let wrong = 0, painted = 0;
    for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) {
      const inM = x >= M.x && x < M.x + M.w && y >= M.y && y < M.y + M.h;
      const a = p.data[(y * p.width + x) * 4 + 3];
      if (a === 0) painted++;
      if (a !== (inM ? 0 : 255)) wrong++;
    }
    const mismatch = await failure(api.mask(coverage, 200, 100));
    return { type: mask.type, head, width: p.width, height: p.height, wrong, painted, mismatch };
  }, [W, H, COVERAGE, M]);
  assert.equal(r.type, 'image/png');
  assert.deepEqual(r.head, [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.deepEqual([r.width, r.height], [W, H]);
  assert.equal(r.painted, M.w * M.h);
  assert.equal(r.wrong, 0, 'pixels whose alpha is not 0 inside the painted area and 255 outside');
  assert.match(r.mismatch, /the mask is 160×120 pixels, but it must be 200×100/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the leak counts only what changed outside the mask, with a heat map of exactly those pixels', async () => {
  const { page, context, errors } = await open();
  const r = await page.evaluate(async ([W, H, PARENT, RESULT, COVERAGE]) => {
    const { api, png, pixels } = window.__w;
    const [parent, result, coverage] = await Promise.all([png(W, H, PARENT), png(W, H, RESULT), png(W, H, COVERAGE)]);
    const masked = await api.leak(parent, result, coverage, 'coverage', 10);
    // The same measurement with the mask PNG that would be sent to OpenAI.
    const sent = await api.mask(coverage, W, H);
    const viaPng = await api.leak(parent, result, sent, 'openai', 10);
    const whole = await api.leak(parent, result, undefined, undefined, 10);
    const heat = await pixels(masked.heatMap);
    let hot = 0, hotOutsideA = 0;
    for (let y = 0; y < heat.height; y++) for (let x = 0; x < heat.width; x++) {
      if (heat.data[(y * heat.width + x) * 4 + 3] > 0) { hot++; if (!(x < 40 && y < 30)) hotOutsideA++; }
    }
    const strip = ({ heatMap, ...rest }) => ({ ...rest, heatMapType: heatMap.type });
    return { masked: strip(masked), viaPng: strip(viaPng), whole: strip(whole), heatSize: [heat.width, heat.height], hot, hotOutsideA };
  }, [W, H, PARENT, RESULT, COVERAGE]);
  const outside = W * H - M.w * M.h;
  assert.equal(r.masked.measured, outside);
  assert.equal(r.masked.changed, 40 * 30);
  assert.ok(Math.abs(r.masked.share - 1200 / outside) < 1e-12, `share ${r.masked.share}`);
  assert.equal(r.masked.masked, true);
  assert.equal(r.masked.threshold, 10);
  const expectedMax = Math.max(deltaE(BLUE, ORANGE), deltaE(YELLOW, ORANGE));
  assert.ok(Math.abs(r.masked.maxDeltaE - expectedMax) < 0.05, `max ΔE ${r.masked.maxDeltaE} vs ${expectedMax}`);
  assert.deepEqual([r.masked.width, r.masked.height], [W, H]);
  assert.equal(r.masked.heatMapType, 'image/png');
  assert.deepEqual(r.heatSize, [W, H]);
  assert.equal(r.hot, 1200, 'heat-map pixels');
  assert.equal(r.hotOutsideA, 0, 'heat-map pixels outside the changed block');
  assert.deepEqual({ ...r.viaPng }, { ...r.masked }, 'the mask PNG measures the same as the painted coverage');
  // Without a mask: the changed-area map over every pixel (blocks A and C).
  assert.equal(r.whole.measured, W * H);
  assert.equal(r.whole.changed, 1200 + 2400);
  assert.equal(r.whole.masked, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the composite keeps every pixel outside the mask equal to the parent, feathered only inside', async () => {
  const { page, context, errors } = await open();
  const r = await page.evaluate(async ([W, H, PARENT, COVERAGE, M]) => {
    const { api, png, pixels } = window.__w;
    // A result that differs from the parent everywhere, so any leak of it outside would show.
    const OTHER = [{ fill: [220, 30, 120] }, { stripes: [20, 220, 220], every: 16, width: 4 }];
    const [parent, result, coverage] = await Promise.all([png(W, H, PARENT), png(W, H, OTHER), png(W, H, COVERAGE)]);
    const out = {};
    const [P, R] = [await pixels(parent), await pixels(result)];
    for (const feather of [0, 4]) {
      const blob = await api.composite(parent, result, coverage, 'coverage', feather);
      const C = await pixels(blob);
      let outsideDiffers = 0, insideResult = 0, insideBlend = 0, inside = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 4;
        const same = (A) => A.data[i] === C.data[i] && A.data[i + 1] === C.data[i + 1] && A.data[i + 2] === C.data[i + 2] && A.data[i + 3] === C.data[i + 3];
        const inM = x >= M.x && x < M.x + M.w && y >= M.y && y < M.y + M.h;
        if (!inM) { if (!same(P)) outsideDiffers++; continue; }
        inside++;
        if (same(R)) insideResult++; else if (!same(P)) insideBlend++;
      }
      out[feather] = { type: blob.type, size: [C.width, C.height], outsideDiffers, insideResult, insideBlend, inside };
    }
    return out;
  }, [W, H, PARENT, COVERAGE, M]);
  for (const f of ['0', '4']) {
    assert.equal(r[f].type, 'image/png');
    assert.deepEqual(r[f].size, [W, H]);
    assert.equal(r[f].outsideDiffers, 0, `feather ${f}: pixels outside the mask that are not the parent's`);
  }
  assert.equal(r['0'].insideResult, r['0'].inside, 'a hard cut is the result everywhere inside');
  // Feather 4: the painted pixels 1‥4 px from the edge blend (1/5 ‥ 4/5 of the result); from
  // 5 px in (feather + 1) they are the result.
  const core = (M.w - 8) * (M.h - 8);
  assert.equal(r['4'].insideResult, core);
  assert.equal(r['4'].insideBlend, r['4'].inside - core);
  assert.deepEqual(errors, []);
  await context.close();
});

test('consistency: identical images score 0, a recoloured one a large palette distance; thumbnails', async () => {
  const { page, context, errors } = await open();
  const r = await page.evaluate(async ([W, H, PARENT]) => {
    const { api, png, pixels } = window.__w;
    const recolour = PARENT.map((l) => (l.fill ? { ...l, fill: [...l.fill].reverse() } : { ...l, stripes: [60, 200, 200] }));
    const [a, b, c] = await Promise.all([png(W, H, PARENT), png(W, H, PARENT), png(W, H, recolour)]);
    const [sa, sb, sc] = [await api.signature(a), await api.signature(b), await api.signature(c)];
    const same = await api.compare(sb, sa);
    const recoloured = await api.compare(sc, sa);
    const big = await api.thumbnail(await png(1536, 1024, PARENT), 384);
    const small = await api.thumbnail(a, 384);
    const bigPixels = await pixels(big.image);
    return { parsed: JSON.parse(sa), same, recoloured,
      big: { type: big.image.type, size: [big.width, big.height], decoded: [bigPixels.width, bigPixels.height] },
      small: { type: small.image.type, size: [small.width, small.height] } };
  }, [W, H, PARENT]);
  assert.ok(Array.isArray(r.parsed.palette) && r.parsed.palette.length > 0, 'the signature is JSON with a palette');
  assert.equal(r.same.paletteDistance, 0);
  assert.equal(r.same.structuralDistance, 0);
  assert.equal(r.same.drifted, false);
  assert.ok(r.recoloured.paletteDistance > 30, `palette distance ${r.recoloured.paletteDistance}`);
  assert.equal(r.recoloured.paletteDrifted, true);
  assert.equal(r.recoloured.drifted, true);
  assert.deepEqual(r.big, { type: 'image/webp', size: [384, 256], decoded: [384, 256] });
  assert.deepEqual(r.small, { type: 'image/webp', size: [W, H] });
  assert.deepEqual(errors, []);
  await context.close();
});

test('bad input is refused in words: undecodable image, size mismatch, a bad signature', async () => {
  const { page, context, errors } = await open();
  const r = await page.evaluate(async ([W, H, PARENT]) => {
    const { api, png, failure } = window.__w;
    const junk = new Blob(['this is not an image'], { type: 'image/png' });
    const parent = await png(W, H, PARENT);
    return {
      leak: await failure(api.leak(junk, parent, undefined, undefined, 10)),
      thumb: await failure(api.thumbnail(junk, 384)),
      size: await failure(api.leak(parent, await png(100, 100, PARENT), undefined, undefined, 10)),
      compare: await failure(api.compare('{"palette":[]}', await api.signature(parent))),
      // The worker still answers after refusing.
      after: (await api.thumbnail(parent, 64)).width,
    };
  }, [W, H, PARENT]);
  assert.match(r.leak, /the parent image could not be decoded/);
  assert.match(r.thumb, /the image could not be decoded/);
  assert.match(r.size, /the result is 100×100 pixels, but it must be 160×120/);
  assert.match(r.compare, /signature/);
  assert.equal(r.after, 64);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a worker that cannot load, or does not answer, fails the request with a clear error', async () => {
  const { page, context, errors } = await open();
  // The worker's wasm never arrives: the request must time out, not hang.
  let hold;
  await context.route('**/continuity-worker_bg.wasm', (route) => { hold = route; });
  const timeout = await page.evaluate(async () => {
    const { api, png, failure } = window.__w;
    await api.setTimeout(1500);
    return failure(api.thumbnail(await png(8, 8, [{ fill: [1, 2, 3] }]), 4));
  });
  assert.match(timeout, /the image worker did not answer within 2 s; it was restarted/);
  await hold?.abort();
  await context.unroute('**/continuity-worker_bg.wasm');
  // The loader is missing (404): the next request starts a new worker, which fails to load.
  await context.route('**/continuity-worker_loader.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
  const missing = await page.evaluate(async () => {
    const { api, png, failure } = window.__w;
    await api.setTimeout(30000);
    return failure(api.thumbnail(await png(8, 8, [{ fill: [1, 2, 3] }]), 4));
  });
  assert.match(missing, /the image worker could not start/);
  await context.unroute('**/continuity-worker_loader.js');
  // With the files back, the next request starts a working worker.
  const width = await page.evaluate(async () => {
    const { api, png } = window.__w;
    return (await api.thumbnail(await png(8, 8, [{ fill: [1, 2, 3] }]), 4)).width;
  });
  assert.equal(width, 4);
  assert.deepEqual(errors.filter((e) => !/continuity-worker/.test(e)), []);
  await context.close();
});

test('each worker loads on its first use: a thumbnail and a mask load only the pixel worker, an export the files worker', async () => {
  const { page, context, errors } = await open();
  // The workers' wasm as the browser fetches it (service workers are blocked here, so every
  // fetch is the page's or its workers' own, not the offline cache's).
  const fetched = [];
  context.on('request', (r) => {
    const m = r.url().match(/\/(continuity-(?:files-)?worker)_bg\.wasm$/);
    if (m) fetched.push(m[1]);
  });
  const made = await page.evaluate(async () => {
    const { api, png } = window.__w;
    const thumb = await api.thumbnail(await png(64, 48, [{ fill: [200, 40, 40] }]), 32);
    const mask = await api.mask(await png(64, 48, [{ fill: [0, 0, 0, 255], x: 8, y: 8, w: 16, h: 16 }]), 64, 48);
    return { thumb: [thumb.width, thumb.height], mask: mask.type };
  });
  assert.deepEqual(made, { thumb: [32, 24], mask: 'image/png' });
  assert.deepEqual(fetched, ['continuity-worker'], 'a thumbnail and a mask fetch the pixel worker only');
  // Opening a series does not load the files worker either; its first export does.
  await createSeries(page, { template: 'carousel', name: 'Two workers' });
  assert.deepEqual(fetched, ['continuity-worker']);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60000 }),
    page.getByRole('menuitem', { name: 'ZIP', exact: true }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'two-workers.zip');
  assert.deepEqual(fetched, ['continuity-worker', 'continuity-files-worker'], 'the export fetched the files worker, once');
  assert.deepEqual(errors, []);
  await context.close();
});
