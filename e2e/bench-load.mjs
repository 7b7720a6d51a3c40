// Benchmark (prints figures; not a test): the first load. Sizes of what a visitor downloads
// (raw, gzip -9, brotli 11 as precompressed by the build), then navigation → first screen
// interactive (the projects screen with its "Create series" button enabled) in headless
// Chromium, served by continuity-server with compression on: cold loads (fresh profile: empty
// cache, no service worker) unthrottled and with a mobile profile (DevTools protocol: 150 ms
// RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU × 4), and second visits (the service worker's
// cache). Targets: main wasm ≤ 150 KB gzip; mobile first screen ≤ 1.5 s; second visit ≤ 300 ms.
//   node e2e/bench-load.mjs [runs]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { startServer, launchBrowser } from './harness.mjs';
import { DIST_DIR } from './delivery.mjs';

const RUNS = Number(process.argv[2] || 7);
const KB = (n) => `${(n / 1024).toFixed(1)} KB`;

// --- Sizes -------------------------------------------------------------------------------
const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
const named = (attr) => html.match(new RegExp(`${attr}=["']?/?([^"' >]+)`))[1].replace(/^.*\//, '');
const mainJs = named('data-js');
const mainWasm = named('data-wasm');
const css = readdirSync(DIST_DIR).filter((f) => /\.css$/.test(f));
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
  ['JS (glue + boot.js)', [mainJs, 'boot.js']],
  ['CSS', css],
  ['HTML', ['index.html']],
  ...workers,
];
const rows = groups.map(([label, files]) => {
  const s = files.map(sized).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, br: a.br + b.br }));
  return { label, ...s };
});
const first = rows.filter((r) => !r.label.startsWith('worker'))
  .reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, br: a.br + b.br }));
console.log(`== First load: what is downloaded (dist/, ${mainWasm})`);
console.log(`${'part'.padEnd(36)} | ${'raw'.padStart(10)} | ${'gzip -9'.padStart(10)} | ${'brotli 11'.padStart(10)}`);
for (const r of [...rows, { label: 'first load (HTML + JS + CSS + wasm)', ...first }]) {
  console.log(`${r.label.padEnd(36)} | ${KB(r.raw).padStart(10)} | ${KB(r.gzip).padStart(10)} | ${KB(r.br).padStart(10)}`);
}

// --- Timings -----------------------------------------------------------------------------
// Records when the first screen becomes usable, in ms since navigation start.
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

/** Opens `url` in `page` with the profile applied; returns { ms, started, bytes, encoding }. */
async function visit(context, page, url, mobile) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (mobile) {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...MOBILE });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  }
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  let encoding = '';
  page.on('response', (r) => { if (r.url().endsWith('_bg.wasm')) encoding = r.headers()['content-encoding'] || 'identity'; });
  await page.goto(url);
  await page.waitForFunction(() => window.__ready !== null, null, { timeout: 60000, polling: 50 });
  const [ms, started] = await page.evaluate(() => [window.__ready, window.__started]);
  await cdp.detach();
  return { ms, started, bytes, encoding };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await startServer(['--fake-latency-ms', '10']);
const browser = await launchBrowser();
const results = {};
try {
  for (const [name, mobile] of [['unthrottled', false], ['mobile', true]]) {
    const cold = [];
    const warm = [];
    const coldStarted = [];
    const warmStarted = [];
    let bytes = 0;
    let encoding = '';
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      await context.addInitScript(readyProbe);
      const page = await context.newPage();
      const c = await visit(context, page, server.url, mobile);
      cold.push(c.ms);
      coldStarted.push(c.started);
      bytes = c.bytes;
      encoding = c.encoding;
      // Second visit: once the service worker has cached this build, a new tab opens the app.
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        while ((await caches.keys()).length === 0) await new Promise((r) => setTimeout(r, 50));
      });
      await page.close();
      const again = await context.newPage();
      const w = await visit(context, again, server.url, mobile);
      warm.push(w.ms);
      warmStarted.push(w.started);
      await context.close();
    }
    results[name] = { cold, warm, coldStarted, warmStarted, bytes, encoding };
  }
} finally {
  await browser.close();
  await server.stop();
}

console.log(`\n== Navigation → first screen interactive, continuity-server with compression, ${RUNS} runs (median; all runs)`);
for (const [name, r] of Object.entries(results)) {
  const all = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  console.log(`${name.padEnd(11)} cold:  ${median(r.cold).toFixed(0).padStart(5)} ms  (${all(r.cold)}); ${KB(r.bytes)} on the wire, wasm sent as ${r.encoding}`);
  console.log(`${name.padEnd(11)} second visit (service worker cache): ${median(r.warm).toFixed(0).padStart(5)} ms  (${all(r.warm)})`);
  console.log(`${''.padEnd(11)} of which wasm instantiated at: cold ${median(r.coldStarted).toFixed(0)} ms, second visit ${median(r.warmStarted).toFixed(0)} ms (median)`);
}
const wasmGzip = rows[0].gzip;
const targets = [
  ['main wasm ≤ 150 KB gzip', KB(wasmGzip), wasmGzip <= 150 * 1024],
  ['mobile first screen ≤ 1.5 s', `${median(results.mobile.cold).toFixed(0)} ms`, median(results.mobile.cold) <= 1500],
  ['second visit ≤ 300 ms (mobile profile)', `${median(results.mobile.warm).toFixed(0)} ms`, median(results.mobile.warm) <= 300],
  ['second visit ≤ 300 ms (unthrottled)', `${median(results.unthrottled.warm).toFixed(0)} ms`, median(results.unthrottled.warm) <= 300],
];
console.log('\n== Targets (issue 12)');
for (const [target, value, met] of targets) console.log(`${met ? 'met   ' : 'missed'}  ${target.padEnd(40)} ${value}`);
