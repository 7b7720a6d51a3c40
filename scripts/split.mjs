// Trunk post-build hook, first step (Trunk.toml chains it before postbuild.mjs): splits the app's
// wasm into the first screen's main module and the lazily loaded parts (src/ui/lazy.rs), then
// binds and optimises them. Trunk 0.21 cannot do this itself (trunk-rs/trunk#1022); the recipe
// and its pitfalls are in ../shared/reference/lazy-split.md.
//
//   node scripts/split.mjs <app bin name>      (TRUNK_STAGING_DIR, TRUNK_PROFILE set by Trunk)
//
// 1. Input: the linked, pre-bindgen `<bin>.wasm` cargo left in its target directory (linked with
//    --emit-relocs, build.rs). Trunk's own bindgen output is replaced under the same names
//    (Trunk's hash is over the pre-bindgen wasm, so the names stay valid).
// 2. `wasm-split-cli` cuts it into the main module, one `split_<part>.wasm` per lazy part,
//    shared `chunk_<n>.wasm` files and the link module `__wasm_split.js` the main module imports.
// 3. `wasm-bindgen --keep-lld-exports` binds the main module only (the split modules import its
//    memory, table and stack pointer); release builds run `wasm-opt -Oz` on every module.
// 4. Every split file is named by its content hash (`split_workspace-<16 hex>.wasm`), so a
//    deployment never mixes modules of two builds and the server caches them as immutable; the
//    link module's references and the page's SRI digests are rewritten to match.
// Node only, no packages.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.argv[2];
const staging = process.env.TRUNK_STAGING_DIR;
const profile = process.env.TRUNK_PROFILE;
if (!bin || !staging || !profile) {
  console.error('usage: node scripts/split.mjs <bin> (run as a Trunk post_build hook: TRUNK_STAGING_DIR and TRUNK_PROFILE are set)');
  process.exit(2);
}
const release = profile === 'release';
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const sha = (algorithm, bytes) => createHash(algorithm).update(bytes).digest();
const sri = (bytes) => `sha384-${sha('sha384', bytes).toString('base64')}`;
const hash16 = (bytes) => sha('sha256', bytes).toString('hex').slice(0, 16);

// 1. The linked wasm and Trunk's output stem.
const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1']).toString());
const input = join(metadata.target_directory, 'wasm32-unknown-unknown', release ? 'release' : 'debug', `${bin}.wasm`);
const stems = readdirSync(staging)
  .map((f) => f.match(new RegExp(`^(${bin}-[0-9a-f]{16})_bg\\.wasm$`)))
  .filter(Boolean)
  .map((m) => m[1]);
if (stems.length !== 1) {
  console.error(`split.mjs: expected one ${bin}-<hash>_bg.wasm in ${staging}, found ${stems.length}`);
  process.exit(2);
}
const stem = stems[0];
const oldDigests = [`${stem}.js`, `${stem}_bg.wasm`].map((f) => sri(readFileSync(join(staging, f))));

// 2–3. Split, bind, optimise.
const tmp = mkdtempSync(join(tmpdir(), 'continuity-split-'));
try {
  run('wasm-split-cli', ['--target', 'web', '--out-name', stem, input, tmp]);
  const bound = join(tmp, 'bg');
  run('wasm-bindgen', ['--target', 'web', '--keep-lld-exports', '--no-demangle', '--no-typescript',
    '--out-dir', bound, '--out-name', stem, join(tmp, `${stem}.wasm`)]);
  const parts = readdirSync(tmp).filter((f) => f.endsWith('.wasm') && f !== `${stem}.wasm`);
  const optimise = (file) => release && run('wasm-opt', ['-Oz', '--quiet', file, '-o', file]);
  optimise(join(bound, `${stem}_bg.wasm`));
  parts.forEach((f) => optimise(join(tmp, f)));

  // 4. Content-hashed names, the link module rewritten to them.
  let link = readFileSync(join(tmp, '__wasm_split.js'), 'utf8');
  for (const f of parts) {
    const bytes = readFileSync(join(tmp, f));
    const named = `${f.replace(/\.wasm$/, '')}-${hash16(bytes)}.wasm`;
    const quoted = `"./${f}"`;
    if (!link.includes(quoted)) {
      console.error(`split.mjs: __wasm_split.js does not name ${quoted}`);
      process.exit(2);
    }
    link = link.split(quoted).join(`"./${named}"`);
    writeFileSync(join(staging, named), bytes);
  }
  const linkName = `__wasm_split-${hash16(Buffer.from(link))}.js`;
  writeFileSync(join(staging, linkName), link);
  // Only the ES import is renamed: the imports object's key "./__wasm_split.js" must stay, it
  // is the module name the wasm imports from.
  const glue = readFileSync(join(bound, `${stem}.js`), 'utf8');
  const importFrom = 'from "./__wasm_split.js"';
  if (!glue.includes(importFrom)) {
    console.error(`split.mjs: ${stem}.js does not import ./__wasm_split.js (did wasm-split-cli find no split point?)`);
    process.exit(2);
  }
  writeFileSync(join(staging, `${stem}.js`), glue.split(importFrom).join(`from "./${linkName}"`));
  copyFileSync(join(bound, `${stem}_bg.wasm`), join(staging, `${stem}_bg.wasm`));

  // The page's integrity attributes (Trunk's preload links) name the new bytes.
  const newDigests = [`${stem}.js`, `${stem}_bg.wasm`].map((f) => sri(readFileSync(join(staging, f))));
  let html = readFileSync(join(staging, 'index.html'), 'utf8');
  oldDigests.forEach((old, i) => { html = html.split(old).join(newDigests[i]); });
  // The glue imports the link module: preload it beside the glue (a copy of Trunk's
  // modulepreload tag for it), or a slow network waits one more round trip before the wasm
  // can start.
  const glueTag = html.match(new RegExp(`<link[^>]*${stem}\\.js[^>]*rel=["']?modulepreload[^>]*>|<link[^>]*rel=["']?modulepreload[^>]*${stem}\\.js[^>]*>`));
  if (!glueTag) {
    console.error(`split.mjs: index.html has no modulepreload link for ${stem}.js`);
    process.exit(2);
  }
  const linkTag = glueTag[0].replace(`${stem}.js`, linkName).replace(newDigests[0], sri(Buffer.from(link)));
  html = html.replace(glueTag[0], glueTag[0] + linkTag);
  writeFileSync(join(staging, 'index.html'), html);
  const kb = (f) => `${(readFileSync(join(staging, f)).length / 1024).toFixed(0)} KB`;
  console.log(`split: ${stem}_bg.wasm ${kb(`${stem}_bg.wasm`)} + ${parts.length} lazy modules (${parts.join(', ')})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
