// A recording pass-through in front of the fake: every request that reaches it is kept byte
// for byte (method, URL, headers, body) and then forwarded. Tests that must see what really
// left the browser — multipart bodies included, which Playwright's request events do not
// carry — point the app's custom endpoint here.
import { createServer, request } from 'node:http';

/** Starts a recorder forwarding to `target` (e.g. `http://127.0.0.1:1234`); returns
 * `{ url, requests, stop }`, where `requests` fills as requests arrive. */
export async function startRecorder(target) {
  const to = new URL(target);
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: { ...req.headers }, body });
      const headers = { ...req.headers, host: to.host };
      const out = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      out.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      out.end(body);
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((ok) => server.close(ok)),
  };
}
