// The wxpay-terminate client, independent of how the WASM module was loaded.
// `makeApi(wasm)` receives the initialised wasm-bindgen exports; the entry files
// (node.mjs, browser.mjs, workerd.mjs and the CommonJS build) load it their way.
//
// A trap in the WASM core (a panic is one: the build is panic=abort) leaves the instance as the
// trap found it — borrow flags set, the allocator and stack pointer mid-call — so every wasm call
// goes through `native()`, which turns anything but an error record into an InternalError and
// recovers: wasm-bindgen's glue re-instantiates the module it was initialised with (its
// `schedule_reinit`, whichever entry point loaded it), and each wrapper (Client, UnsignedRequest,
// Termination) rebuilds its native object from what it saved when it next runs.
//
// Everything crosses the bridge as the core's records: options go in as ClientConfig's JSON
// (`coreOptions`), requests come back as RequestRecords (`makeRequest`), errors as ErrorRecords
// (`makeError`), notification replies as NotificationReplies (`makeReply`).

import * as errors from './errors.js';
import { makeConfirm } from './confirm.js';

const { WxpayError, isWxpayError } = errors;
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function subtle() {
  return globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;
}

/** RSA in the host's WebCrypto: the private key becomes a non-extractable CryptoKey. */
const WEBCRYPTO = Object.freeze({
  name: 'webcrypto',
  available: () => subtle() !== null,
  importPrivate: (pkcs8) => subtle().importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign']),
  importPublic: (spki) => subtle().importKey('spki', spki, ALGORITHM, false, ['verify']),
  sign: async (key, data) => new Uint8Array(await subtle().sign(ALGORITHM, key, data)),
  verify: (key, signature, data) => subtle().verify(ALGORITHM, key, signature, data),
});

/** 32 upper-case hex characters from the host's CSPRNG: the nonce of every request. */
export function generateNonce() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** Narrows a notification to one event type (TypeScript cannot narrow past the generic event). */
export function isEvent(notification, eventType) {
  return typeof notification === 'object' && notification !== null && notification.event_type === eventType;
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function isBytes(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function bytesOf(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** The glue's error for an object of an instance since replaced (see `recover`). */
const STALE = 'Invalid stale object from previous Wasm instance';

/** The same object with camelCase keys (records from the core are snake_case). */
function camelKeys(record) {
  const out = {};
  for (const key of Object.keys(record)) out[key.includes('_') ? camel(key) : key] = record[key];
  return out;
}

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** `[{name, value}]` → `{name: value}`, in order. */
function headerObject(list) {
  const headers = {};
  for (const { name, value } of list) headers[name] = value;
  return Object.freeze(headers);
}

/** Any header shape (fetch Headers, Node/Express objects, pairs) → `[name, value]` pairs. */
function headerPairs(headers, fail) {
  if (!headers) return [];
  if (typeof headers.entries === 'function' && typeof headers.get === 'function') return Array.from(headers.entries());
  if (Array.isArray(headers)) return headers.map(([n, v]) => [String(n), String(v)]);
  if (typeof headers === 'object') {
    return Object.entries(headers)
      .filter(([, v]) => v !== undefined && v !== null)
      .flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, String(x)]) : [[n, String(v)]]));
  }
  throw fail('headers', 'headers must be a Headers object, a plain object or [name, value] pairs');
}

const UTF8 = new TextEncoder();
const scratch = new Uint8Array(16384);

/**
 * `text` as UTF-8 for a native call made at once, in the same expression: a view of one shared
 * buffer, overwritten by the next call. The glue copies a string argument character by character
 * (~2 µs for a response's headers); `encodeInto` does it in ~0.1 µs.
 */
function utf8Now(text) {
  const { read, written } = UTF8.encodeInto(text, scratch);
  return read === text.length ? scratch.subarray(0, written) : UTF8.encode(text);
}

/**
 * Header pairs as one string, `name NUL value NUL …`: a single crossing into the core, far
 * cheaper than JSON. HTTP and fetch forbid NUL in names and values, so one is refused here.
 */
