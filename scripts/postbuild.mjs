// Trunk post-build hook (Trunk.toml [[hooks]]), run in the staging directory after every build.
// Node only, no packages: the build already needs node for wasm-opt (npm binaryen).
//
// 1. CONTINUITY_CONNECT_SRC (space-separated sources, e.g. "https://proxy.example.org") is added
//    to connect-src of the policy <meta> in index.html, for static hosts with custom endpoints.
// 2. The build version: a hash of every file's path and bytes. It goes into index.html as
//    <meta name="continuity-build" content="…"> and, with each file's SHA-256 integrity, into
//    sw.js (`const BUILD = …`), so every build has its own service worker and cache.
// 3. Release builds: `.br` (quality 11) and `.gz` (level 9) beside every compressible file, for
//    continuity-server and for static hosts that serve precompressed files (nginx
//    gzip_static/brotli_static, Caddy precompressed). Maximum levels cost seconds once here
//    instead of CPU on every request.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('postbuild.mjs runs as a Trunk hook (TRUNK_STAGING_DIR is not set)');
  process.exit(2);
}
const release = process.env.TRUNK_PROFILE === 'release';
const COMPRESSIBLE = /\.(html|js|mjs|css|wasm|svg|json|webmanifest|txt|xml|map)$/;
// Files a deployment may edit without rebuilding: the service worker fetches them first.
const EDITABLE = /^models\.json$/;

/** Every file under `root`, as paths relative to it with `/` separators. */
function walk(root, at = root) {
  return readdirSync(at, { withFileTypes: true }).flatMap((entry) => {
    const path = join(at, entry.name);
    if (entry.isDirectory()) return walk(root, path);
    return entry.isFile() ? [relative(root, path).split(sep).join('/')] : [];
  });
}

const read = (name) => readFileSync(join(dir, name));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

// 1. Custom endpoints in the static policy.
let html = read('index.html').toString('utf8');
const extra = (process.env.CONTINUITY_CONNECT_SRC || '').split(/\s+/).filter(Boolean);
for (const source of extra) {
  if (!/^https?:\/\/[A-Za-z0-9\-._~/:*[\]%]+$/.test(source)) {
    console.error(`CONTINUITY_CONNECT_SRC: ${JSON.stringify(source)} is not a source such as https://proxy.example.org`);
    process.exit(2);
  }
}
if (extra.length) {
  const before = html;
  html = html.replace(/(connect-src [^;"]*)/, `$1 ${extra.join(' ')}`);
  if (html === before) {
    console.error('postbuild.mjs: index.html has no policy <meta> with connect-src');
    process.exit(2);
  }
}

// 2. Version and file list (sw.js and the page itself are not in the list).
const files = walk(dir).filter((f) => f !== 'sw.js' && f !== 'index.html' && !/\.(br|gz)$/.test(f)).sort();
const version = createHash('sha256');
for (const f of [...files, 'index.html']) {
  version.update(f).update('\0').update(f === 'index.html' ? html : read(f)).update('\0');
}
const VERSION = version.digest('hex').slice(0, 16);
const charset = html.match(/<meta charset[^>]*>/i);
if (!charset) {
  console.error('postbuild.mjs: index.html has no <meta charset>');
  process.exit(2);
}
html = html.replace(charset[0], `${charset[0]}<meta name="continuity-build" content="${VERSION}">`);
writeFileSync(join(dir, 'index.html'), html);

const build = {
  version: VERSION,
  files: Object.fromEntries(files.map((f) => [f, EDITABLE.test(f) ? null : `sha256-${sha256(read(f)).toString('base64')}`])),
};
const sw = read('sw.js').toString('utf8');
const PLACEHOLDER = 'const BUILD = null;';
if (!sw.includes(PLACEHOLDER)) {
  console.error(`postbuild.mjs: sw.js lacks the line "${PLACEHOLDER}"`);
  process.exit(2);
}
writeFileSync(join(dir, 'sw.js'), sw.replace(PLACEHOLDER, `const BUILD = ${JSON.stringify(build)};`));

// 3. Precompressed copies.
let raw = 0;
let br = 0;
if (release) {
  for (const f of walk(dir).filter((f) => COMPRESSIBLE.test(f))) {
    const bytes = read(f);
    const brotli = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        [constants.BROTLI_PARAM_MODE]: f.endsWith('.wasm') ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
      },
    });
    const gzip = gzipSync(bytes, { level: 9 });
    // Tiny files may grow: then the server sends them as they are.
    if (brotli.length < bytes.length) writeFileSync(join(dir, `${f}.br`), brotli);
    if (gzip.length < bytes.length) writeFileSync(join(dir, `${f}.gz`), gzip);
    raw += bytes.length;
    br += Math.min(brotli.length, bytes.length);
  }
}
const size = statSync(join(dir, 'sw.js')).size;
console.log(`postbuild: build ${VERSION}, ${files.length} files in sw.js (${size} bytes)` +
  (release ? `, precompressed ${raw} → ${br} bytes (brotli)` : ''));
