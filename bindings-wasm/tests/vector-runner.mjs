// Runs every file of tests/vectors/cases against a loaded `wxpay-terminate` module, with one
// crypto path ('webcrypto' or 'wasm'). Shared by the ESM and CommonJS suites.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = process.env.WXPAY_REPO_ROOT ?? new URL('../..', import.meta.url).pathname;
export const VECTORS = join(ROOT, 'tests', 'vectors');
const KEYS = join(VECTORS, 'keys');
const CLIENTS = JSON.parse(readFileSync(join(VECTORS, 'clients.json'), 'utf8'));

export function caseFiles() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) out.push(path);
    }
  };
  walk(join(VECTORS, 'cases'));
  return out.sort();
}

export function loadCases() {
  return caseFiles().map((path) => ({ name: relative(join(VECTORS, 'cases'), path).replace(/\.json$/, ''), json: JSON.parse(readFileSync(path, 'utf8')) }));
}

const key = (name) => readFileSync(join(KEYS, name), 'utf8');
const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

export function options(config, crypto) {
  const o = { mchid: config.mchid ?? '', serialNo: config.serial_no ?? '', crypto };
  if (config.private_key) o.privateKey = key(config.private_key);
  else if ('private_key_text' in config) o.privateKey = config.private_key_text;
  if (config.wechatpay_public_key_id) o.wechatpayPublicKeyId = config.wechatpay_public_key_id;
  if (config.wechatpay_public_key) o.wechatpayPublicKey = key(config.wechatpay_public_key);
  o.platformCertificates = (config.platform_certificates ?? []).map(key);
  if (config.base_url) o.baseUrl = config.base_url;
  if (config.global_base_url) o.globalBaseUrl = config.global_base_url;
  return o;
}

export function makeRunner(wt, crypto) {
  const clients = new Map();
  const client = async (name) => {
    if (!clients.has(name)) clients.set(name, await wt.Client.create(options(CLIENTS[name], crypto)));
    return clients.get(name);
  };

  function checkError(e, want) {
    assert.ok(wt.isWxpayError(e), `not a WxpayError: ${e}`);
    assert.ok(e instanceof wt.WxpayError && e instanceof Error);
    assert.equal(e.constructor, wt.ERROR_CLASSES[want.kind], `${e.name}: ${e.message}`);
    assert.equal(e.kind, want.kind);
    if ('field' in want) assert.equal(e.field, want.field);
    for (const [attr, jsAttr] of [['status', 'status'], ['code', 'code'], ['request_id', 'requestId'], ['retryable', 'retryable'], ['message', 'apiMessage']]) {
      if (attr in want) assert.deepEqual(e[jsAttr], want[attr], attr);
    }
    if ('detail' in want) assert.deepEqual(e.detail, want.detail);
    assert.ok(!String(e.message).includes('MII') && !String(e.message).includes('KEY-----'));
  }

  function build(target, c) {
    const opts = { timestamp: c.timestamp, nonce: c.nonce };
    if (c.operation) {
      return wt.OPERATIONS.includes(c.operation) ? target[camel(c.operation)](c.params, opts) : target.prepare(c.operation, c.params, opts);
    }
    return target.request(c.method, c.template, { pathParams: c.path_params, query: c.query, json: c.json, ...opts });
  }

  const runners = {
    async signing(c) {
      let message;
      if ('message' in c) {
        message = new TextEncoder().encode(c.message);
      } else {
        const signer = await wt.Client.create(options({ ...CLIENTS.doc_pubkey, private_key: c.key }, crypto));
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
    async request_error(c) {
      const cl = await client(c.client);
      await assert.rejects(async () => build(cl, c), (e) => (checkError(e, c.expect.error), true));
    },
    async client_error(c) {
      await assert.rejects(() => wt.Client.create(options(c.config, crypto)), (e) => (checkError(e, c.expect.error), true));
    },
    async response(c) {
      const cl = await client(c.client);
      const r = c.response;
      const body = 'body' in r ? new TextEncoder().encode(r.body) : Uint8Array.from(atob(r.body_base64), (ch) => ch.charCodeAt(0));
      const response = { status: r.status, headers: r.headers, body };
      if (c.expect.ok) {
        const parsed = await cl.parse(c.operation, response, { now: c.now });
        assert.deepEqual({ ...parsed }, { status: c.expect.ok.status, requestId: c.expect.ok.request_id, data: c.expect.ok.data });
      } else {
        await assert.rejects(() => cl.parse(c.operation, response, { now: c.now }), (e) => {
          checkError(e, c.expect.error);
          const signature = r.headers.find(([n]) => n.toLowerCase() === 'wechatpay-signature')?.[1] ?? '';
          if (signature.length > 8) assert.ok(!e.message.includes(signature));
          return true;
        });
      }
    },
  };
  runners.request_generic = runners.request;
  return runners;
}

/** Registers one node:test per vector file, plus the no-skip check. */
export function registerVectorTests(test, wt, crypto) {
  const cases = loadCases();
  const runners = makeRunner(wt, crypto);
  test(`[${crypto}] every vector file has a runner`, () => {
    assert.ok(cases.length >= 100);
    assert.equal(cases.length, caseFiles().length);
    const unknown = [...new Set(cases.map((c) => c.json.type))].filter((t) => !(t in runners));
    assert.deepEqual(unknown, []);
  });
  for (const { name, json } of cases) {
    test(`[${crypto}] ${name}`, async () => {
      const run = runners[json.type];
      assert.ok(run, `no JS runner for ${json.type}`);
      await run(json);
    });
  }
}
