// The browser build in headless Debian Chromium: a page served on localhost imports the package
// (js/browser.mjs fetches the .wasm), signs a request, verifies a response and parses a
// notification from a fetch Request with WebCrypto; a panic inside the core (a trap) is an
// InternalError and the page's client keeps working (the module fetched once, re-instantiated).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { VECTORS } from './vector-runner.mjs';

const require = createRequire(import.meta.url);
const PACKAGE_DIR = dirname(require.resolve('wxpay-terminate/package.json'));
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>wxpay-terminate</title><script type="module">import * as wt from "/js/browser.mjs"; window.wt = wt; window.ready = true;</script>';

let server;
let browser;
let origin;

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    const file = normalize(join(PACKAGE_DIR, path));
    if (!file.startsWith(PACKAGE_DIR) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('browser build signs, verifies and reads a notification with WebCrypto in Chromium', async () => {
  const request = JSON.parse(readFileSync(join(VECTORS, 'cases/request/papay_v1_timestamp_doc_pubkey.json'), 'utf8'));
  const response = JSON.parse(readFileSync(join(VECTORS, 'cases/response/password_exempt_200_pubkey.json'), 'utf8'));
  const tampered = JSON.parse(readFileSync(join(VECTORS, 'cases/response/tampered_body.json'), 'utf8'));
  const notification = JSON.parse(readFileSync(join(VECTORS, 'cases/notification/entrust_terminate_partner_pubkey.json'), 'utf8'));
  const keys = {
    privateKey: readFileSync(join(VECTORS, 'keys/merchant_doc_pkcs8.pem'), 'utf8'),
    publicKey: readFileSync(join(VECTORS, 'keys/wechatpay_public_key.pem'), 'utf8'),
    apiv3Key: JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8')).doc_pubkey.apiv3_key,
  };
  const page = await browser.newPage();
  await page.goto(origin + '/');
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
  const out = await page.evaluate(async ({ request, response, tampered, notification, keys }) => {
    const { wt } = window;
    const client = await wt.Client.create({
      mchid: '1900007291',
      serialNo: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
      privateKey: keys.privateKey,
      wechatpayPublicKeyId: 'PUB_KEY_ID_0119000072912025112400000000000001',
      wechatpayPublicKey: keys.publicKey,
      apiv3Key: keys.apiv3Key,
    });
    const req = await client.prepare(request.operation, request.params, { timestamp: request.timestamp, nonce: request.nonce });
    const enc = new TextEncoder();
    const parsed = await client.parse(response.operation, { status: response.response.status, headers: response.response.headers, body: enc.encode(response.response.body) }, { now: response.now });
    let rejected = null;
    try {
      await client.parse(tampered.operation, { status: tampered.response.status, headers: tampered.response.headers, body: enc.encode(tampered.response.body) }, { now: tampered.now });
    } catch (e) {
      rejected = { name: e.name, isWxpay: wt.isWxpayError(e) };
    }
    // A notification as a fetch-style handler receives it, and the reply as a Response.
    const posted = new Request('https://merchant.example/notify', { method: 'POST', headers: notification.notification.headers, body: enc.encode(notification.notification.body) });
    const event = await client.parseNotification(posted, { now: notification.now });
    const reply = wt.notificationAck().toResponse();
    const panics = [];
    for (let i = 0; i < 3; i++) {
      try {
        client._panicForTest();
        panics.push(null);
      } catch (e) {
        panics.push({ name: e.name, kind: e.kind, isWxpay: wt.isWxpayError(e), base: e instanceof wt.WxpayError, message: e.message });
      }
    }
    const again = await client.prepare(request.operation, request.params, { timestamp: request.timestamp, nonce: request.nonce });
    const parsedAgain = await client.parse(response.operation, { status: response.response.status, headers: response.response.headers, body: enc.encode(response.response.body) }, { now: response.now });
    return {
      panics,
      authorizationAfter: again.headers.Authorization,
      dataAfter: parsedAgain.data,
      crypto: client.crypto,
      authorization: req.headers.Authorization,
      data: parsed.data,
      rejected,
      userAgent: req.headers['User-Agent'],
      event: JSON.parse(JSON.stringify(event)),
      reply: { status: reply.status, body: await reply.json() },
    };
  }, { request, response, tampered, notification, keys });
  assert.equal(out.crypto, 'webcrypto');
  assert.equal(out.authorization, request.expect.authorization);
  assert.deepEqual(out.data, response.expect.ok.data);
  assert.deepEqual(out.rejected, { name: 'SignatureError', isWxpay: true });
  assert.match(out.userAgent, /^wxpay-terminate\/[\d.]+ \(browser\)$/);
  assert.deepEqual(out.event, notification.expect.ok);
  assert.deepEqual(out.reply, { status: 200, body: { code: 'SUCCESS', message: '成功' } });
  for (const p of out.panics) {
    assert.deepEqual({ ...p, message: undefined }, { name: 'InternalError', kind: 'internal', isWxpay: true, base: true, message: undefined });
    assert.match(p.message, /please report this as a bug\. The module was re-instantiated/);
  }
  assert.equal(out.panics.length, 3);
  assert.equal(out.authorizationAfter, request.expect.authorization);
  assert.deepEqual(out.dataAfter, response.expect.ok.data);
});
