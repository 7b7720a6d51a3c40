// Pixel-worker benchmark (prints figures; not a test): on 1536×1024 photo-like PNGs in headless
// Chromium, the first thumbnail of a fresh page (the worker's start included), the time of each
// operation as the app sees it (request → answer, through the client in src/web/worker.rs:
// decode, compute, encode, both messages), and the longest main-thread task meanwhile; then
// the size of both workers' files. The edit is realistic: the result is the parent regenerated
// (grain re-rolled everywhere, ΔE < 10) with new content in the painted ellipse; "unrelated
// images" is the worst case of the leak (every pixel changed).
// Usage: node bench-worker.mjs [runs]  (SERVER_BIN and DIST_DIR as for the e2e tests)
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServer, launchBrowser, newPage, ROOT } from './harness.mjs';
import { pageHelpers, waitForApi } from './worker-page.mjs';

const RUNS = Number(process.argv[2] || 7);
const TARGET_MS = 150;
const LONG_TASK_MS = 50;
const DIST = process.env.DIST_DIR || join(ROOT, 'dist');

const server = await startServer();
const browser = await launchBrowser();
try {
  const { page, errors } = await newPage(browser);
  await page.addInitScript(pageHelpers);
  await page.goto(server.url);
  await waitForApi(page);
  const r = await page.evaluate(async (runs) => {
    const { api, photo, longTasks, flushLongTasks } = window.__w;
    const [W, H] = [1536, 1024];
    const parent = await photo(W, H, 7);
    const result = await photo(W, H, 7, { grainSeed: 8, edit: { x: 700, y: 500, rx: 300, ry: 200 } });
    const unrelated = await photo(W, H, 9);
    // A brush-like painted area: an ellipse of about a fifth of the image.
    const c = new OffscreenCanvas(W, H);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.ellipse(700, 500, 380, 260, 0.3, 0, 7);
    ctx.fill();
    const coverage = await c.convertToBlob({ type: 'image/png' });
    // The first request starts the worker: fetch, compile and instantiate its wasm, then a
    // thumbnail (the app's first pixel work on a fresh page).
    const cold = performance.now();
    await api.thumbnail(parent, 384);
    const firstMs = performance.now() - cold;
    const anchor = await api.signature(parent);
    const ops = {
      'leak + heat map': () => api.leak(parent, result, coverage, 'coverage', 10),
      'changed area (no mask)': () => api.leak(parent, result, undefined, undefined, 10),
      'leak, unrelated images (worst case)': () => api.leak(parent, unrelated, coverage, 'coverage', 10),
      'composite (feather 8)': () => api.composite(parent, result, coverage, 'coverage', 8),
      'consistency (signature + compare)': async () => api.compare(await api.signature(result), anchor),
      'thumbnail (384 px WebP)': () => api.thumbnail(parent, 384),
      'mask PNG': () => api.mask(coverage, W, H),
    };
    for (const f of Object.values(ops)) await f(); // warm up: worker start, JIT
    await flushLongTasks();
    const t0 = performance.now();
    const times = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
    for (let i = 0; i < runs; i++) {
      for (const [name, f] of Object.entries(ops)) {
        const s = performance.now();
        await f();
        times[name].push(performance.now() - s);
      }
    }
    const t1 = performance.now();
    await flushLongTasks();
    const during = longTasks.filter((t) => t.start >= t0 && t.start < t1).map((t) => t.duration);
    return { times, during, firstMs, inputs: [parent.size, result.size, coverage.size] };
  }, RUNS);

  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\n== Pixel worker on 1536×1024 images (PNG inputs ${r.inputs.map(kb).join(', ')}; ${RUNS} runs each, request → answer; load average ${load})`);
  console.log(`first thumbnail on a fresh page (worker start included): ${r.firstMs.toFixed(1)} ms`);
  console.log(`${'operation'.padEnd(36)} ${'median'.padStart(9)} ${'max'.padStart(9)}   target`);
  for (const [name, xs] of Object.entries(r.times)) {
    const m = median(xs), mx = Math.max(...xs);
    const targeted = !/changed area|worst case|mask PNG/.test(name);
    const target = targeted ? `< ${TARGET_MS} ms ${m < TARGET_MS ? 'met' : 'MISSED'}` : '(not targeted)';
    console.log(`${name.padEnd(36)} ${m.toFixed(1).padStart(6)} ms ${mx.toFixed(1).padStart(6)} ms   ${target}`);
  }
  const longest = r.during.length ? Math.max(...r.during) : 0;
  console.log(`longest main-thread task meanwhile: ${r.during.length ? `${longest.toFixed(0)} ms (${r.during.length} long tasks)` : `none over ${LONG_TASK_MS} ms`}` +
    `   target: none > ${LONG_TASK_MS} ms ${longest > LONG_TASK_MS ? 'MISSED' : 'met'}`);
  // This worker's files, and the files worker's (export and import) for comparison.
  const files = ['continuity-worker', 'continuity-files-worker'].flatMap((bin) => [`${bin}_bg.wasm`, `${bin}.js`, `${bin}_loader.js`]);
  for (const f of files) {
    const p = join(DIST, f);
    if (!existsSync(p)) continue;
    const bytes = readFileSync(p);
    console.log(`${f.padEnd(40)} ${String(bytes.length).padStart(9)} bytes raw ${String(gzipSync(bytes, { level: 9 }).length).padStart(8)} bytes gzip`);
  }
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  await server.stop();
}
