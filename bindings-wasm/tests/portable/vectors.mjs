// The vector cases as plain async functions over a loaded `wxpay-terminate` module and one crypto
// path. Runtime-neutral: the vectors come in as data (`{clients, messages, keys, cases, manifest,
// files}`), so the same code runs in Node (tests/vector-runner.mjs reads them from disk), Deno,
// Bun and workerd (the worker fetches them from its test driver). Needs only node:assert and
// node:util (workerd: nodejs_compat) and WebCrypto's digest.
//
// Every runtime checks what it was given against tests/vectors/manifest.json (the same files,
// each with its SHA-256), runs every case, and fails when it ran fewer than the manifest lists or
// when a case returned before consulting every expectation it has (an early return is a skip).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

/** SHA-256 of text (its UTF-8 bytes, as on disk) as lower-case hex. */
async function sha256(text) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The vector files given (`data.files`: path under tests/vectors → text) against the manifest:
 * one line per file missing, extra or edited, and a count that differs. Empty when they match.
 */
export async function manifestProblems(data) {
  const listed = data.manifest.files;
  const problems = [];
  for (const [name, text] of Object.entries(data.files)) {
    if (!(name in listed)) problems.push(`${name}: on disk but not in manifest.json`);
    else if ((await sha256(text)) !== listed[name]) problems.push(`${name}: edited (its hash differs from manifest.json)`);
  }
  for (const name of Object.keys(listed)) if (!(name in data.files)) problems.push(`${name}: listed in manifest.json but missing`);
  if (data.cases.length !== data.manifest.cases) problems.push(`manifest.json lists ${data.manifest.cases} cases, ${data.cases.length} were loaded`);
  return problems.sort();
}

/**
 * Runs one case with its `expect` watched: every expectation the case has must have been read by
 * the time the runner returns, so a runner that returns early (a skip by another name) fails.
 */
export async function runCase(runners, c, name) {
  const run = runners[c.type];
  assert.ok(run, `no JS runner for ${c.type}`);
  const read = new Set();
  const expect = new Proxy(c.expect, {
    get(target, key, receiver) {
      read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
  await run({ ...c, expect }, name);
  const unread = Object.keys(c.expect).filter((key) => !read.has(key));
  assert.deepEqual(unread, [], `${name} returned without checking its expectation (${unread.join(', ')}): every vector must run in full`);
}

/** Base64 lines (40+ characters) of every PRIVATE KEY file, and every client's APIv3 key. */
function keySecrets(data) {
  const lines = Object.values(data.keys)
    .filter((text) => text.includes('PRIVATE KEY-----'))
    .flatMap((text) => text.split(/\r?\n/))
    .filter((line) => !line.startsWith('-----') && line.length >= 40);
  return [...lines, ...Object.values(data.clients).map((c) => c.apiv3_key).filter(Boolean)];
}

function ciphertexts(value) {
  if (Array.isArray(value)) return value.flatMap(ciphertexts);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === 'ciphertext' && typeof v === 'string' ? [v] : ciphertexts(v)));
  }
  return [];
}

/**
 * What no error text may contain for one case (tests/vectors/README.md, "Secrets"): key
 * material, APIv3 keys, the case's Wechatpay-Signature, its body and any ciphertext in it.
 */
export function secretsOf(c, data) {
  const secrets = keySecrets(data);
  for (const kind of ['response', 'notification']) {
    const message = c[kind] ?? {};
    for (const [n, v] of message.headers ?? []) if (n.toLowerCase() === 'wechatpay-signature' && v.length > 8) secrets.push(v);
    if (typeof message.body === 'string' && message.body.length > 16) {
      secrets.push(message.body);
      try {
        secrets.push(...ciphertexts(JSON.parse(message.body)).filter((x) => x.length > 16));
      } catch {
        // not JSON: the body itself is the secret
      }
    }
  }
  return secrets;
}

