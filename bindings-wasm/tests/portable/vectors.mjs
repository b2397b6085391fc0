// The vector cases as plain async functions over a loaded `wxpay-terminate` module and one crypto
// path. Runtime-neutral: the vectors come in as data (`{clients, messages, keys, cases}`), so the
// same code runs in Node (tests/vector-runner.mjs reads them from disk), Deno, Bun and workerd
// (the worker fetches them from its test driver). Needs only node:assert (workerd: nodejs_compat).
import assert from 'node:assert/strict';

const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const KEY_FILES = new Set(['private_key', 'wechatpay_public_key', 'platform_certificates']);

/** A clients.json-style config with its key files read, still snake_case (null = not given). */
export function readConfig(config, keys) {
  const key = (name) => {
    if (!(name in keys)) throw new Error(`no key file ${name}`);
    return keys[name];
  };
  const out = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === null || value === undefined) continue;
    if (name === 'private_key_text') out.private_key = value;
    else if (KEY_FILES.has(name)) out[name] = Array.isArray(value) ? value.map(key) : key(value);
    else out[name] = value;
  }
  return out;
}

/** The same config as `Client.create` options: every key camelCased, one rule. */
export function options(config, crypto, keys) {
  const o = { crypto };
  for (const [name, value] of Object.entries(readConfig(config, keys))) o[camel(name)] = value;
  return o;
}

