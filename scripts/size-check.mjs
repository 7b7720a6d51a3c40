// The bundle budgets: fails when the release build's first load, or any module loaded later,
// grows past its budget in gzip bytes, and prints every figure. A size check, not a timing
// test: the numbers depend only on the build.
//   node scripts/size-check.mjs [dist]        (scripts/test.sh runs it after `trunk build --release`)
//
// - main wasm (what the first screen waits for) ≤ 150 KB and the whole first load (HTML, the
//   JS glue, boot.js, the split link module, CSS and the main wasm) ≤ 175 KB: fixed goals.
// - every lazily loaded part (split_<part>-<hash>.wasm, src/parts.rs), the shared chunks
//   together, and each worker module: a ratchet at its size when last measured + 3 %, so
//   nothing slips back unnoticed. A part that shrinks should have its budget lowered; a new
//   part needs a budget here (the check fails on a module it does not know).
// Node only, no packages: gzip level 9 as `gzip -9`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Main wasm, gzip -9 bytes: the goal of issue 18 (was 654,068 before the split). */
export const MAIN_WASM_BUDGET = 150 * 1024;
/** HTML + JS + CSS + main wasm, gzip -9 bytes. */
export const FIRST_LOAD_BUDGET = 175 * 1024;
/** Lazily loaded modules and workers, gzip -9 bytes: measured on 2026-12-07 + 3 % (the
 * workspace, export, bible, series settings and shared chunks again after the board of
 * issue 19: the bible and the series settings became drawers and parts of their own; the
 * series settings (17,639 B: per-model quality, complexity and "Transparent background") and
 * the inspector (55,819 B: "Mark changes") again after issue 21's options and markup edits). */
export const LATER_BUDGETS = {
  // 184,243 measured 2026-12-07 with issue 21's app half merged (recovery at open, the batch
  // status line, the ledger's spend line), + 3 %.
  // 199,060 measured 2026-12-07 with issue 22's app half (result checks on the cards, board
  // selection, variable rows, the ledger's text calls), + 3 %.
  'split_workspace': 205_000,
  // The bible with the "Describe from images" proposals (25,513 measured 2026-12-07, + 3 %);
  // the describe call and its validator are split_describe (10,125 + 3 %), loaded on first use.
  'split_bible': 26_300,
  'split_describe': 10_500,
  // "New from a brief": the brief, the planner call, its validator and the preview (30,786
  // measured 2026-12-07, + 3 %).
  'split_brief': 31_700,
  // + "Check every result" (18,641 measured 2026-12-07, + 3 %).
  'split_series_settings': 19_200,
  // + the check's misses and "Edit to fix" (57,575 measured 2026-12-07, + 3 %).
  'split_inspector': 59_300,
  // The plan with the Now / Batch choice and its reachability check (13,528 measured
  // 2026-12-07, issue 21 batch mode, + 3 %); batch mode itself is split_batch (35,958 + 3 %).
  // With "Edit selected" (one edit per selected frame, its region) and the checks' reservation
  // in the plan: 20,932 measured 2026-12-07 (issue 22), + 3 %.
  'split_plan': 21_600,
  'split_batch': 37_000,
  'split_export': 20_700,
  'split_settings': 10_200,
  'split_shortcuts': 4_100,
  'split_import': 5_400,
  // 403,512 measured 2026-12-07 with issue 21's app half merged (batch mode, recovery and the
  // spend ledger, markup edits), + 3 %.
  // 478,715 measured 2026-12-07 with issue 22's app half (the text-call client, the Responses
  // types and JSON validators shared by the brief, describe and checks), + 3 %.
  'shared chunks': 493_100,
  // The two workers (worker/src/lib.rs), measured 2026-12-07: 62,147 and 299,811 bytes gzip
  // (one worker of 367,790 before the split); the files worker 309,730 after the markup guard
  // (issue 21), + 3 %.
  'continuity-worker': 64_100,
  'continuity-files-worker': 319_000,
};

