// Helpers for the delivery tests (CSP, offline shell, updates): a plain static server under a
// sub-path, copies of dist/ to edit, and a recorder of Content-Security-Policy violations.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';

export const DIST_DIR = process.env.DIST_DIR || join(import.meta.dirname, '..', 'dist');

/** A copy of dist/ at `<tmp>/<sub>` (edit it freely); returns { root, dir, remove }. */
export function copyDist(sub = 'app') {
  const root = mkdtempSync(join(tmpdir(), 'continuity-dist-'));
  const dir = join(root, sub);
  cpSync(DIST_DIR, dir, { recursive: true });
  return { root, dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Rewrites a text file of a copied dist (the edit is a function of its text). */
export function edit(dir, name, change) {
  const path = join(dir, name);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the edit did not change ${name}`);
  writeFileSync(path, after);
  // The precompressed copies are now stale: drop them so nobody serves the old bytes.
  rmSync(`${path}.br`, { force: true });
  rmSync(`${path}.gz`, { force: true });
}

/** The build version of a dist directory (index.html's continuity-build meta). */
export function buildVersion(dir) {
  return readFileSync(join(dir, 'index.html'), 'utf8').match(/name="continuity-build" content="([0-9a-f]+)"/)[1];
}

const TYPES = {
  html: 'text/html; charset=utf-8', js: 'text/javascript', css: 'text/css', wasm: 'application/wasm',
  json: 'application/json', webmanifest: 'application/manifest+json', svg: 'image/svg+xml', png: 'image/png',
};

/**
 * A plain static host on a free port serving `root`: files with their MIME type and nothing
 * else (no policy header, no compression, no SPA fallback), like a bucket or `python3 -m
 * http.server`. With `{ gzip: true }` it sends the build's precompressed `.gz` copies to
 * browsers that accept gzip, as nginx's `gzip_static` does. Returns { url, stop }.
 */
export async function startStaticServer(root, { gzip = false } = {}) {
  root = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const headers = { 'Content-Type': TYPES[extname(file).slice(1)] || 'application/octet-stream' };
      let body;
      if (gzip && /\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
        body = await readFile(`${file}.gz`).catch(() => null);
        if (body) Object.assign(headers, { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
      }
      body ??= await readFile(file);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return {
    url,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/**
 * Records `securitypolicyviolation` events of every page of `context` into
 * `window.__cspViolations` (a fresh list per document: read it before a reload).
 */
export async function recordViolations(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
}

/** The violations the current document recorded. */
export async function violations(page) {
  return page.evaluate(() => window.__cspViolations);
}

/** Waits until a service worker controls the page; returns its registration's scope. */
export async function controlled(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    }
    return registration.scope;
  });
}
