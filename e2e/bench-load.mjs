// Benchmark (prints figures; not a test): the first load. Sizes of what a visitor downloads
// (raw, gzip -9, brotli 11 as precompressed by the build), then, in headless Chromium, for two
// deliveries — continuity-server (brotli) and a plain static host sending the build's .gz
// copies — unthrottled and with a mobile profile (DevTools protocol: 150 ms RTT, 1.6 Mbit/s
// down, 750 kbit/s up, CPU × 4):
// - first paint (first contentful paint: index.html's static copy of the first screen);
// - first screen interactive (the series list with "Create series" enabled), cold (fresh
//   profile: empty cache, no service worker) and on a second visit (the service worker's cache);
// - opening a series after the first screen, once the workspace part was prefetched (click on
//   the series → its title and frames on screen).
// Targets (issue 18): main wasm ≤ 150 KB gzip; mobile first screen interactive ≤ 1.5 s; second
// visit ≤ 500 ms; opening a series ≤ 300 ms unthrottled.
//   node e2e/bench-load.mjs [runs]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { startServer, launchBrowser, createSeries } from './harness.mjs';
import { DIST_DIR, startStaticServer } from './delivery.mjs';

const RUNS = Number(process.argv[2] || 7);
const KB = (n) => `${(n / 1024).toFixed(1)} KB`;

// --- Sizes -------------------------------------------------------------------------------
const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
const named = (attr) => html.match(new RegExp(`${attr}=["']?/?([^"' >]+)`))[1].replace(/^.*\//, '');
const mainJs = named('data-js');
const mainWasm = named('data-wasm');
const css = readdirSync(DIST_DIR).filter((f) => /\.css$/.test(f));
const lazy = readdirSync(DIST_DIR).filter((f) => /^(split|chunk)_.*-[0-9a-f]{16}\.wasm$/.test(f));
const workerFiles = (bin) => readdirSync(DIST_DIR).filter((f) => new RegExp(`^${bin}(_bg\\.wasm|\\.js|_loader\\.js)$`).test(f));
const workers = [['pixels', 'continuity-worker'], ['files', 'continuity-files-worker']]
  .map(([label, bin]) => [`worker, ${label} (js + wasm, later)`, workerFiles(bin)])
  .filter(([, files]) => files.length);
const sized = (file) => {
  const bytes = readFileSync(join(DIST_DIR, file));
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    br: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
  };
};
const groups = [
  ['main wasm', [mainWasm]],
  ['JS (glue, boot.js, split link)', [mainJs, 'boot.js', ...readdirSync(DIST_DIR).filter((f) => /^__wasm_split-[0-9a-f]{16}\.js$/.test(f))]],
  ['CSS', css],
  ['HTML', ['index.html']],
  ['lazy parts (loaded later)', lazy],
  ...workers,
];
const rows = groups.map(([label, files]) => {
  const s = files.map(sized).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, br: a.br + b.br }));
  return { label, ...s };
});
const first = rows.filter((r) => !/later/.test(r.label))
  .reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, br: a.br + b.br }));
console.log(`== First load: what is downloaded (dist/, ${mainWasm})`);
console.log(`${'part'.padEnd(36)} | ${'raw'.padStart(10)} | ${'gzip -9'.padStart(10)} | ${'brotli 11'.padStart(10)}`);
for (const r of [...rows, { label: 'first load (HTML + JS + CSS + wasm)', ...first }]) {
  console.log(`${r.label.padEnd(36)} | ${KB(r.raw).padStart(10)} | ${KB(r.gzip).padStart(10)} | ${KB(r.br).padStart(10)}`);
}

// --- Timings -----------------------------------------------------------------------------
// Records, in ms since navigation start, the first contentful paint and when the first screen
// becomes usable.
function readyProbe() {
  window.__ready = null;
  // When boot.js has the wasm instantiated and its start function (the first, synchronous
  // render) returned: what comes after is the app's asynchronous start (storage, catalogue).
  window.__started = null;
  addEventListener('TrunkApplicationStarted', () => { window.__started = performance.now(); });
  const check = () => {
    const button = document.querySelector('[data-testid=create-series]');
    const listed = document.querySelector('[data-testid=no-projects], [data-testid=project-list]');
    if (window.__ready === null && button && !button.disabled && listed) {
      window.__ready = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

const MOBILE = { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };

/** Applies the profile to `page` (a CDP session that lives with the page). */
async function profile(context, page, mobile) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (mobile) {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...MOBILE });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  return { bytes: () => bytes };
}

/** Opens `url`; returns { paint, ready, started, bytes, encoding } (ms since navigation). */
async function visit(context, page, url, mobile) {
  const net = await profile(context, page, mobile);
  let encoding = '';
  page.on('response', (r) => { if (r.url().endsWith('_bg.wasm')) encoding = r.headers()['content-encoding'] || 'identity'; });
  await page.goto(url);
  await page.waitForFunction(() => window.__ready !== null, null, { timeout: 60000, polling: 50 });
  const [ready, started, paint] = await page.evaluate(() => [window.__ready, window.__started,
    performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN]);
  return { paint, ready, started, bytes: net.bytes(), encoding };
}

/** Waits until the workspace part has been prefetched (fetched, then a moment to instantiate). */
async function workspacePrefetched(page) {
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => /split_workspace-[0-9a-f]{16}\.wasm$/.test(e.name) && e.responseEnd > 0), null, { timeout: 60000, polling: 50 });
  await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
}