const dist = resolve(process.argv[2] || join(import.meta.dirname, '..', 'dist'));
const files = readdirSync(dist);
const html = readFileSync(join(dist, 'index.html'), 'utf8');
// boot.js's tag names this build's files (Trunk.toml, pattern_script).
const named = (attr) => {
  const m = html.match(new RegExp(`${attr}=["']?([^"' >]+)`));
  if (!m) throw new Error(`${dist}/index.html has no ${attr}: is it a release build of this repository?`);
  return m[1].replace(/^.*\//, '');
};
const css = [...html.matchAll(/<link[^>]+rel=["']?stylesheet[^>]*>/g)]
  .map((tag) => tag[0].match(/href=["']?([^"' >]+)/)[1].replace(/^.*\//, ''));
const gz = (file) => {
  const bytes = readFileSync(join(dist, file));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const sum = (list) => list.map(gz).reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
const only = (re) => files.filter((f) => re.test(f));

const firstParts = [
  ['main wasm', [named('data-wasm')]],
  ['JS (glue, boot.js, split link)', [named('data-js'), 'boot.js', ...only(/^__wasm_split-[0-9a-f]{16}\.js$/)]],
  ['CSS', css],
  ['HTML', ['index.html']],
].map(([label, list]) => ({ label, ...sum(list) }));
const first = firstParts.reduce((a, p) => ({ raw: a.raw + p.raw, gzip: a.gzip + p.gzip }), { raw: 0, gzip: 0 });

// Modules loaded later, by name: the parts, the chunks together, the workers.
const later = new Map();
for (const f of only(/^split_.+-[0-9a-f]{16}\.wasm$/)) later.set(f.replace(/-[0-9a-f]{16}\.wasm$/, ''), [f]);
later.set('shared chunks', only(/^chunk_\d+-[0-9a-f]{16}\.wasm$/));
for (const f of only(/_bg\.wasm$/).filter((f) => f !== named('data-wasm'))) {
  later.set(f.replace(/(-[0-9a-f]{16})?_bg\.wasm$/, ''), [f]);
}

const KB = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`== Bundle budgets (${dist})`);
for (const p of [...firstParts, { label: 'first load', ...first }]) {
  console.log(`${p.label.padEnd(32)} ${KB(p.raw).padStart(10)} raw ${KB(p.gzip).padStart(10)} gzip`);
}
const checks = [
  ['main wasm', firstParts[0].gzip, MAIN_WASM_BUDGET],
  ['first load', first.gzip, FIRST_LOAD_BUDGET],
];
console.log('-- loaded later (on first use, prefetched when idle)');
for (const [name, list] of later) {
  const size = sum(list);
  console.log(`${name.padEnd(32)} ${KB(size.raw).padStart(10)} raw ${KB(size.gzip).padStart(10)} gzip${list.length > 1 ? ` (${list.length} files)` : ''}`);
  checks.push([name, size.gzip, LATER_BUDGETS[name]]);
}
let over = false;
for (const [label, size, budget] of checks) {
  if (budget === undefined) {
    over = true;
    console.log(`NO BUDGET ${label}: ${size} bytes gzip — add it to LATER_BUDGETS in scripts/size-check.mjs`);
    continue;
  }
  const ok = size <= budget;
  over ||= !ok;
  console.log(`${ok ? 'within' : 'OVER  '} ${label.padEnd(24)} ${String(size).padStart(8)} ≤ ${String(budget).padStart(8)} bytes gzip (${(100 * size / budget).toFixed(1)} %)`);
}
for (const name of Object.keys(LATER_BUDGETS)) {
  if (!later.has(name)) console.log(`note: no module "${name}" in this build (a stale budget in scripts/size-check.mjs?)`);
}
if (over) {
  console.error('A module grew past its budget (scripts/size-check.mjs). For the main wasm, find what the first '
    + 'screen reaches with `wasm-split-cli --target web --out-name m target/wasm32-unknown-unknown/release/continuity.wasm /tmp/s` '
    + 'and `twiggy top /tmp/s/m.wasm` (cargo install twiggy), and move it into a lazy part (src/parts.rs).');
  process.exit(1);
}
