// No panic crosses the boundary: a panic in the core (a trap on wasm32, panic=abort) is an
// InternalError and the instance is replaced, on node:crypto, WebCrypto and WASM; Deno, Bun and
// workerd run the same cases (portable/recovery.mjs), the CommonJS build in recovery.test.cjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as wt from 'wxpay-terminate';
import { loadData } from './vector-runner.mjs';
import { recoveryCases } from './portable/recovery.mjs';
import { options } from './portable/vectors.mjs';

const data = loadData();
const vector = (name) => data.cases.find((c) => c.name === name).json;
const bytes = (text) => new TextEncoder().encode(text);

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  for (const { name, fn } of recoveryCases(wt, crypto, data)) test(name, fn);
}

test('[webcrypto] a recovery while WebCrypto verifies or signs: the call finishes on the rebuilt client', async (t) => {
  const client = await wt.Client.create(options(data.clients.doc_pubkey, 'webcrypto', data.keys));
  const { subtle } = globalThis.crypto;
  // The panic lands between the core's begin (pending verification) and finish, and between
  // the build of a request and its completion with the host's signature.
  let panicked = 0;
  for (const method of ['verify', 'sign']) {
    const real = subtle[method];
    t.mock.method(subtle, method, (...args) => {
      assert.throws(() => client._panicForTest(), wt.InternalError);
      panicked += 1;
      return real.apply(subtle, args);
    });
  }
  const response = vector('response/password_exempt_200_pubkey');
  const parsed = await client.parse(response.operation, { status: response.response.status, headers: response.response.headers, body: bytes(response.response.body) }, { now: response.now });
  assert.deepEqual(JSON.parse(JSON.stringify(parsed.data)), response.expect.ok.data);
  const notification = vector('notification/entrust_terminate_partner_pubkey');
  const event = await client.parseNotification(notification.notification.headers, bytes(notification.notification.body), { now: notification.now });
  assert.deepEqual(JSON.parse(JSON.stringify(event)), notification.expect.ok);
  const request = vector('request/papay_v1_timestamp_doc_pubkey');
  const req = await client.prepare(request.operation, request.params, { timestamp: request.timestamp, nonce: request.nonce });
  assert.equal(req.headers.Authorization, request.expect.authorization);
  assert.equal(panicked, 3);
  // The same, now that nothing panics: the client after three recoveries.
  t.mock.restoreAll();
  const tampered = vector('response/tampered_body');
  await assert.rejects(client.parse(tampered.operation, { status: tampered.response.status, headers: tampered.response.headers, body: bytes(tampered.response.body) }, { now: tampered.now }), wt.SignatureError);
});

test('[webcrypto] a recovery while Client.create imports its keys: the new client rebuilds itself', async (t) => {
  const other = await wt.Client.create(options(data.clients.doc_pubkey, 'wasm', data.keys));
  const { subtle } = globalThis.crypto;
  const real = subtle.importKey;
  let panicked = 0;
  t.mock.method(subtle, 'importKey', (...args) => {
    assert.throws(() => other._panicForTest(), wt.InternalError);
    panicked += 1;
    return real.apply(subtle, args);
  });
  const client = await wt.Client.create(options(data.clients.doc_pubkey, 'webcrypto', data.keys));
  t.mock.restoreAll();
  assert.equal(panicked, 2); // the private key, then the public key
  const request = vector('request/papay_v1_timestamp_doc_pubkey');
  const req = await client.prepare(request.operation, request.params, { timestamp: request.timestamp, nonce: request.nonce });
  assert.equal(req.headers.Authorization, request.expect.authorization);
  const response = vector('response/password_exempt_200_pubkey');
  const parsed = await client.parse(response.operation, { status: response.response.status, headers: response.response.headers, body: bytes(response.response.body) }, { now: response.now });
  assert.deepEqual(JSON.parse(JSON.stringify(parsed.data)), response.expect.ok.data);
});

test('the trapped instance is replaced, not reused: an object of the old one is stale afterwards', async () => {
  // The glue module the ESM entry initialised (js/node.mjs imports this very file).
  const dir = dirname(createRequire(import.meta.url).resolve('wxpay-terminate/package.json'));
  const glue = await import(pathToFileURL(join(dir, 'pkg/wxpay_terminate_wasm.js')).href);
  const client = await wt.Client.create(options(data.clients.doc_pubkey, 'wasm', data.keys));
  const machine = new glue.NativeTermination('terminate_papay_contract', JSON.stringify({ plan_id: 12535, out_contract_code: 'x', contract_termination_remark: 'r' }), 'null', undefined);
  assert.equal(machine.operation, 'terminate_papay_contract');
  assert.throws(() => client._panicForTest(), wt.InternalError);
  assert.throws(() => machine.operation, /stale object from previous Wasm instance/);
});

test('the test hook is not API: index.d.ts does not declare it', () => {
  const dir = dirname(createRequire(import.meta.url).resolve('wxpay-terminate/package.json'));
  assert.equal(readFileSync(join(dir, 'index.d.ts'), 'utf8').includes('panicForTest'), false);
});
