// Terminate with certainty: the core's terminate-and-confirm machine (`Termination`, sans-IO)
// driven with the host's fetch, clock and timers. The core decides what to send and when and
// what an answer proves; this file only moves bytes: it signs with the client's crypto, verifies
// every answer through `client.parse` (node:crypto, WebCrypto or WASM, whichever the client
// uses) and reports the result — a verified answer, a WxpayError, or no answer at all.
//
// `makeConfirm` receives the internals of `makeApi` (client.js): the wasm exports, the recovery
// epoch (`bridge`), the error and request converters, and `hostOf(client)` → `{ native, sign }`.
// A machine keeps its journal after every change: after a recovery from a trap it is restored
// from it, the core's rule for a restored journal applying (a request then in flight is lost).

import { isWxpayError } from './errors.js';

const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelKeys = (record) => Object.fromEntries(Object.entries(record).map(([k, v]) => [camel(k), v]));

/** Resolves after `ms` (at least 0), or rejects with the signal's reason when it aborts first. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The caller's signal and a per-request timeout, as one signal. */
function deadline(timeoutMs, signal) {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (!signal) return timeout;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([signal, timeout]);
  // Node 18: no AbortSignal.any.
  const controller = new AbortController();
  for (const s of [signal, timeout]) {
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

export function makeConfirm({ wasm, bridge, native, makeError, makeRequest, fail, hostOf, generateNonce, paramsJson }) {
  // The core names the query's params `query_params`; JS callers write `queryParams`.
  const spell = (field) => (field === 'query_params' ? 'queryParams' : field);
  const call = (work) => native(work, spell);

  /** The core's Outcome record → `{ kind, reason, evidence, error, terminateSends, querySends, confirmed }`. */
  function makeOutcome(record) {
    const { evidence, error, ...rest } = record;
    return Object.freeze({
      ...camelKeys(rest),
      evidence: evidence ? Object.freeze(camelKeys(evidence)) : null,
      error: error ? makeError(error) : null,
      confirmed: record.kind !== 'failed',
    });
  }

  function makeStep(text) {
    const step = JSON.parse(text);
    switch (step.type) {
      case 'send':
        return Object.freeze({ type: 'send', request: makeRequest(step.request), purpose: step.purpose, attempt: step.attempt });
      case 'wait':
        return Object.freeze({ type: 'wait', untilMs: step.until_ms });
      default:
        return Object.freeze({ type: 'done', outcome: makeOutcome(step.outcome) });
    }
  }

  /** A WxpayError (of any copy of the package) → the core's error record, as JSON. */
  function recordJson(error) {
    if (!isWxpayError(error)) {
      throw fail('error', 'onError takes the WxpayError that parse threw; report a missing answer with onTransportError');
    }
    const record = { message: String(error.message) };
    for (const [key, value] of Object.entries(error)) {
      if (key === 'name' || value === undefined) continue;
      // `detail` arrived as JSON text and was parsed for the caller.
      record[snake(key)] = key === 'detail' && value !== null ? JSON.stringify(value) : value;
    }
    record.retryable = error.retryable === true;
    return JSON.stringify(record);
  }

  /** ConfirmPolicy fields in camelCase (`maxTerminateSends`, `backoffInitialMs`, …) → snake_case. */
  function corePolicy(policy) {
    if (policy === undefined || policy === null) return undefined;
    if (typeof policy !== 'object' || Array.isArray(policy)) throw fail('policy', 'policy must be an object of ConfirmPolicy fields');
    const out = {};
    for (const [key, value] of Object.entries(policy)) {
      if (!/^[a-z][A-Za-z0-9]*$/.test(key)) throw fail('policy', `\`${key}\` is not a policy field: they are camelCase, e.g. ${camel(key)}`);
      out[snake(key)] = value;
    }
    return out;
  }

  const now = (options) => options?.nowMs ?? Date.now();
  const NATIVE = Symbol('native');

  /**
   * One contract's terminate-and-confirm machine, step by step, for hosts that drive their own
   * I/O and journals: `next` → send the request → `onResponse` (or `onTransportError`), until a
   * `done` step. `toJSON()` is the journal (params and counters, never a signature);
   * `Termination.fromJSON` restores it, a request then in flight counting as lost.
   */
  class Termination {
    #native;
    #epoch;
    /** The journal after the last change: what a recovery restores. */
    #journal;
    /** The epoch in which the request now in flight was handed out (null: none). */
    #sentIn = null;

    constructor(operation, params, { queryParams, policy } = {}) {
      if (operation === NATIVE) {
        this.#adopt(params);
        return;
      }
      if (typeof operation !== 'string') throw fail('operation', 'operation must be a termination id, e.g. terminate_papay_contract');
      const query = queryParams === undefined || queryParams === null ? 'null' : paramsJson(queryParams, 'queryParams', fail);
      this.#adopt(call(() => new wasm.NativeTermination(operation, paramsJson(params, 'params', fail), query, corePolicy(policy))));
    }

    #adopt(machine) {
      this.#native = machine;
      this.#epoch = bridge.epoch;
      this.#journal = call(() => machine.toJson());
    }

    /** The machine of the current instance: restored from the journal after a recovery. */
    #live() {
      if (this.#epoch !== bridge.epoch) {
        const journal = this.#journal;
        this.#adopt(call(() => wasm.NativeTermination.fromJson(journal)));
      }
      return this.#native;
    }

    /** Runs a change on the machine and keeps the journal it leaves. */
    #change(work) {
      const machine = this.#live();
      const out = call(() => work(machine));
      this.#journal = call(() => machine.toJson());
      return out;
    }

    /** Restores a journal from `toJSON()` (the object, or its JSON text). */
    static fromJSON(journal) {
      const text = typeof journal === 'string' ? journal : JSON.stringify(journal ?? null);
      return new Termination(NATIVE, call(() => wasm.NativeTermination.fromJson(text)));
    }

    /** The journal as a plain object (so `JSON.stringify(machine)` works): never a signature. */
    toJSON() {
      return JSON.parse(call(() => this.#live().toJson()));
    }

    /** The terminate operation id. */
    get operation() {
      return call(() => this.#live().operation);
    }

    /** The query operation that confirms it. */
    get queryOperation() {
      return call(() => this.#live().queryOperation);
    }

    /** `'terminate'` or `'query'` while an answer is awaited, else null. */
    get inFlight() {
      return call(() => this.#live().inFlight) ?? null;
    }

    /** The outcome once known, else null. */
    get outcome() {
      const text = call(() => this.#live().outcome);
      return text === undefined ? null : makeOutcome(JSON.parse(text));
    }

    /** The last error seen (a WxpayError), for progress displays and logs, else null. */
    get lastError() {
      const text = call(() => this.#live().lastError);
      return text === undefined ? null : makeError(JSON.parse(text));
    }

    /**
     * What to do now: `{ type: 'send', request, purpose, attempt }`, `{ type: 'wait', untilMs }`
     * or `{ type: 'done', outcome }`. A new request is signed with the client's crypto.
     */
    async next(client, options) {
      const nowMs = now(options);
      const nonce = options?.nonce ?? generateNonce();
      for (;;) {
        const host = hostOf(client);
        const epoch = bridge.epoch;
        let out = this.#change((m) => m.next(host.native, nowMs, nonce));
        if (typeof out !== 'string') {
          // The host's crypto holds the key: sign the message the core built, then take the step.
          const signature = await host.sign(out);
          // Recovered while the host signed: machine and client are rebuilt, so ask again.
          if (epoch !== bridge.epoch) continue;
          out = this.#change((m) => m.nextSigned(host.native, nowMs, nonce, signature));
        }
        const step = makeStep(out);
        this.#sentIn = step.type === 'send' ? bridge.epoch : null;
        return step;
      }
    }

    /**
     * Verifies the answer to the request in flight with `client.parse` (the client's RSA provider)
     * and reports it: a verified answer to `onVerified`, a WxpayError to `onError`. `response` is
     * a fetch Response or `{ status, headers, body }` with the raw body bytes.
     */
    async onResponse(client, response, options) {
      const purpose = this.inFlight;
      if (purpose === null) {
        if (this.outcome !== null) return; // a late answer after the outcome changes nothing
        // Restored after a recovery: the request then in flight counts as lost (the machine
        // asks the query first), so its answer changes nothing.
        if (this.#sentIn !== null && this.#sentIn !== bridge.epoch) return;
        throw fail('step', 'no request is in flight: call next() first');
      }
      const epoch = bridge.epoch;
      const nowMs = now(options);
      let parts = response;
      if (response && typeof response.arrayBuffer === 'function' && typeof response.status === 'number') {
        parts = { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
      }
      const operation = purpose === 'query' ? this.queryOperation : this.operation;
      let parsed;
      let failure = null;
      try {
        parsed = await client.parse(operation, parts, { now: Math.floor(nowMs / 1000) });
      } catch (error) {
        if (!isWxpayError(error)) throw error;
        failure = error;
      }
      // Restored from its journal while the answer was verified: that request counts as lost.
      if (epoch !== bridge.epoch) return;
      if (failure !== null) this.onError(failure, { nowMs });
      else this.onVerified(parsed.status, parsed.requestId, parts.body, { nowMs });
    }

    /** A 2xx answer your own code verified: its status, Request-ID and raw body bytes. */
    onVerified(status, requestId, body, options) {
      const bytes = ArrayBuffer.isView(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body ?? 0);
      this.#change((m) => m.onVerified(status, requestId ?? undefined, bytes, now(options)));
    }

    /** The WxpayError the answer became (an API error or a failed verification). */
    onError(error, options) {
      const text = recordJson(error);
      this.#change((m) => m.onError(text, now(options)));
    }

    /** No answer arrived (fetch rejected, timed out): the request may or may not have landed. */
    onTransportError(options) {
      this.#change((m) => m.onTransportError(now(options)));
    }

    /** A notification from `parseNotification`: true when it reports this contract's end (the outcome then). */
    onNotification(notification, options) {
      const text = JSON.stringify(notification ?? null);
      return this.#change((m) => m.onNotification(text, now(options)));
    }
  }

  /**
   * Terminates one contract and resolves to its confirmed final state: retries 429 and 5xx with
   * back-off, asks the family's query after a lost answer, never resends blindly. A fetch
   * rejection or a request taking longer than `timeoutMs` is a lost answer; aborting `signal`
   * rejects with its reason (the contract's state is then not known).
   */
  async function terminateAndConfirm(client, operation, params, options = {}) {
    const { queryParams, policy, fetch: send = globalThis.fetch, timeoutMs = 10000, signal } = options ?? {};
    hostOf(client);
    if (typeof send !== 'function') throw fail('fetch', 'fetch must be a function (url, init) => Promise<Response>');
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw fail('timeoutMs', 'timeoutMs must be a positive number of milliseconds');
    const machine = new Termination(operation, params, { queryParams, policy });
    for (;;) {
      signal?.throwIfAborted();
      const step = await machine.next(client);
      if (step.type === 'done') return step.outcome;
      if (step.type === 'wait') {
        await sleep(step.untilMs - Date.now(), signal);
        continue;
      }
      const { request } = step;
      let answer;
      try {
        const res = await send(request.url, { method: request.method, headers: request.headers, body: request.body, signal: deadline(timeoutMs, signal) });
        answer = { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
      } catch {
        if (signal?.aborted) throw signal.reason;
        machine.onTransportError();
        continue;
      }
      await machine.onResponse(client, answer);
    }
  }

  return { Termination, terminateAndConfirm };
}
