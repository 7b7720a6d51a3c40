// Data-layer benchmark (prints figures; not a test). For a 12×1 and a 48×4 series (custom
// template, variants per frame) generated against the fake: bytes and puts handed to
// IndexedDB per keystroke, script time per keystroke, long tasks while typing and while the
// images land, time from reload to the first screenful of thumbnails, the largest image the
// grid decodes, JS heap and wasm memory, storage used.
// Usage: node bench-data.mjs  (SERVER_BIN and DIST_DIR as for the e2e tests)
import { startServer, launchBrowser, createSeries, openSeriesSettings, closeSeriesSettings, planWithoutAnchor } from './harness.mjs';

const SENTENCE = 'A lighthouse keeper reads by lamplight..'; // 40 characters
const TARGETS = {
  bytes: 2048, // per keystroke
  ratio: 1.2, // 48×4 vs 12×1, ms per keystroke
  longTask: 50, // ms
  reload: 1000, // ms to the first screenful of thumbnails
};

async function measure(browser, server, frames, variants) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.__keys = [];
    // Script time of a keystroke: from keydown to the first task after it (the input handler,
    // the reactive updates and the DOM changes they make all run before that).
    document.addEventListener('keydown', () => {
      const t0 = performance.now();
      setTimeout(() => window.__keys.push(performance.now() - t0), 0);
    }, true);
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
  });
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'custom', name: `Bench ${frames}x${variants}`, frames });
  await openSeriesSettings(page);
  await page.getByTestId('variants').selectOption(String(variants));
  await closeSeriesSettings(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  const landStart = await page.evaluate(() => performance.now());
  await page.waitForFunction((n) =>
    document.querySelectorAll('[data-testid=frame-card][data-status=done]').length === n, frames, { timeout: 600000 });
  const landEnd = await page.evaluate(() => performance.now());
  await page.waitForTimeout(800);
  const landing = await page.evaluate(([a, b]) =>
    window.__longTasks.filter((t) => t.start >= a && t.start <= b).map((t) => t.duration), [landStart, landEnd]);

  // Type 40 characters into one frame's prompt, key by key.
  const prompt = page.getByTestId('frame-card').nth(Math.min(7, frames - 1)).getByTestId('frame-prompt');
  await prompt.click();
  await page.waitForTimeout(1500);
  // Where the main thread's time goes (DevTools Performance metrics, cumulative seconds).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const m0 = await metrics();
  const before = await page.evaluate(() => ({ ...window.__continuityIdb, t: performance.now(), keys: window.__keys.length }));
  await prompt.pressSequentially(SENTENCE, { delay: 40 });
  await page.waitForTimeout(1200); // the debounced write
  const after = await page.evaluate(() => ({ ...window.__continuityIdb, t: performance.now() }));
  const m1 = await metrics();
  const per = (name) => ((m1[name] - m0[name]) * 1000) / SENTENCE.length;
  const typing = await page.evaluate(([t0, t1, k]) => ({
    keys: window.__keys.slice(k),
    long: window.__longTasks.filter((t) => t.start >= t0 && t.start <= t1).map((t) => t.duration),
  }), [before.t, after.t, before.keys]);

  // Reload: time to the first screenful of thumbnails; the largest image the grid decodes.
  await page.reload();
  await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll('[data-testid=frame-card]')];
    const visible = cards.filter((c) => c.getBoundingClientRect().top < innerHeight);
    return visible.length > 0 && visible.every((c) => {
      const img = c.querySelector('.frame-image img');
      return img && img.complete && img.naturalWidth > 0;
    });
  }, null, { timeout: 60000 });
  const reload = await page.evaluate(() => performance.now());
  const memory = await page.evaluate(async () => ({
    heap: performance.memory?.usedJSHeapSize ?? 0,
    wasm: window.__wasm?.memory?.buffer?.byteLength ?? 0,
    usage: (await navigator.storage.estimate()).usage,
    largest: Math.max(...[...document.querySelectorAll('[data-testid=frame-card] .frame-image img')]
      .filter((i) => i.complete).map((i) => Math.max(i.naturalWidth, i.naturalHeight))),
  }));
  await context.close();
  const n = SENTENCE.length;
  const keys = typing.keys.slice(0, n);
  return {
    label: `${frames}×${variants}`,
    bytesPerKey: (after.bytes - before.bytes) / n,
    putsPerKey: (after.puts - before.puts) / n,
    msPerKey: keys.reduce((a, b) => a + b, 0) / Math.max(1, keys.length),
    scriptPerKey: per('ScriptDuration'),
    stylePerKey: per('RecalcStyleDuration'),
    layoutPerKey: per('LayoutDuration'),
    maxKey: Math.max(...keys),
    longTyping: typing.long,
    longLanding: landing,
    landingSeconds: (landEnd - landStart) / 1000,
    reloadMs: reload,
    ...memory,
  };
}

const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
const server = await startServer(['--fake-latency-ms', '200']);
const browser = await launchBrowser();
try {
  const rows = [];
  for (const [frames, variants] of [[12, 1], [48, 4]]) rows.push(await measure(browser, server, frames, variants));
  console.log('\n== Data layer: typing 40 characters into one frame, reload, memory (Chromium, release build)');
  console.log('series | bytes/key | puts/key | ms/key to next task (max) | script / style / layout ms per key | long tasks typing | long tasks while images land | reload→thumbnails | largest grid image | JS heap | wasm memory | storage');
  for (const r of rows) {
    const long = (l) => (l.length ? `${l.length} (max ${Math.max(...l).toFixed(0)} ms)` : '0');
    console.log(`${r.label} | ${r.bytesPerKey.toFixed(0)} B | ${r.putsPerKey.toFixed(2)} | ${r.msPerKey.toFixed(2)} ms (${r.maxKey.toFixed(1)}) | ${r.scriptPerKey.toFixed(2)} / ${r.stylePerKey.toFixed(2)} / ${r.layoutPerKey.toFixed(2)} | ${long(r.longTyping)} | ${long(r.longLanding)} in ${r.landingSeconds.toFixed(1)} s | ${r.reloadMs.toFixed(0)} ms | ${r.largest} px | ${mb(r.heap)} | ${mb(r.wasm)} | ${mb(r.usage)}`);
  }
  const [small, big] = rows;
  const ok = (c) => (c ? 'met' : 'NOT met');
  console.log(`\nTargets: ≤ ${TARGETS.bytes} B per keystroke, flat: ${ok(rows.every((r) => r.bytesPerKey <= TARGETS.bytes))}` +
    ` · 48×4 within ${TARGETS.ratio}× of 12×1 in ms/key (${(big.msPerKey / small.msPerKey).toFixed(2)}×): ${ok(big.msPerKey <= TARGETS.ratio * small.msPerKey)}` +
    ` (script ${(big.scriptPerKey / small.scriptPerKey).toFixed(2)}×)` +
    ` · no long task > ${TARGETS.longTask} ms typing or landing: ${ok(rows.every((r) => [...r.longTyping, ...r.longLanding].every((d) => d <= TARGETS.longTask)))}` +
    ` · reload of 48×4 to thumbnails ≤ ${TARGETS.reload} ms: ${ok(big.reloadMs <= TARGETS.reload)}` +
    ` · grid decodes no full-size image: ${ok(rows.every((r) => r.largest <= 384))}`);
} finally {
  await browser.close();
  await server.stop();
}