/** Clicks the series "Bench" on the list; ms until its title and first frame are on screen. */
async function openSeries(page) {
  return page.evaluate(async () => {
    const t0 = performance.now();
    document.querySelector('[data-testid=open-project]').click();
    while (!document.querySelector('[data-testid=series-title]') || !document.querySelector('[data-testid=frame-card]')) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    return performance.now() - t0;
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await launchBrowser();
const results = [];
const deliveries = [
  ['continuity-server (brotli)', async () => startServer(['--fake-latency-ms', '10'])],
  ['static host (gzip)', async () => startStaticServer(DIST_DIR, { gzip: true })],
];
try {
  for (const [delivery, start] of deliveries) {
    const server = await start();
    try {
      for (const [name, mobile] of [['unthrottled', false], ['mobile', true]]) {
        const r = { delivery, name, paint: [], cold: [], started: [], warmPaint: [], warm: [], open: [], bytes: 0, encoding: '' };
        for (let run = 0; run < RUNS; run++) {
          const context = await browser.newContext();
          await context.addInitScript(readyProbe);
          const page = await context.newPage();
          const c = await visit(context, page, server.url, mobile);
          r.paint.push(c.paint);
          r.cold.push(c.ready);
          r.started.push(c.started);
          r.bytes = c.bytes;
          r.encoding = c.encoding;
          // A series to open later (not timed), and the service worker's cache of this build.
          await createSeries(page, { template: 'comic', name: 'Bench' });
          await page.evaluate(async () => {
            await navigator.serviceWorker.ready;
            while ((await caches.keys()).length === 0) await new Promise((res) => setTimeout(res, 50));
          });
          await page.close();
          // Second visit: a new tab opens the app from the service worker's cache; once the
          // workspace part is prefetched, the series is opened.
          const again = await context.newPage();
          const w = await visit(context, again, server.url, mobile);
          r.warmPaint.push(w.paint);
          r.warm.push(w.ready);
          await workspacePrefetched(again);
          r.open.push(await openSeries(again));
          await context.close();
        }
        results.push(r);
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
}

const all = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
const ms = (xs) => `${median(xs).toFixed(0).padStart(5)} ms`;
console.log(`\n== Load timings, ${RUNS} runs each (median; all runs), ms since navigation`);
console.log(`${'delivery'.padEnd(27)} | ${'profile'.padEnd(11)} | first paint | interactive | 2nd visit | open a series | wire (cold)`);
for (const r of results) {
  console.log(`${r.delivery.padEnd(27)} | ${r.name.padEnd(11)} | ${ms(r.paint).padStart(11)} | ${ms(r.cold).padStart(11)} | ${ms(r.warm).padStart(9)} | ${ms(r.open).padStart(13)} | ${KB(r.bytes)} (${r.encoding})`);
}
console.log('\nall runs:');
for (const r of results) {
  console.log(`${r.delivery} / ${r.name}: paint ${all(r.paint)}; interactive ${all(r.cold)}; wasm started ${all(r.started)}; 2nd visit ${all(r.warm)}; open ${all(r.open)}`);
}
const wasmGzip = rows[0].gzip;
const pick = (delivery, name) => results.find((r) => r.delivery.startsWith(delivery) && r.name === name);
const ours = (name) => pick('continuity-server', name);
const targets = [
  ['main wasm ≤ 150 KB gzip', KB(wasmGzip), wasmGzip <= 150 * 1024],
  ['mobile first screen interactive ≤ 1.5 s (server)', ms(ours('mobile').cold), median(ours('mobile').cold) <= 1500],
  ['mobile first screen interactive ≤ 1.5 s (static, gzip)', ms(pick('static', 'mobile').cold), median(pick('static', 'mobile').cold) <= 1500],
  ['second visit ≤ 500 ms (mobile profile)', ms(ours('mobile').warm), median(ours('mobile').warm) <= 500],
  ['open a series ≤ 300 ms (unthrottled)', ms(ours('unthrottled').open), median(ours('unthrottled').open) <= 300],
];
console.log('\n== Targets (issue 18)');
for (const [target, value, met] of targets) console.log(`${met ? 'met   ' : 'missed'}  ${target.padEnd(56)} ${value.trim()}`);
