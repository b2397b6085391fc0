// The wxpay-terminate client, independent of how the WASM module was loaded.
// `makeApi(wasm)` receives the initialised wasm-bindgen exports; the entry files
// (node.mjs, browser.mjs, and the CommonJS build) load it their way.

import { InvalidInputError, InvalidKeyError, isWxpayError, native } from './errors.js';

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

function camel(id) {
  return id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

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

/** 32 upper-case hex characters from the host's CSPRNG. */
export function generateNonce() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

function base64(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function toBytes(body, field) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') {
    throw new InvalidInputError('pass the raw response bytes (await res.arrayBuffer()), not text: the signature covers the exact bytes', { kind: 'invalid_input', field });
  }
  throw new InvalidInputError(`${field} must be bytes (Uint8Array or ArrayBuffer)`, { kind: 'invalid_input', field });
}

function headerPairs(headers) {
  if (!headers) return [];
  if (typeof headers.entries === 'function' && typeof headers.get === 'function') return Array.from(headers.entries());
  if (Array.isArray(headers)) return headers.map(([n, v]) => [String(n), String(v)]);
  if (typeof headers === 'object') {
    return Object.entries(headers).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, String(x)]) : [[n, String(v)]]));
  }
  throw new InvalidInputError('headers must be a Headers object, a plain object or [name, value] pairs', { kind: 'invalid_input', field: 'headers' });
}

function makeRequest(raw) {
  const headers = {};
  for (const [name, value] of raw.headers) headers[name] = value;
  // Shaped for `fetch(req.url, req)`: method, headers and the exact signed body bytes.
  return Object.freeze({
    operation: raw.operation ?? null,
    method: raw.method,
    url: raw.url,
    headers: Object.freeze(headers),
    body: raw.body ?? undefined,
  });
}

/**
 * `hosts` adds RSA providers by name (node.mjs passes node:crypto as `node`); WebCrypto and the
 * WASM signer are always there. `crypto: 'auto'` picks the first host provider, then WebCrypto.
 */
