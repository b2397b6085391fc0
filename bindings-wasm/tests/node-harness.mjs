// Node-side helpers: the e2e plan and its key files from disk, a notify_url server for a
// fetch-style handler (the tiny adapter the README mentions) or an Express app, and results
// from another runtime turned into node:test subtests.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './vector-runner.mjs';
import { NOBODY_KEY } from './portable/e2e.mjs';

export function loadE2E() {
  const plan = JSON.parse(readFileSync(join(ROOT, 'tests/sandbox/e2e_plan.json'), 'utf8'));
  const m = plan.merchant;
  const paths = [m.private_key, m.wechatpay_public_key, ...m.platform_certificates, NOBODY_KEY];
  return { plan, files: Object.fromEntries(paths.map((p) => [p, readFileSync(join(ROOT, p), 'utf8')])) };
}

/** node:http → fetch Request → handler → fetch Response → node:http. */
export function fetchAdapter(handler) {
  return async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
    const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

/** Listens on 127.0.0.1 (free port); `listener` is a node:http listener or an Express app. */
export async function serve(listener, path = '/wxpay/notify') {
  const server = createServer(listener);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}${path}`, close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }) };
}

/** `[{name, ok, error}]` from another runtime → one subtest each. */
export async function report(t, results) {
  for (const r of results) {
    await t.test(r.name, () => {
      if (!r.ok) assert.fail(r.error);
    });
  }
}