/** Every way an error is shown: message, String(e), the stack's first line, JSON (its record fields), util.inspect. */
export function errorTexts(e) {
  return {
    message: String(e.message),
    string: String(e),
    stack: String(e.stack ?? '').split('\n')[0],
    json: JSON.stringify(e),
    record: JSON.stringify({ ...e, message: e.message }),
    inspect: inspect(e, { depth: Infinity }),
  };
}

/** Fails when any of `texts` (name → text) holds any of `secrets`, naming where (never printing the secret). */
export function assertNoSecrets(texts, secrets, what) {
  const leaks = [];
  for (const [where, text] of Object.entries(texts)) {
    secrets.forEach((secret, i) => {
      if (text.includes(secret)) leaks.push(`${where} holds secret #${i} (${secret.length} characters)`);
    });
  }
  assert.deepEqual(leaks, [], `${what} leaks a secret`);
}

/** util.inspect and JSON.stringify of a client, a request or an unsigned request hold no key. */
export function assertNoKeys(value, data, what) {
  assertNoSecrets({ inspect: inspect(value, { depth: Infinity, showHidden: true }), json: JSON.stringify(value) ?? '' }, keySecrets(data), what);
}

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
    if (!clients.has(name)) {
      const made = await wt.Client.create(options_(CLIENTS[name], crypto));
      assertNoKeys(made, data, `client ${name}`);
      clients.set(name, made);
    }
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
    const texts = errorTexts(e);
    for (const [where, text] of Object.entries(texts)) assert.ok(!text.includes('MII') && !text.includes('KEY-----'), `${where} of ${name} shows key material`);
    assertNoSecrets(texts, secretsOf(c, data), `the error of ${name}`);
  }

  function build(target, c) {
    const opts = { timestamp: c.timestamp, nonce: c.nonce };
    if (c.type === 'certificates_request') return target.certificatesRequest(c.host, opts);
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
      assertNoKeys(req, data, `the request of ${c.description ?? c.operation}`);
      // Two-phase signing with the oracle's signature gives the same descriptor.
      const unsigned = build(cl.unsigned, c);
      assertNoKeys(unsigned, data, `the unsigned request of ${c.description ?? c.operation}`);
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
        await assert.rejects(() => cl.parse(c.operation, response, { now: c.now }), (e) => (checkError(e, c, name), true));
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
          await assert.rejects(call, (e) => (checkError(e, c, name), true));
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
      await assert.rejects(() => cl.parseCertificates(response, { now: c.now }), (e) => (checkError(e, c, name), true));
    }
  };
  return runners;
}


/** The name of the result that says a path ran every case the manifest lists. */
export const RAN_ALL = 'ran every case tests/vectors/manifest.json lists';

/**
 * Every case on one crypto path: `[{name, ok, error}]`, never throwing. Besides one result per
 * case: the manifest check and `[crypto] ${RAN_ALL}`, which fails when fewer cases ran.
 */
export async function runVectors(wt, crypto, data) {
  const runners = makeRunner(wt, crypto, data);
  const results = [];
  const unknown = [...new Set(data.cases.map((c) => c.json.type))].filter((type) => !(type in runners));
  results.push({ name: `[${crypto}] every vector type has a runner`, ok: unknown.length === 0 && data.cases.length >= 100, error: unknown.length ? `no runner for ${unknown}` : null });
  const problems = await manifestProblems(data);
  results.push({ name: `[${crypto}] the vector files match tests/vectors/manifest.json`, ok: problems.length === 0, error: problems.join('\n') || null });
  let ran = 0;
  for (const { name, json: c } of data.cases) {
    ran += 1;
    try {
      await runCase(runners, c, name);
      results.push({ name: `[${crypto}] ${name}`, ok: true, error: null });
    } catch (e) {
      results.push({ name: `[${crypto}] ${name}`, ok: false, error: String(e && e.stack ? e.stack : e).slice(0, 2000) });
    }
  }
  const listed = data.manifest.cases;
  results.push({ name: `[${crypto}] ${RAN_ALL}`, ok: ran === listed, error: ran === listed ? null : `ran ${ran} of the ${listed} cases tests/vectors/manifest.json lists` });
  return results;
}