function headerText(headers, fail) {
  let text = '';
  for (const [name, value] of headerPairs(headers, fail)) {
    if (name.includes('\0') || value.includes('\0')) throw fail('headers', 'a header name or value cannot contain NUL');
    text += `${name}\0${value}\0`;
  }
  return text;
}

/**
 * An object of API field names → its JSON text for the core (one string across the boundary).
 * A value JSON cannot carry (bytes, a BigInt, a function) is refused here, naming its field;
 * `undefined` goes as null, so the core names a field given without a value.
 */
function paramsJson(params, what, fail) {
  if (params === undefined || params === null) return '{}';
  if (typeof params !== 'object' || Array.isArray(params) || isBytes(params)) throw fail(what, `${what} must be an object of API field names`);
  let copy = null;
  for (const name of Object.keys(params)) {
    const value = params[name];
    const type = typeof value;
    if (value === undefined) (copy ??= { ...params })[name] = null;
    else if (type === 'object' && value !== null && isBytes(value)) throw fail(name, `\`${name}\` must be a string, not bytes`);
    else if (type === 'bigint' || type === 'function' || type === 'symbol') throw fail(name, `\`${name}\` is not representable as JSON`);
  }
  try {
    return JSON.stringify(copy ?? params);
  } catch {
    // A BigInt or a cycle deeper inside a value: name its field.
    const name = Object.keys(params).find((key) => {
      try {
        JSON.stringify(params[key]);
        return false;
      } catch {
        return true;
      }
    });
    throw fail(name ?? what, `\`${name ?? what}\` is not representable as JSON`);
  }
}

/**
 * The client options → ClientConfig's JSON: one camelCase → snake_case rule for every key
 * (`apiv3Key` → `apiv3_key`), bytes as arrays of numbers. The core validates all of it and
 * refuses unknown options; `spell` names a field of its errors as the caller wrote it.
 */
function coreOptions(options, fail, spellOption) {
  const config = {};
  const written = new Map();
  const json = (value) => {
    if (value === undefined) return null;
    if (isBytes(value)) return Array.from(bytesOf(value));
    if (Array.isArray(value)) return value.map(json);
    return value;
  };
  for (const [key, value] of Object.entries(options)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(key)) {
      throw fail(key, `\`${key}\` is not a client option: options are camelCase, e.g. ${camel(key)}`);
    }
    written.set(snake(key), key);
    config[snake(key)] = json(value);
  }
  const spell = (field) => field.replace(/^[a-z0-9_]+/, (name) => written.get(name) ?? spellOption(name));
  return { config, spell };
}

/**
 * `hosts` adds RSA providers by name (node.mjs passes node:crypto as `node`); WebCrypto and the
 * WASM signer are always there. `crypto: 'auto'` picks the first host provider, then WebCrypto.
 */
