// Export benchmark (prints figures; not a test), issue 10: a 12-frame storyboard (1536×864:
// the template's size; the issue asks 1536×1024, which the UI cannot choose yet)
// images generated against the fake, then the time of each export (click → download), the
// peak JS heap while it runs, the main wasm memory it grew by and the page's longest task (the
// files are assembled in the worker), and the import time of its ZIP.
// Targets: ZIP ≤ 2 s, PDF ≤ 4 s, GIF ≤ 6 s; wasm growth ≤ 2 images' worth during any export.
// Usage: node bench-export.mjs  (SERVER_BIN and DIST_DIR as for the e2e tests)
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, createSeries, planWithoutAnchor } from './harness.mjs';

const TARGET_S = { ZIP: 2, 'PDF storyboard': 4, 'Animatic GIF': 6 };
const dir = mkdtempSync(join(tmpdir(), 'continuity-bench-export-'));
const mb = (n) => (n < 1048576 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

const server = await startServer(['--fake-latency-ms', '30']);
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
  });
  await page.goto(server.url);
  await createSeries(page, { template: 'storyboard', name: 'Bench export' });
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-card][data-status=done]').length === 12, null, { timeout: 600000 });
  await page.waitForTimeout(1500);
  const imageBytes = await page.evaluate(async () => {
    const db = await new Promise((ok, err) => { const r = indexedDB.open('continuity'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const all = await new Promise((ok) => { const q = db.transaction('images').objectStore('images').getAll(); q.onsuccess = () => ok(q.result); });
    db.close();
    return all.map((b) => b.size);
  });
  const largest = Math.max(...imageBytes);
  console.log(`\n== Export: 12 frames of 1536×864 (${imageBytes.length} stored images, largest ${mb(largest)}), Chromium, release build`);
  console.log('export | time | target | peak JS heap | main wasm memory growth (≤ 2 images) | main wasm memory after | longest main-thread task | file');
  let zipPath;
  for (const name of ['ZIP', 'Contact sheet', 'PDF storyboard', 'Animatic GIF', 'Share page']) {
    await page.evaluate(() => {
      window.__peak = { heap: 0, longTask: 0, wasm0: window.__wasm?.memory?.buffer?.byteLength ?? 0 };
      // Assembly runs in the worker: the page's own longest task says whether it stayed responsive.
      window.__longTasks = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__peak.longTask = Math.max(window.__peak.longTask, e.duration);
      });
      window.__longTasks.observe({ type: 'longtask' });
      window.__sampler = setInterval(() => {
        window.__peak.heap = Math.max(window.__peak.heap, performance.memory?.usedJSHeapSize ?? 0);
      }, 20);
    });
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const t0 = Date.now();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 120000 }),
      page.getByRole('menuitem', { name, exact: true }).click(),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    const peak = await page.evaluate(() => {
      clearInterval(window.__sampler);
      window.__longTasks.disconnect();
      return { ...window.__peak, wasm1: window.__wasm?.memory?.buffer?.byteLength ?? 0 };
    });
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    if (name === 'ZIP') zipPath = path;
    const growth = peak.wasm1 - peak.wasm0;
    const target = TARGET_S[name] ? `≤ ${TARGET_S[name]} s ${seconds <= TARGET_S[name] ? 'met' : 'MISSED'}` : '—';
    console.log(`${name} | ${seconds.toFixed(2)} s | ${target} | ${mb(peak.heap)} | ${mb(growth)} ${growth <= 2 * largest ? 'met' : 'MISSED'} | ${mb(peak.wasm1)} | ${peak.longTask ? `${Math.round(peak.longTask)} ms` : 'none > 50 ms'} | ${mb(statSync(path).size)}`);
  }
  await page.getByRole('button', { name: '← All series', exact: true }).click();
  const t0 = Date.now();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import', exact: true }).click()]);
  await chooser.setFiles(zipPath);
  await page.getByTestId('import-result').waitFor({ timeout: 120000 });
  console.log(`Import of the ZIP | ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