export function makeApi(wasm, hosts = {}) {
  const providers = { ...hosts, webcrypto: WEBCRYPTO };
  const catalog = JSON.parse(wasm.catalogJson());

  /** A request for a key kept elsewhere: sign `stringToSign`, then `complete(signature)`. */
  class UnsignedRequest {
    #native;
    constructor(nativeUnsigned) {
      this.#native = nativeUnsigned;
      this.stringToSign = nativeUnsigned.stringToSign;
      this.operation = nativeUnsigned.operation ?? null;
      Object.freeze(this);
    }
    /** The signature as base64 text or raw bytes. */
    complete(signature) {
      const text = typeof signature === 'string' ? signature : base64(toBytes(signature, 'signature'));
      return makeRequest(native(() => this.#native.complete(text)));
    }
  }

  class Calls {
    #owner;
    #sign;
    /** `owner` is the Client whose keys are used; null means this object is the Client. */
    constructor(owner, sign) {
      this.#owner = owner;
      this.#sign = sign;
    }
    #client() {
      return this.#owner ?? this;
    }
    /** Any operation by its catalog id (see OPERATIONS). */
    prepare(operation, params = {}, options = {}) {
      return this.#client()._build(this.#sign, (ts, nonce) => (n) => n.prepareUnsigned(operation, params, ts, nonce), (ts, nonce) => (n) => n.prepare(operation, params, ts, nonce), options);
    }
    /** Any APIv3 endpoint by URI template, like `chain('v3/…/{var}')`. */
    request(method, template, { pathParams, query, json, timestamp, nonce } = {}) {
      const path = pathParams ? Object.entries(pathParams) : [];
      const q = query ? (Array.isArray(query) ? query : Object.entries(query)) : [];
      const options = { timestamp, nonce };
      return this.#client()._build(
        this.#sign,
        (ts, n) => (w) => w.requestUnsigned(method, template, path, q, json, ts, n),
        (ts, n) => (w) => w.request(method, template, path, q, json, ts, n),
        options,
      );
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

  class Client extends Calls {
    #native;
    #provider;
    #signingKey;
    #verifyKeys;
    /** Who does the RSA work: 'node' (node:crypto), 'webcrypto' or 'wasm'. */
    crypto;
    /** The same operations, returning UnsignedRequest (keys in a KMS or HSM). */
    unsigned;

    constructor(token, nativeClient, provider, signingKey, verifyKeys) {
      if (token !== CREATE) throw new TypeError('use `await Client.create(options)`');
      super(null, true);
      this.#native = nativeClient;
      this.#provider = provider;
      this.#signingKey = signingKey;
      this.#verifyKeys = verifyKeys;
      this.crypto = provider ? provider.name : 'wasm';
      this.unsigned = new UnsignedCalls(this);
      Object.freeze(this);
    }

    /**
     * Parses the keys once. With `crypto: 'auto'` (default) the private key becomes a
     * non-extractable WebCrypto key wherever `crypto.subtle` exists; `'wasm'` keeps RSA in WASM.
     */
    static async create(options = {}) {
      const { privateKey, crypto = 'auto', ...rest } = options;
      if (privateKey !== undefined && privateKey !== null && typeof privateKey !== 'string' && !(privateKey instanceof Uint8Array)) {
        throw new InvalidKeyError('privateKey must be PEM text (string or Uint8Array)', { kind: 'invalid_key', field: 'privateKey' });
      }
      const pem = privateKey instanceof Uint8Array ? new TextDecoder('utf-8', { fatal: false }).decode(privateKey) : privateKey;
      let provider = null;
      if (crypto === 'auto') {
        provider = Object.values(providers).find((p) => p.available()) ?? null;
      } else if (crypto !== 'wasm') {
        provider = providers[crypto] ?? null;
        if (provider === null || !provider.available()) {
          throw new InvalidInputError(`crypto '${crypto}' is not available in this runtime`, { kind: 'invalid_input', field: 'crypto' });
        }
      }
      const config = { ...rest, userAgentPlatform: rest.userAgentPlatform ?? platform() };
      if (provider === null) {
        const nativeClient = native(() => new wasm.NativeClient({ ...config, privateKey: pem ?? undefined }));
        return new Client(CREATE, nativeClient, null, null, null);
      }
      const nativeClient = native(() => new wasm.NativeClient(config));
      let signingKey = null;
      if (pem !== undefined && pem !== null) {
        // The core validates the key (RSA, ≥ 2048 bits) and hands over PKCS#8 for the host's import.
        const der = native(() => wasm.privateKeyPkcs8(pem));
        signingKey = await provider.importPrivate(der);
        der.fill(0);
      }
      const verifyKeys = new Map();
      for (const { serial, spki } of nativeClient.verificationKeys()) {
        verifyKeys.set(serial, await provider.importPublic(spki));
      }
      return new Client(CREATE, nativeClient, provider, signingKey, verifyKeys);
    }

    /** The Wechatpay-Serial values this client verifies. */
    get verificationSerials() {
      return this.#native.verificationKeys().map((k) => k.serial);
    }

    /** Unsigned requests are built synchronously; signed ones return a Promise (WebCrypto is async). */
    _build(sign, unsignedCall, signedCall, { timestamp, nonce } = {}) {
      const ts = timestamp ?? Math.floor(Date.now() / 1000);
      const n = nonce ?? generateNonce();
      if (!sign) return new UnsignedRequest(native(() => unsignedCall(ts, n)(this.#native)));
      return this.#sign(unsignedCall(ts, n), signedCall(ts, n));
    }

    async #sign(unsignedCall, signedCall) {
      if (this.#provider === null) return makeRequest(native(() => signedCall(this.#native)));
      if (this.#signingKey === null) {
        throw new InvalidKeyError('no merchant private key: pass privateKey, or sign with client.unsigned', { kind: 'invalid_key' });
      }
      const unsigned = native(() => unsignedCall(this.#native));
      const signature = await this.#provider.sign(this.#signingKey, unsigned.stringToSign);
      return makeRequest(native(() => unsigned.complete(base64(signature))));
    }

    /**
     * Verifies the response to `request` and returns `{ status, requestId, data }`.
     * `response` is a fetch Response or `{ status, headers, body }` with the raw body bytes.
     */
    async parse(request, response, { now } = {}) {
      const operation = typeof request === 'string' ? request : request === null || request === undefined ? null : request.operation ?? null;
      let status;
      let headers;
      let body;
      if (response && typeof response.arrayBuffer === 'function' && typeof response.status === 'number') {
        status = response.status;
        headers = headerPairs(response.headers);
        body = new Uint8Array(await response.arrayBuffer());
      } else if (response && typeof response === 'object') {
        status = response.status;
        headers = headerPairs(response.headers);
        body = toBytes(response.body, 'body');
      } else {
        throw new InvalidInputError('response must be a fetch Response or { status, headers, body }', { kind: 'invalid_input', field: 'response' });
      }
      if (!Number.isInteger(status) || status < 100 || status > 999) {
        throw new InvalidInputError('status must be an HTTP status code', { kind: 'invalid_input', field: 'status' });
      }
      const nowSeconds = now ?? Math.floor(Date.now() / 1000);
      if (this.#provider === null) {
        return Object.freeze(native(() => this.#native.parse(operation, status, headers, body, nowSeconds)));
      }
      const pending = native(() => this.#native.beginVerification(status, headers, body));
      const key = this.#verifyKeys.get(pending.serial);
      const valid = await this.#provider.verify(key, pending.signature, pending.message);
      return Object.freeze(native(() => this.#native.finishParse(operation, status, pending, valid, body, nowSeconds)));
    }
  }

  class UnsignedCalls extends Calls {
    constructor(client) {
      super(client, false);
    }
  }

  return {
    Client,
    UnsignedRequest,
    generateNonce,
    isWxpayError,
    CATALOG: catalog,
    OPERATIONS: Object.freeze(catalog.operations.map((op) => op.id)),
    ERROR_KINDS: Object.freeze(Array.from(wasm.errorKinds())),
    signMessage: (pem, message) => native(() => wasm.signMessage(pem, toBytes(message, 'message'))),
  };
}

const CREATE = Symbol('create');

function platform() {
  if (typeof process !== 'undefined' && process.versions && process.versions.node) return `node/${process.versions.node}`;
  if (typeof navigator !== 'undefined' && navigator.userAgent) return 'browser';
  return 'js';
}
