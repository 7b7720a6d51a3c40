// Benchmark (prints figures; not a test): the app's batch runner — the pure scheduler driven
// in the browser — against the fake with a fixed latency L, for the fan-out of a 12-frame
// storyboard (the anchor generated and approved first, as the guided flow has it: 11 edits
// from the anchor) at concurrency 4 and 12. Makespan is measured from "Start" to the last
// frame stored and shown as done. Ideal = ceil(11/c)·L. Target: ratio ≤ 1.05.
//   node e2e/bench.mjs [latency_ms] [runs]
import { startServer, launchBrowser, createSeries, waitForStatus, generateAndApproveAnchor } from './harness.mjs';

const L = Number(process.argv[2] || 1000);
const RUNS = Number(process.argv[3] || 3);
const server = await startServer(['--fake-latency-ms', String(L)]);
const browser = await launchBrowser();
const rows = [];
try {
  for (const c of [4, 12]) {
    const times = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // Concurrency c, no streamed previews (they would add decode work unrelated to scheduling).
      await page.addInitScript((conc) => localStorage.setItem('continuity.settings',
        JSON.stringify({ connection: 'this_server', concurrency: conc, stream_previews: false })), c);
      await page.goto(server.url);
      await createSeries(page, { template: 'storyboard', name: `Bench c=${c} #${run}` });
      await generateAndApproveAnchor(page);
      await page.getByTestId('generate-all').click();
      await page.getByTestId('plan-summary').waitFor();
      const t0 = await page.evaluate(() => performance.now());
      await page.getByTestId('start-plan').click();
      await waitForStatus(page, 'done', 12, 120000);
      const t1 = await page.evaluate(() => performance.now());
      times.push(t1 - t0);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const ideal = Math.ceil(11 / c) * L;
    rows.push({ c, median, ideal, ratio: median / ideal, all: times });
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`Fan-out of a 12-frame storyboard from its approved anchor, fake latency L = ${L} ms, ${RUNS} runs each (median):`);
console.log('concurrency | makespan ms | ideal ms | ratio | all runs (ms)');
for (const r of rows) {
  console.log(`${String(r.c).padStart(11)} | ${r.median.toFixed(0).padStart(11)} | ${String(r.ideal).padStart(8)} | ${r.ratio.toFixed(3)} | ${r.all.map((t) => t.toFixed(0)).join(', ')}`);
}
const worst = Math.max(...rows.map((r) => r.ratio));
console.log(worst <= 1.05 ? `target met: worst ratio ${worst.toFixed(3)} ≤ 1.05` : `target missed: worst ratio ${worst.toFixed(3)} > 1.05`);