export function makeRunner(wt, crypto, data) {
  const CLIENTS = data.clients;
  const MESSAGES = data.messages;
  const key = (name) => data.keys[name];
  const options_ = (config, c) => options(config, c, data.keys);
const bytes = (part) => ('body' in part ? new TextEncoder().encode(part.body) : Uint8Array.from(atob(part.body_base64), (ch) => ch.charCodeAt(0)));
const json = (value) => JSON.parse(JSON.stringify(value));

  const clients = new Map();
  const client = async (name) => {
    if (!clients.has(name)) clients.set(name, await wt.Client.create(options_(CLIENTS[name], crypto)));
    return clients.get(name);
  };

  /** The error a case expects, with the core's own message for it (every error vector). */
  function checkError(e, c, name) {
    const want = c.expect.error;
    assert.ok(wt.isWxpayError(e), `not a WxpayError: ${e}`);
    assert.ok(e instanceof wt.WxpayError && e instanceof Error);
    assert.equal(e.constructor, wt.ERROR_CLASSES[want.kind], `${e.name}: ${e.message}`);
    assert.equal(e.kind, want.kind);
    assert.ok(name in MESSAGES, `messages.json has no message for ${name}`);
    assert.equal(e.message, MESSAGES[name], 'err.message is the core message');
    if ('field' in want) assert.equal(e.field, want.field);
    for (const [attr, jsAttr] of [['status', 'status'], ['code', 'code'], ['request_id', 'requestId'], ['retryable', 'retryable'], ['message', 'apiMessage']]) {
      if (attr in want) assert.deepEqual(e[jsAttr], want[attr], attr);
    }
    if ('detail' in want) assert.deepEqual(e.detail, want.detail);
    assert.ok(!String(e.message).includes('MII') && !String(e.message).includes('KEY-----'));
  }

  function build(target, c) {
    const opts = { timestamp: c.timestamp, nonce: c.nonce };
    if (c.type === 'certificates_request') return target.certificatesRequest(c.host, opts);
    if (c.operation) {
      return wt.OPERATIONS.includes(c.operation) ? target[camel(c.operation)](c.params, opts) : target.prepare(c.operation, c.params, opts);
    }
    return target.request(c.method, c.template, { pathParams: c.path_params, query: c.query, json: c.json, ...opts });
  }

  /** Signature headers must never be echoed in a message. */
  function noSignatureIn(e, headers) {
    const signature = headers.find(([n]) => n.toLowerCase() === 'wechatpay-signature')?.[1] ?? '';
    if (signature.length > 8) assert.ok(!e.message.includes(signature));
  }

  const runners = {
    async signing(c) {
      let message;
      if ('message' in c) {
        message = new TextEncoder().encode(c.message);
      } else {
        const signer = await wt.Client.create(options_({ ...CLIENTS.doc_pubkey, private_key: c.key }, crypto));
        const unsigned = signer.unsigned.request(c.method, c.canonical_url, { json: c.body ? JSON.parse(c.body) : undefined, timestamp: c.timestamp, nonce: c.nonce });
        message = unsigned.stringToSign;
        assert.equal(new TextDecoder().decode(message), c.expect.string_to_sign);
      }
      assert.equal(wt.signMessage(key(c.key), message), c.expect.signature);
    },
    async request(c) {
      const cl = await client(c.client);
      const want = c.expect.request;
      const req = await build(cl, c);
      assert.equal(req.method, want.method);
      assert.equal(req.url, want.url);
      const lower = Object.fromEntries(Object.entries(req.headers).map(([n, v]) => [n.toLowerCase(), v]));
      for (const [name, value] of Object.entries(want.headers)) assert.equal(lower[name.toLowerCase()], value, name);
      for (const name of want.absent_headers) assert.equal(lower[name.toLowerCase()], undefined, name);
      assert.ok(lower['user-agent'].startsWith(want.user_agent_prefix));
      assert.deepEqual(new Set(Object.keys(lower)), new Set([...Object.keys(want.headers).map((n) => n.toLowerCase()), 'user-agent']));
      assert.equal(req.body === undefined ? null : new TextDecoder().decode(req.body), want.body);
      assert.equal(req.headers.Authorization, c.expect.authorization);
      // Two-phase signing with the oracle's signature gives the same descriptor.
      const unsigned = build(cl.unsigned, c);
      assert.equal(new TextDecoder().decode(unsigned.stringToSign), c.expect.string_to_sign);
      assert.deepEqual(unsigned.complete(c.expect.signature), req);
      assert.deepEqual(unsigned.complete(Uint8Array.from(atob(c.expect.signature), (ch) => ch.charCodeAt(0))), req);
    },
    async request_error(c, name) {
      const cl = await client(c.client);
      await assert.rejects(async () => build(cl, c), (e) => (checkError(e, c, name), true));
    },
    async client_error(c, name) {
      await assert.rejects(() => wt.Client.create(options_(c.config, crypto)), (e) => (checkError(e, c, name), true));
    },
    async response(c, name) {
      const cl = await client(c.client);
      const r = c.response;
      const response = { status: r.status, headers: r.headers, body: bytes(r) };
      if (c.expect.ok) {
        const parsed = await cl.parse(c.operation, response, { now: c.now });
        assert.deepEqual(json(parsed), { status: c.expect.ok.status, requestId: c.expect.ok.request_id, data: c.expect.ok.data });
      } else {
        await assert.rejects(() => cl.parse(c.operation, response, { now: c.now }), (e) => (checkError(e, c, name), noSignatureIn(e, r.headers), true));
      }
    },
    async notification(c, name) {
      const cl = await client(c.client);
      const n = c.notification;
      const body = bytes(n);
      // Both call shapes: (headers, raw body bytes) and a fetch Request, when its Headers can
      // carry the pairs unchanged (no name twice).
      const names = n.headers.map(([header]) => header.toLowerCase());
      const calls = [() => cl.parseNotification(n.headers, body, { now: c.now })];
      if (new Set(names).size === names.length) {
        calls.push(() => cl.parseNotification(new Request('https://merchant.example/notify', { method: 'POST', headers: n.headers, body }), { now: c.now }));
      }
      for (const call of calls) {
        if (c.expect.ok) {
          assert.deepEqual(json(await call()), c.expect.ok);
        } else {
          await assert.rejects(call, (e) => (checkError(e, c, name), noSignatureIn(e, n.headers), true));
        }
      }
    },
  };
  runners.request_generic = runners.request;
  runners.certificates_request = runners.request;
  runners.certificates = async (c, name) => {
    // A fresh client per case: updating the certificates changes it.
    const cl = await wt.Client.create(options_(CLIENTS[c.client], crypto));
    const r = c.response;
    const response = { status: r.status, headers: r.headers, body: bytes(r) };
    if (c.expect.ok) {
      const set = await cl.parseCertificates(response, { now: c.now });
      assert.deepEqual(json(set), c.expect.ok);
      if (set.certificates.length > 0) {
        cl.updateCertificates(set, { now: c.now });
        const held = new Map(cl.certificates);
        for (const cert of set.certificates) assert.equal(held.get(cert.serial_no), cert.not_after, cert.serial_no);
      }
    } else {
      await assert.rejects(() => cl.parseCertificates(response, { now: c.now }), (e) => (checkError(e, c, name), noSignatureIn(e, r.headers), true));
    }
  };
  return runners;
}


/** Every case on one crypto path: `[{name, ok, error}]`, never throwing. */
export async function runVectors(wt, crypto, data) {
  const runners = makeRunner(wt, crypto, data);
  const results = [];
  const unknown = [...new Set(data.cases.map((c) => c.json.type))].filter((type) => !(type in runners));
  results.push({ name: `[${crypto}] every vector type has a runner`, ok: unknown.length === 0 && data.cases.length >= 100, error: unknown.length ? `no runner for ${unknown}` : null });
  for (const { name, json: c } of data.cases) {
    try {
      await runners[c.type](c, name);
      results.push({ name: `[${crypto}] ${name}`, ok: true, error: null });
    } catch (e) {
      results.push({ name: `[${crypto}] ${name}`, ok: false, error: String(e && e.stack ? e.stack : e).slice(0, 2000) });
    }
  }
  return results;
}
