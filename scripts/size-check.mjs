// The bundle budget (issue 12): fails when the release build's main wasm, or the whole first
// load (HTML + JS + CSS + wasm), grows past its budget in gzip bytes, and prints the figures.
// A size check, not a timing test: the numbers depend only on the build.
//   node scripts/size-check.mjs [dist]        (scripts/test.sh runs it after `trunk build --release`)
//
// The budgets are a ratchet: the size of the build when they were last lowered plus a little
// room (≈3 %). The goal is a main wasm ≤ 150 KB gzip (and a first load ≤ 125 KB gzip); every
// change that moves code out of the first screen's wasm (into the worker, or loaded when first
// used) should lower MAIN_WASM_BUDGET to its new size + 3 %, so nothing slips back.
// Node only, no packages: gzip level 9 as `gzip -9`.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Main wasm, gzip -9 bytes (654,068 measured on 2026-11-26 after export assembly and import
 * moved into the worker, from 785,846 — + 3 %; goal 150 KB). */
export const MAIN_WASM_BUDGET = 674_000;
/** HTML + JS + CSS + main wasm, gzip -9 bytes (673,244 measured on 2026-11-26, + 3 %; goal 125 KB). */
export const FIRST_LOAD_BUDGET = 694_000;
const GOAL_WASM = 150 * 1024;

const dist = resolve(process.argv[2] || join(import.meta.dirname, '..', 'dist'));
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
const parts = [
  ['main wasm', [named('data-wasm')]],
  ['JS (glue + boot.js)', [named('data-js'), 'boot.js']],
  ['CSS', css],
  ['HTML', ['index.html']],
].map(([label, files]) => {
  const sizes = files.map(gz);
  return { label, raw: sizes.reduce((a, s) => a + s.raw, 0), gzip: sizes.reduce((a, s) => a + s.gzip, 0) };
});
const wasm = parts[0];
const first = { raw: parts.reduce((a, p) => a + p.raw, 0), gzip: parts.reduce((a, p) => a + p.gzip, 0) };

const KB = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`== Bundle budget (${dist})`);
for (const p of parts) console.log(`${p.label.padEnd(22)} ${KB(p.raw).padStart(10)} raw ${KB(p.gzip).padStart(10)} gzip`);
console.log(`${'first load'.padEnd(22)} ${KB(first.raw).padStart(10)} raw ${KB(first.gzip).padStart(10)} gzip`);
const checks = [
  ['main wasm', wasm.gzip, MAIN_WASM_BUDGET],
  ['first load', first.gzip, FIRST_LOAD_BUDGET],
];
let over = false;
for (const [label, size, budget] of checks) {
  const ok = size <= budget;
  over ||= !ok;
  console.log(`${ok ? 'within' : 'OVER  '} ${label} budget: ${size} ≤ ${budget} bytes gzip (${(100 * size / budget).toFixed(1)} %)`);
}
console.log(`goal: main wasm ≤ ${GOAL_WASM} bytes gzip (now ${(wasm.gzip / GOAL_WASM).toFixed(2)} ×)`);
if (over) {
  console.error('The first load grew past its budget (scripts/size-check.mjs): find what grew with '
    + '`twiggy top target/wasm32-unknown-unknown/release/continuity.wasm` (cargo install twiggy) and move it out of the first screen.');
  process.exit(1);
}
