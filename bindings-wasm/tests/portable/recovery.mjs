// A panic inside the core, through the core's test hook (`client._panicForTest()`, not API). On
// wasm32 the build is panic=abort, so the panic is a trap that leaves the WASM instance as it
// stopped; the package must throw its InternalError and recover: a fresh instance, and the same
// JS objects (Client with its certificate updates, UnsignedRequest, Termination) working on.
// Plain async functions over the vector data (see vectors.mjs), so Node, Deno, Bun and workerd
// run the same cases: `[{name, fn}]` for runCases (portable/e2e.mjs) or node:test.
import assert from 'node:assert/strict';
import { assertNoKeys, assertNoSecrets, errorTexts, options, secretsOf } from './vectors.mjs';

const bytes = (text) => new TextEncoder().encode(text);
const json = (value) => JSON.parse(JSON.stringify(value));

export function recoveryCases(wt, crypto, data) {
  const vector = (name) => {
    const found = data.cases.find((c) => c.name === name);
    assert.ok(found, `no vector ${name}`);
    return found.json;
  };
  const create = (client) => wt.Client.create(options(data.clients[client], crypto, data.keys));
  const REQUEST = 'request/papay_v1_timestamp_doc_pubkey';
  const RESPONSE = 'response/password_exempt_200_pubkey';
  const TAMPERED = 'response/tampered_body';
  const NOTIFICATION = 'notification/entrust_terminate_partner_pubkey';

  /** The hook throws InternalError: a WxpayError of kind internal, saying it is a bug, leaking nothing. */
  function panics(client) {
    assert.throws(() => client._panicForTest(), (e) => {
      assert.ok(e instanceof wt.InternalError, `${e && e.name}: ${e && e.message}`);
      assert.equal(e.constructor, wt.ERROR_CLASSES.internal);
      assert.ok(e instanceof wt.WxpayError && e instanceof Error);
      assert.equal(wt.isWxpayError(e), true);
      assert.equal(e.kind, 'internal');
      assert.equal(e.name, 'InternalError');
      assert.match(e.message, /please report this as a bug/);
      assert.match(e.message, /re-instantiated/);
      for (const key of ['field', 'status', 'code', 'requestId', 'retryable']) assert.ok(key in e, key);
      assertNoSecrets(errorTexts(e), secretsOf({}, data), 'the InternalError');
      return true;
    });
  }

  /** A signed request exactly as the vector expects it. */
  function sameAsVector(req, c) {
    const want = c.expect.request;
    assert.equal(req.method, want.method);
    assert.equal(req.url, want.url);
    const lower = Object.fromEntries(Object.entries(req.headers).map(([n, v]) => [n.toLowerCase(), v]));
    for (const [name, value] of Object.entries(want.headers)) assert.equal(lower[name.toLowerCase()], value, name);
    for (const name of want.absent_headers) assert.equal(lower[name.toLowerCase()], undefined, name);
    assert.ok(lower['user-agent'].startsWith(want.user_agent_prefix));
    assert.equal(req.body === undefined ? null : new TextDecoder().decode(req.body), want.body);
    assert.equal(req.headers.Authorization, c.expect.authorization);
  }

  const signs = async (client) => {
    const c = vector(REQUEST);
    sameAsVector(await client.prepare(c.operation, c.params, { timestamp: c.timestamp, nonce: c.nonce }), c);
  };
  const verifies = async (client, name = RESPONSE) => {
    const c = vector(name);
    const parsed = await client.parse(c.operation, { status: c.response.status, headers: c.response.headers, body: bytes(c.response.body) }, { now: c.now });
    assert.deepEqual(json(parsed), { status: c.expect.ok.status, requestId: c.expect.ok.request_id, data: c.expect.ok.data });
  };
  const rejectsTampered = async (client) => {
    const c = vector(TAMPERED);
    await assert.rejects(client.parse(c.operation, { status: c.response.status, headers: c.response.headers, body: bytes(c.response.body) }, { now: c.now }), (e) => e instanceof wt.ERROR_CLASSES[c.expect.error.kind]);
  };
  const readsNotification = async (client) => {
    const c = vector(NOTIFICATION);
    assert.deepEqual(json(await client.parseNotification(c.notification.headers, bytes(c.notification.body), { now: c.now })), c.expect.ok);
  };

  const cases = [];
  const add = (name, fn) => cases.push({ name: `[${crypto}] ${name}`, fn });

  add('a panic in the core is an InternalError every time, and the same client still signs and verifies', async () => {
    const client = await create('doc_pubkey');
    await signs(client);
    for (let i = 0; i < 3; i++) panics(client);
    assert.equal(client.crypto, crypto);
    await signs(client);
    await verifies(client);
    await rejectsTampered(client);
    // The APIv3 key came back with the rebuilt client: notifications still decrypt.
    await readsNotification(client);
    assertNoKeys(client, data, 'the recovered client');
    // A second client, made before the panics, also works on.
    const other = await create('doc_pubkey');
    panics(client);
    await signs(other);
    await verifies(other);
  });

  add('a request prepared before a recovery is signed after it, unchanged', async () => {
    const c = vector(REQUEST);
    const client = await create('doc_pubkey');
    // Host crypto signs asynchronously: the recovery lands while the signature is computed.
    const pending = client.prepare(c.operation, c.params, { timestamp: c.timestamp, nonce: c.nonce });
    panics(client);
    sameAsVector(await pending, c);
    // Two-phase: built before, completed after (the request is built again, same bytes).
    const unsigned = client.unsigned.prepare(c.operation, c.params, { timestamp: c.timestamp, nonce: c.nonce });
    panics(client);
    assert.equal(new TextDecoder().decode(unsigned.stringToSign), c.expect.string_to_sign);
    sameAsVector(unsigned.complete(c.expect.signature), c);
  });

  add('platform certificates added by updateCertificates survive a recovery', async () => {
    // doc_pubkey trusts only the public key; the download gives it certificates C and A.
    const download = vector('certificates/new_cert_signed_by_itself_pubkey_client');
    const signedByA = vector('response/papay_200_cert_a');
    const client = await create('doc_pubkey');
    const serial = signedByA.response.headers.find(([n]) => n.toLowerCase() === 'wechatpay-serial')[1];
    await assert.rejects(verifies(client, 'response/papay_200_cert_a'), (e) => e instanceof wt.UnknownSerialError);
    const r = download.response;
    const set = await client.parseCertificates({ status: r.status, headers: r.headers, body: bytes(r.body) }, { now: download.now });
    client.updateCertificates(set, { now: download.now });
    const held = json(client.certificates);
    assert.ok(new Map(held).has(serial));
    panics(client);
    panics(client);
    assert.deepEqual(json(client.certificates), held);
    assert.ok(client.verificationSerials.includes(serial));
    await verifies(client, 'response/papay_200_cert_a');
    await verifies(client);
  });

  add('a Termination is restored from its journal: the request in flight counts as lost', async () => {
    const c = vector(REQUEST);
    const client = await create('doc_pubkey');
    const machine = new wt.Termination(c.operation, c.params);
    const first = await machine.next(client, { nowMs: 1_700_000_000_000 });
    assert.equal(first.type, 'send');
    assert.equal(first.purpose, 'terminate');
    assert.equal(machine.inFlight, 'terminate');
    panics(client);
    assert.equal(machine.inFlight, null);
    assert.equal(machine.outcome, null);
    // The answer to the lost request changes nothing; the machine asks the query first.
    await machine.onResponse(client, { status: 500, headers: [], body: bytes('{"code":"SYSTEM_ERROR","message":"x"}') }, { nowMs: 1_700_000_000_500 });
    const next = await machine.next(client, { nowMs: 1_700_000_001_000 });
    assert.equal(next.type, 'send');
    assert.equal(next.purpose, 'query');
    assert.ok(next.request.headers.Authorization.startsWith('WECHATPAY2-SHA256-RSA2048 '));
    assert.equal(machine.inFlight, 'query');
  });

  return cases;
}