export function makeApi(wasm, hosts = {}) {
  const providers = { ...hosts, webcrypto: WEBCRYPTO };
  const catalog = JSON.parse(wasm.catalogJson());
  const kinds = Object.freeze(Array.from(wasm.errorKinds()));
  // An error naming a client option names it in camelCase, as the options object spells it
  // (API field names, which parameters use, stay as the API spells them).
  const optionNames = new Set(wasm.optionNames());
  const spellOption = (name) => (optionNames.has(name) ? camel(name) : name);
  const spellField = (field) => field.replace(/^[a-z0-9_]+/, spellOption);

  // The kind → class table, from the core's kinds and each class's `static kind`.
  const classes = Object.values(errors).filter((v) => typeof v === 'function' && v.prototype instanceof WxpayError);
  const errorClasses = Object.freeze(
    Object.fromEntries(kinds.map((kind) => [kind, classes.find((C) => Object.hasOwn(C, 'kind') && C.kind === kind) ?? WxpayError])),
  );

  /** The core's error record → the class of its kind (a newer kind gets WxpayError). */
  function makeError(record, spell = spellField) {
    const { __wxpayError, message, ...rest } = record;
    const fields = camelKeys(rest);
    if (typeof fields.detail === 'string') {
      try {
        fields.detail = JSON.parse(fields.detail);
      } catch {
        // The core sends JSON text; anything else stays as sent.
      }
    }
    if (typeof fields.field === 'string') fields.field = spell(fields.field);
    return new (errorClasses[record.kind] ?? WxpayError)(message, fields);
  }

  // ---- traps: InternalError, and a fresh instance ------------------------------------------

  /**
   * `epoch` counts recoveries: a wrapper whose native object was built in an older epoch
   * rebuilds it before its next call (the old one belongs to the replaced instance).
   */
  const bridge = { epoch: 0 };
  /** The fields of an internal error record, for when the core cannot be asked for one. */
  const { __wxpayError: _mark, message: _message, ...internalFields } = wasm.errorRecord('internal', '', undefined);

  /**
   * Replaces the trapped instance with a fresh one of the same compiled module. `scheduleReinit`
   * only sets the glue's flag (it touches no state of the trapped instance); `errorKinds` takes
   * no arguments, so the glue re-instantiates before anything is copied into memory.
   */
  function recover() {
    bridge.epoch += 1;
    if (typeof wasm.scheduleReinit !== 'function') return false;
    try {
      wasm.scheduleReinit();
      wasm.errorKinds();
      return true;
    } catch {
      return false; // still trapped: the next call into the core tries again
    }
  }

  /** Anything but an error record out of a wasm call: a trap (or a JS error thrown through WASM frames). */
  function crashed(e) {
    const stale = e instanceof Error && e.message === STALE;
    const recovered = stale || recover();
    const what = e instanceof Error ? `${e.name}${e instanceof WebAssembly.RuntimeError ? `: ${e.message}` : ''}` : typeof e;
    const message = stale
      ? 'wxpay-terminate: a call was interrupted by the recovery from an internal failure; retry it'
      : `wxpay-terminate failed inside its WASM core (${what}): please report this as a bug. ${recovered ? 'The module was re-instantiated; clients keep working.' : 'Re-instantiating the module failed; the next call tries again.'}`;
    if (recovered) {
      try {
        return makeError(wasm.errorRecord('internal', message, undefined));
      } catch {
        // the fresh instance failed too: the record is built here
      }
    }
    return new errors.InternalError(message, camelKeys(internalFields));
  }

  /** Runs a native call: error records become WxpayError instances, anything else an InternalError (and recovery). */
  function native(call, spell) {
    try {
      return call();
    } catch (e) {
      if (isWxpayError(e)) throw e;
      if (e && e.__wxpayError === true) throw makeError(e, spell);
      throw crashed(e);
    }
  }

  /** An error this layer finds itself (its field named as the caller wrote it), as complete as the core's. */
  const fail = (field, message, kind = 'invalid_input') => makeError(native(() => wasm.errorRecord(kind, message, field)), (f) => f);

  /** Bytes as given, or an error explaining why decoded text or parsed JSON cannot be verified. */
  function toBytes(body, field) {
    if (body === undefined || body === null) return new Uint8Array(0);
    if (isBytes(body)) return bytesOf(body);
    if (typeof body === 'string') {
      throw fail(field, `pass the raw ${field} bytes (await res.arrayBuffer(), express.raw()), not text: the signature covers the exact bytes, which decoding can change`);
    }
    throw fail(field, `${field} must be the raw bytes (Uint8Array or ArrayBuffer), not a parsed value: the signature covers the exact bytes`);
  }

  /** A RequestRecord → the object `fetch(req.url, req)` takes: the exact signed body bytes. */
  function makeRequest(record) {
    return Object.freeze({
      operation: record.operation ?? null,
      method: record.method,
      url: record.url,
      headers: headerObject(record.headers),
      body: record.body === null || record.body === undefined ? undefined : Uint8Array.from(record.body),
    });
  }

  /** A NotificationReply → `{status, headers, body}` plus `toResponse()` for fetch-style handlers. */
  function makeReply(record) {
    const reply = { status: record.status, headers: headerObject(record.headers), body: Uint8Array.from(record.body) };
    Object.defineProperty(reply, 'toResponse', {
      value: () => {
        if (typeof Response !== 'function') throw fail(null, 'this runtime has no fetch Response: send status, headers and body yourself', 'internal');
        return new Response(reply.body, { status: reply.status, headers: reply.headers });
      },
    });
    return Object.freeze(reply);
  }

  const notificationAck = () => makeReply(native(() => wasm.notificationAck()));
  const notificationNack = (message) => makeReply(native(() => wasm.notificationNack(message)));

  /** A request for a key kept elsewhere: sign `stringToSign`, then `complete(signature)`. */
  class UnsignedRequest {
    #native;
    #epoch;
    #rebuild;
    /** `rebuild` builds the same request again (same timestamp and nonce) after a recovery. */
    constructor(nativeUnsigned, rebuild) {
      this.#native = nativeUnsigned;
      this.#epoch = bridge.epoch;
      this.#rebuild = rebuild;
      const { stringToSign, operation } = native(() => ({ stringToSign: nativeUnsigned.stringToSign, operation: nativeUnsigned.operation }));
      this.stringToSign = stringToSign;
      this.operation = operation ?? null;
      Object.freeze(this);
    }
    /** The signature as base64 text or raw bytes. */
    complete(signature) {
      const bytes = typeof signature === 'string' ? null : toBytes(signature, 'signature');
      if (this.#epoch !== bridge.epoch) {
        this.#native = this.#rebuild();
        this.#epoch = bridge.epoch;
      }
      return makeRequest(native(() => (bytes === null ? this.#native.complete(signature) : this.#native.completeBytes(bytes))));
    }
  }

  const BUILD = Symbol('build');

  class Calls {
    #owner;
    #sign;
    /** `owner` is the Client whose keys are used; null means this object is the Client. */
    constructor(owner, sign) {
      this.#owner = owner;
      this.#sign = sign;
    }
    /** Any operation by its catalog id (see OPERATIONS). */
    prepare(operation, params = {}, options = {}) {
      return (this.#owner ?? this)[BUILD](this.#sign, (n, ts, nonce) => n.unsignedById(operation, utf8Now(paramsJson(params, 'params', fail)), ts, nonce), options);
    }
    /**
     * The platform-certificate download: `GET /v3/certificates?algorithm_type=RSA` on the main
     * host (`'api'`) or `GET /v3/global/certificates` (`'global'`). Send it, then pass the answer
     * to `client.parseCertificates`.
     */
    certificatesRequest(host = 'api', { timestamp, nonce } = {}) {
      return (this.#owner ?? this)[BUILD](this.#sign, (n, ts, nc) => n.unsignedCertificates(host, ts, nc), { timestamp, nonce });
    }
    /** Any APIv3 endpoint by URI template, like `chain('v3/…/{var}')`. */
    request(method, template, { pathParams, query, json, timestamp, nonce } = {}) {
      const call = {
        method,
        template,
        pathParams: pathParams ? Object.entries(pathParams) : [],
        query: query ? (Array.isArray(query) ? query : Object.entries(query)) : [],
        json,
      };
      return (this.#owner ?? this)[BUILD](this.#sign, (n, ts, nc) => n.unsignedCall(call, ts, nc), { timestamp, nonce });
    }
  }

  for (const op of catalog.operations) {
    Object.defineProperty(Calls.prototype, camel(op.id), {
      value: function (params = {}, options = {}) {
        return this.prepare(op.id, params, options);
      },
      writable: true,
      configurable: true,
    });
  }

  const CREATE = Symbol('create');
  const HOST = Symbol('host');
  /** Per client, what rebuilds its native client after a recovery: its config (keys included, so never on the object) and its last certificate update. */
  const saved = new WeakMap();

  class Client extends Calls {
    #native;
    #epoch;
    #provider;
    #signingKey;
    #verifyKeys;
    /** Who does the RSA work: 'node' (node:crypto), 'webcrypto' or 'wasm'. */
    crypto;
    /** The same operations, returning UnsignedRequest (keys in a KMS or HSM). */
    unsigned;

    constructor(token, nativeClient, epoch, provider, signingKey, verifyKeys, rebuild) {
      if (token !== CREATE) throw new TypeError('use `await Client.create(options)`');
      super(null, true);
      this.#native = nativeClient;
      this.#epoch = epoch;
      saved.set(this, { rebuild, update: null });
      this.#provider = provider;
      this.#signingKey = signingKey;
      this.#verifyKeys = verifyKeys;
      this.crypto = provider ? provider.name : 'wasm';
      this.unsigned = new UnsignedCalls(this);
      Object.freeze(this);
    }

    /**
     * Parses the keys once. With `crypto: 'auto'` (default) the private key becomes a
     * non-extractable host key (node:crypto, WebCrypto) wherever one exists; `'wasm'` keeps RSA in WASM.
     */
    static async create(options = {}) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw fail('options', 'the client options must be an object');
      }
      const { crypto = 'auto', ...rest } = options;
      let provider = null;
      if (crypto === 'auto') {
        provider = Object.values(providers).find((p) => p.available()) ?? null;
      } else if (crypto !== 'wasm') {
        provider = Object.hasOwn(providers, crypto) ? providers[crypto] : null;
        if (provider === null || !provider.available()) throw fail('crypto', `crypto '${crypto}' is not available in this runtime`);
      }
      const { config, spell } = coreOptions({ ...rest, userAgentPlatform: rest.userAgentPlatform ?? platform() }, fail, spellOption);
      const nativeClient = native(() => new wasm.NativeClient(config, provider !== null), spell);
      // Everything the host imports is read now, before any await (a recovery meanwhile would
      // leave `nativeClient` stale: the Client then rebuilds it on first use).
      const epoch = bridge.epoch;
      const der = provider === null ? undefined : native(() => nativeClient.takePrivateKeyPkcs8());
      const publicKeys = provider === null ? [] : native(() => nativeClient.verificationKeys());
      let signingKey = null;
      const verifyKeys = new Map();
      if (der !== undefined) {
        try {
          signingKey = await provider.importPrivate(der);
        } finally {
          der.fill(0);
        }
      }
      for (const { serial, spki } of publicKeys) verifyKeys.set(serial, await provider.importPublic(spki));
      // After a recovery: the same client again. A key the host's crypto holds stays there (the
      // config is kept without it); otherwise the core needs it again.
      const kept = signingKey === null ? config : { ...config, private_key: null };
      const rebuild = signingKey === null ? () => new wasm.NativeClient(kept, provider !== null) : () => wasm.NativeClient.withHostKey(kept);
      return new Client(CREATE, nativeClient, epoch, provider, signingKey, verifyKeys, rebuild);
    }

    /** The native client of the current instance: rebuilt, with its certificate update, after a recovery. */
    #live() {
      if (this.#epoch !== bridge.epoch) {
        const epoch = bridge.epoch;
        const { rebuild, update } = saved.get(this);
        const fresh = native(rebuild);
        if (update !== null) native(() => fresh.updateCertificates(update.set, update.now));
        this.#native = fresh;
        this.#epoch = epoch;
      }
      return this.#native;
    }

    /** For the confirm machine: the native client, and the host's signer when it holds the key. */
    [HOST]() {
      const provider = this.#provider;
      const key = this.#signingKey;
      return { native: this.#live(), sign: key === null ? null : async (message) => provider.sign(key, message) };
    }

    /** Not API: the core's test hook, a deliberate panic inside the core (a trap on wasm32). */
    _panicForTest() {
      native(() => this.#live().panicForTest());
    }

    /** The Wechatpay-Serial values this client verifies. */
    get verificationSerials() {
      return native(() => this.#live().verificationKeys()).map((k) => k.serial);
    }

    /** Unsigned requests are built synchronously; signed ones return a Promise (host crypto is async). */
    [BUILD](sign, build, { timestamp, nonce } = {}) {
      const ts = timestamp ?? Math.floor(Date.now() / 1000);
      const n = nonce ?? generateNonce();
      // The same timestamp and nonce build the same request, so a rebuild after a recovery too.
      const make = () => native(() => build(this.#live(), ts, n));
      if (!sign) return new UnsignedRequest(make(), make);
      // Signing is asynchronous even when the build fails, so errors arrive as rejections.
      return (async () => {
        let unsigned = make();
        let epoch = bridge.epoch;
        try {
          // No host key (none configured, or RSA in WASM): the core signs or explains why not.
          if (this.#signingKey === null) return makeRequest(native(() => this.#live().sign(unsigned)));
          const message = native(() => unsigned.stringToSign);
          const signature = await this.#provider.sign(this.#signingKey, message);
          if (epoch !== bridge.epoch) {
            // Recovered while the host signed: the request again from the rebuilt client.
            unsigned = make();
            epoch = bridge.epoch;
            if (!sameBytes(native(() => unsigned.stringToSign), message)) throw fail(null, 'the request changed while it was signed', 'internal');
          }
          return makeRequest(native(() => unsigned.completeBytes(signature)));
        } finally {
          // An object of a replaced instance must not be freed: its pointer means nothing now.
          if (epoch === bridge.epoch) unsigned.free();
        }
      })();
    }

    /**
     * The host's RSA verdict on a pending verification (the core chose the key by serial). A key
     * the core trusts but the host has not imported yet (certificates updated) is imported here.
     */
    async #verify(pending) {
      // Read at once: the pending object may belong to a replaced instance after an await.
      const { serial, signature, message } = native(() => ({ serial: pending.serial, signature: pending.signature, message: pending.message }));
      let key = this.#verifyKeys.get(serial);
      if (key === undefined) {
        const spki = native(() => this.#live().verificationKeys()).find((k) => k.serial === serial)?.spki;
        if (spki === undefined) return false;
        key = await this.#provider.importPublic(spki);
        this.#verifyKeys.set(serial, key);
      }
      return this.#provider.verify(key, signature, message);
    }

    /**
     * `begin` (every check but RSA), the host's RSA verdict, then `finish`; when a recovery
     * replaced the instance meanwhile, `begin` runs again on the rebuilt client (same bytes, same
     * pending verification) before `finish` takes the verdict.
     */
    async #hostVerified(begin, finish) {
      let pending = native(() => begin(this.#live()));
      const epoch = bridge.epoch;
      const valid = await this.#verify(pending);
      if (epoch !== bridge.epoch) pending = native(() => begin(this.#live()));
      return native(() => finish(this.#live(), pending, valid));
    }

    /** `{status, headers, body}` of a fetch Response or of any client's response parts. */
    async #readResponse(response) {
      let status;
      let headers;
      let body;
      if (response && typeof response.arrayBuffer === 'function' && typeof response.status === 'number') {
        status = response.status;
        headers = headerText(response.headers, fail);
        body = new Uint8Array(await response.arrayBuffer());
      } else if (response && typeof response === 'object') {
        status = response.status;
        headers = headerText(response.headers, fail);
        body = toBytes(response.body, 'body');
      } else {
        throw fail('response', 'response must be a fetch Response or { status, headers, body }');
      }
      if (!Number.isInteger(status) || status < 100 || status > 999) throw fail('status', 'status must be an HTTP status code');
      return { status, headers, body };
    }

    /**
     * Verifies the response to `request` and returns `{ status, requestId, data }`.
     * `response` is a fetch Response or `{ status, headers, body }` with the raw body bytes.
     */
    async parse(request, response, { now } = {}) {
      const operation = typeof request === 'string' ? request : request === null || request === undefined ? null : request.operation ?? null;
      const { status, headers, body } = await this.#readResponse(response);
      const nowSeconds = now ?? Math.floor(Date.now() / 1000);
      let parsed;
      if (this.#provider === null) {
        parsed = native(() => this.#live().parse(operation, status, utf8Now(headers), body, nowSeconds));
      } else {
        parsed = await this.#hostVerified(
          (n) => n.beginVerification(operation, status, utf8Now(headers), body),
          (n, pending, valid) => n.finishParse(pending, valid, body, nowSeconds),
        );
      }
      return Object.freeze(parsed);
    }

    /**
     * Verifies, decrypts (APIv3 key) and types a notification WeChat Pay POSTed to your
     * notify_url. Pass the fetch `Request`, or its headers and the raw body bytes.
     */
    async parseNotification(request, ...rest) {
      let headers;
      let body;
      let options;
      if (request && typeof request.arrayBuffer === 'function' && request.headers) {
        headers = headerText(request.headers, fail);
        body = new Uint8Array(await request.arrayBuffer());
        options = rest[0];
      } else {
        if (rest[0] === undefined) throw fail('body', 'parseNotification takes a fetch Request, or (headers, raw body bytes)');
        headers = headerText(request, fail);
        body = toBytes(rest[0], 'body');
        options = rest[1];
      }
      const nowSeconds = options?.now ?? Math.floor(Date.now() / 1000);
      let notification;
      if (this.#provider === null) {
        notification = native(() => this.#live().parseNotification(utf8Now(headers), body, nowSeconds));
      } else {
        notification = await this.#hostVerified(
          (n) => n.beginNotification(utf8Now(headers), body),
          (n, pending, valid) => n.finishNotification(pending, valid, body, nowSeconds),
        );
      }
      return Object.freeze(notification);
    }

    /**
     * Decrypts (apiv3Key) and verifies a certificate download and returns
     * `{ certificates: [{ serial_no, not_before, not_after, pem }] }`, the certificates valid at
     * `now`. The RSA check runs in WASM (the signer may be a certificate of the download itself).
     * The client is unchanged: pass the set to `updateCertificates`.
     */
    async parseCertificates(response, { now } = {}) {
      const { status, headers, body } = await this.#readResponse(response);
      const nowSeconds = now ?? Math.floor(Date.now() / 1000);
      return deepFreeze(native(() => this.#live().parseCertificates(status, utf8Now(headers), body, nowSeconds)));
    }

    /** Replaces the client's platform certificates with a set from `parseCertificates` (the public key stays). */
    updateCertificates(set, { now } = {}) {
      const nowSeconds = now ?? Math.floor(Date.now() / 1000);
      native(() => this.#live().updateCertificates(set, nowSeconds));
      // Kept (a copy) to rebuild the client after a recovery: the last update is its whole set.
      saved.get(this).update = { set: JSON.parse(JSON.stringify(set)), now: nowSeconds };
      // Host keys are imported again on first use, from the core's new set.
      this.#verifyKeys.clear();
    }

    /** `[serial, notAfter]` of every platform certificate the client holds (`new Map(client.certificates)`). */
    get certificates() {
      return native(() => this.#live().certificates());
    }

    /** Whether to download certificates now: 12 h since the last download, one expiring within 24 h, an unknown serial seen. */
    certificatesRefreshDue({ now } = {}) {
      const nowSeconds = now ?? Math.floor(Date.now() / 1000);
      return native(() => this.#live().certificatesRefreshDue(nowSeconds));
    }

    /** The reply acknowledging a notification (200); see the module-level notificationAck. */
    notificationAck() {
      return notificationAck();
    }

    /** The reply refusing a notification so WeChat Pay retries it (500). */
    notificationNack(message) {
      return notificationNack(message);
    }
  }

  class UnsignedCalls extends Calls {
    constructor(client) {
      super(client, false);
    }
  }

  const hostOf = (client) => {
    if (!(client instanceof Client)) throw fail('client', 'pass a Client from `await Client.create(options)`');
    return client[HOST]();
  };
  const { Termination, terminateAndConfirm } = makeConfirm({ wasm, bridge, native, makeError, makeRequest, fail, hostOf, generateNonce, paramsJson });

  return {
    Client,
    UnsignedRequest,
    Termination,
    terminateAndConfirm,
    generateNonce,
    notificationAck,
    notificationNack,
    isEvent,
    CATALOG: catalog,
    OPERATIONS: Object.freeze(catalog.operations.map((op) => op.id)),
    ERROR_KINDS: kinds,
    ERROR_CLASSES: errorClasses,
    signMessage: (pem, message) => native(() => wasm.signMessage(pem, toBytes(message, 'message'))),
  };
}

function platform() {
  // Deno and Bun also set process.versions.node (their Node compatibility): name them first.
  if (typeof Deno !== 'undefined' && Deno.version && Deno.version.deno) return `deno/${Deno.version.deno}`;
  if (typeof process !== 'undefined' && process.versions && process.versions.bun) return `bun/${process.versions.bun}`;
  if (typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (typeof process !== 'undefined' && process.versions && process.versions.node) return `node/${process.versions.node}`;
  if (typeof navigator !== 'undefined' && navigator.userAgent) return 'browser';
  return 'js';
}
