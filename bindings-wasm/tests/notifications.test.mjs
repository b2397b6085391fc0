// Notifications: both call shapes on every crypto path, the replies, and the mistakes a
// notify_url handler makes (decoded text, parsed JSON, no APIv3 key).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as wt from 'wxpay-terminate';
import { VECTORS, options } from './vector-runner.mjs';

const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));
const MESSAGES = JSON.parse(readFileSync(join(VECTORS, 'messages.json'), 'utf8'));
const vector = (name) => JSON.parse(readFileSync(join(VECTORS, 'cases/notification', `${name}.json`), 'utf8'));
const OK = vector('entrust_terminate_partner_pubkey');
const body = (c) => new TextEncoder().encode(c.notification.body);
const json = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

test('notificationAck: 200, JSON content type, SUCCESS body; toResponse gives a fetch Response', async () => {
  const client = await wt.Client.create(options(CLIENTS.doc_pubkey, 'wasm'));
  for (const reply of [wt.notificationAck(), client.notificationAck()]) {
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.headers, { 'Content-Type': 'application/json' });
    assert.ok(reply.body instanceof Uint8Array);
    assert.deepEqual(json(reply.body), { code: 'SUCCESS', message: '成功' });
    assert.deepEqual(Object.keys(reply), ['status', 'headers', 'body']);
    assert.ok(Object.isFrozen(reply));
    const response = reply.toResponse();
    assert.ok(response instanceof Response);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { code: 'SUCCESS', message: '成功' });
  }
});

test('notificationNack: 500 with FAIL and the message; a bad message is an input error', async () => {
  const reply = wt.notificationNack('验签失败');
  assert.equal(reply.status, 500);
  assert.deepEqual(reply.headers, { 'Content-Type': 'application/json' });
  assert.deepEqual(json(reply.body), { code: 'FAIL', message: '验签失败' });
  assert.equal(reply.toResponse().status, 500);
  for (const bad of ['', 'x'.repeat(65), 'line\nbreak']) {
    assert.throws(() => wt.notificationNack(bad), (e) => e instanceof wt.InvalidInputError && e.field === 'message');
  }
  assert.deepEqual(json(wt.notificationNack('x'.repeat(64)).body).message, 'x'.repeat(64));
});

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  test(`[${crypto}] a notification from a fetch Request, from (headers, bytes), and from Node's req.headers`, async () => {
    const client = await wt.Client.create(options(CLIENTS[OK.client], crypto));
    const now = { now: OK.now };
    const request = new Request('https://merchant.example/notify', { method: 'POST', headers: OK.notification.headers, body: body(OK) });
    const nodeHeaders = Object.fromEntries(OK.notification.headers.map(([n, v]) => [n.toLowerCase(), v]));
    const results = [
      await client.parseNotification(request, now),
      await client.parseNotification(OK.notification.headers, body(OK), now),
      await client.parseNotification(new Headers(OK.notification.headers), body(OK).buffer, now),
      await client.parseNotification(nodeHeaders, Buffer.from(body(OK)), now),
    ];
    for (const n of results) {
      assert.deepEqual(JSON.parse(JSON.stringify(n)), OK.expect.ok);
      assert.ok(wt.isEvent(n, 'ENTRUST.TERMINATE'));
      assert.equal(wt.isEvent(n, 'WEBIZPAY.REVOKED'), false);
    }
  });

  test(`[${crypto}] text, parsed JSON or no body are refused: the signature covers the exact bytes`, async () => {
    const client = await wt.Client.create(options(CLIENTS[OK.client], crypto));
    await assert.rejects(client.parseNotification(OK.notification.headers, OK.notification.body, { now: OK.now }), (e) => {
      assert.ok(e instanceof wt.InvalidInputError);
      assert.equal(e.field, 'body');
      assert.match(e.message, /exact bytes/);
      assert.match(e.message, /not text/);
      return true;
    });
    await assert.rejects(client.parseNotification(OK.notification.headers, JSON.parse(OK.notification.body), { now: OK.now }), (e) => e instanceof wt.InvalidInputError && e.field === 'body' && /exact bytes/.test(e.message));
    await assert.rejects(client.parseNotification(OK.notification.headers), (e) => e instanceof wt.InvalidInputError && e.field === 'body');
  });

  test(`[${crypto}] without apiv3Key a notification is an InvalidKeyError naming apiv3Key`, async () => {
    const { apiv3Key, ...rest } = options(CLIENTS[OK.client], crypto);
    assert.ok(apiv3Key);
    const client = await wt.Client.create(rest);
    await assert.rejects(client.parseNotification(OK.notification.headers, body(OK), { now: OK.now }), (e) => {
      assert.ok(e instanceof wt.InvalidKeyError, String(e));
      assert.equal(e.kind, 'invalid_key');
      assert.equal(e.field, 'apiv3Key');
      assert.match(e.message, /APIv3 key/);
      return true;
    });
  });

  test(`[${crypto}] a wrong APIv3 key is a DecryptionError with the core's message`, async () => {
    const c = vector('wrong_apiv3_key');
    const client = await wt.Client.create(options(CLIENTS[c.client], crypto));
    await assert.rejects(client.parseNotification(c.notification.headers, body(c), { now: c.now }), (e) => {
      assert.ok(e instanceof wt.DecryptionError);
      assert.equal(e.message, MESSAGES['notification/wrong_apiv3_key']);
      return true;
    });
  });
}

test('a notify_url on node:http: raw bytes in, the reply out (what express.raw() hands over)', async () => {
  const client = await wt.Client.create(options(CLIENTS[OK.client], 'auto'));
  const seen = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    let reply;
    try {
      seen.push(await client.parseNotification(req.headers, Buffer.concat(chunks), { now: OK.now }));
      reply = wt.notificationAck();
    } catch (e) {
      reply = wt.notificationNack(e.kind ?? 'error');
    }
    res.writeHead(reply.status, reply.headers).end(reply.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}/notify`;
    const good = await fetch(url, { method: 'POST', headers: OK.notification.headers, body: body(OK) });
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), { code: 'SUCCESS', message: '成功' });
    const tampered = body(OK);
    tampered[tampered.length - 3] ^= 1;
    const bad = await fetch(url, { method: 'POST', headers: OK.notification.headers, body: tampered });
    assert.equal(bad.status, 500);
    assert.equal((await bad.json()).code, 'FAIL');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].id, OK.expect.ok.id);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a fetch-style handler: (request) => Response', async () => {
  const client = await wt.Client.create(options(CLIENTS[OK.client], 'webcrypto'));
  const handler = async (request) => {
    try {
      const notification = await client.parseNotification(request, { now: OK.now });
      assert.equal(notification.event_type, 'ENTRUST.TERMINATE');
      return wt.notificationAck().toResponse();
    } catch {
      return wt.notificationNack('verification failed').toResponse();
    }
  };
  const ok = await handler(new Request('https://m.example/notify', { method: 'POST', headers: OK.notification.headers, body: body(OK) }));
  assert.equal(ok.status, 200);
  const unsigned = await handler(new Request('https://m.example/notify', { method: 'POST', body: body(OK) }));
  assert.equal(unsigned.status, 500);
});
