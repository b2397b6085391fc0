#!/usr/bin/env node
// Writes index.d.ts from the core's catalog and error kinds: one method per operation with the
// API's own field names, an interface per result and notification resource type, the
// notification union by event_type, the ErrorKind union and the kind → class table (from the
// classes' `static kind` and their docs in js/errors.js). `--check` fails when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import * as wt from '../js/node.mjs';
// Initialised by node.mjs (one module instance): the confirm policy's fields and defaults.
import { confirmPolicyDefaults } from '../pkg/wxpay_terminate_wasm.js';

const { CATALOG, ERROR_KINDS, ERROR_CLASSES, WxpayError } = wt;

const OUT = new URL('../index.d.ts', import.meta.url);
const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (id) => camel(id).replace(/^./, (c) => c.toUpperCase());

function tsType(schema) {
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (schema.anyOf) {
    const options = schema.anyOf.filter((s) => s.type !== 'null').map(tsType);
    return options.length === 1 ? options[0] : options.join(' | ');
  }
  const kind = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
  if (kind.length !== 1) return 'unknown';
  switch (kind[0]) {
    case 'string': return 'string';
    case 'integer': case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'array': return `${tsType(schema.items ?? {})}[]`;
    default: return 'Record<string, unknown>';
  }
}

const doc = (text, indent = '') => (text ? `${indent}/** ${text.split('\n').join(' ')} */\n` : '');

function resultInterface(name, schema) {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {})
    .map(([prop, s]) => `${doc(s.description, '  ')}  readonly ${prop}${required.has(prop) ? '' : '?'}: ${tsType(s)};`)
    .join('\n');
  return `${doc(schema.description)}export interface ${name} {\n${fields}\n}\n`;
}

function paramsInterface(op) {
  const fields = op.fields.map((f) => {
    const notes = [f.location, f.max_chars ? `≤${f.max_chars} characters` : '', f.alnum ? 'letters and digits only' : ''].filter(Boolean).join(', ');
    return `  /** ${f.doc} (${notes}) */\n  ${f.name}${f.required ? '' : '?'}: ${f.type === 'integer' ? 'number' : 'string'};`;
  });
  return `/** Params of \`${op.id}\`: ${op.title}. */\nexport interface ${pascal(op.id)}Params {\n${fields.join('\n')}\n}\n`;
}

const result = (op) => (op.output ? tsType(op.output) : 'null');
const quote = (text) => `'${text}'`;

/** The error classes in js/errors.js order, each with its doc comment and parent. */
function errorClasses() {
  const source = readFileSync(new URL('../js/errors.js', import.meta.url), 'utf8');
  const declared = [...source.matchAll(/(?:\/\*\*([\s\S]*?)\*\/\n)?export class (\w+) extends (\w+)/g)];
  return declared.map(([, comment, name, parent]) => {
    const Class = wt[name];
    if (typeof Class !== 'function' || !(Class === WxpayError || Class.prototype instanceof WxpayError)) {
      throw new Error(`js/errors.js declares ${name}, which the package does not export as an error class`);
    }
    const text = (comment ?? '').split('\n').map((l) => l.replace(/^\s*\*?\s?/, '')).join(' ').replace(/\s+/g, ' ').trim();
    return { name, parent, kind: Object.hasOwn(Class, 'kind') ? Class.kind : null, doc: text };
  });
}

function errorDeclarations() {
  const classes = errorClasses();
  // A class with subclasses keeps `string` on its static side, which they narrow.
  const extended = new Set(classes.map((c) => c.parent));
  return classes
    .filter((c) => c.name !== 'WxpayError')
    .map((c) => `${doc(c.doc)}export declare class ${c.name} extends ${c.parent} {\n  static readonly kind: ${extended.has(c.name) ? 'string' : quote(c.kind)};\n}`)
    .join('\n');
}

/** One interface per termination event, discriminated by event_type, plus the generic event. */
function notificationTypes(events) {
  const members = events.map((e) => `${e.type}Notification`);
  const interfaces = events.map((e) => {
    const resource = tsType(e.schema);
    return `/** The \`${e.event_type}\` notification: \`resource\` is ${resource}. */
export interface ${e.type}Notification extends NotificationEnvelope {
  readonly event_type: ${quote(e.event_type)};
  readonly resource: ${resource};
}
`;
  });
  return `/** The fields every notification has (docs/notifications.md). */
export interface NotificationEnvelope {
  /** The notification id: de-duplicate on it, WeChat Pay re-delivers. */
  readonly id: string;
  /** As sent (usually RFC 3339 with +08:00; not always). */
  readonly create_time: string;
  readonly event_type: string;
  /** \`encrypt-resource\`. */
  readonly resource_type: string;
  /** WeChat Pay's short description, when sent. */
  readonly summary?: string;
  /** \`resource.original_type\`, when sent. */
  readonly original_type?: string;
}

${interfaces.join('\n')}
/** Any other event type (sign events, payments, …): the decrypted plaintext as sent. */
export interface GenericNotification extends NotificationEnvelope {
  readonly event_type: string;
  readonly resource: Record<string, unknown>;
}

/** The typed resource of each termination event_type. */
export interface NotificationResources {
${events.map((e) => `  ${quote(e.event_type)}: ${tsType(e.schema)};`).join('\n')}
}

export type TerminationEventType = keyof NotificationResources;

/** A verified, decrypted notification: narrow it with \`isEvent(n, 'ENTRUST.TERMINATE')\`. */
export type Notification =
${[...members, 'GenericNotification'].map((m) => `  | ${m}`).join('\n')};

/** The notification of one termination event type. */
export type NotificationOf<E extends TerminationEventType> = Extract<Notification, { readonly event_type: E }>;
`;
}


function methods(op, returns) {
  const docs = [`${op.title}: \`${op.method} ${op.path}\` → ${op.success_status}.`, ...op.docs.map((u) => `@see ${u}`)];
  return `  /**\n${docs.map((l) => `   * ${l}`).join('\n')}\n   */\n  ${camel(op.id)}(params: ${pascal(op.id)}Params, options?: CallOptions): ${returns(result(op))};`;
}

/** The terminate-and-confirm declarations: termination ids, their queries, policy, steps, outcome. */
function confirmDeclarations(ops, policyDefaults) {
  const terminations = ops.filter((op) => op.confirm_with);
  const policy = Object.entries(policyDefaults).map(([name, value]) => `  /** Default ${value}. */\n  ${camel(name)}?: number;`);
  return `/** The operations terminateAndConfirm and Termination take: each has a query that confirms it. */
export type TerminationId = ${terminations.map((op) => quote(op.id)).join(' | ')};

/** The query that confirms each termination. */
export interface ConfirmedBy {
${terminations.map((op) => `  ${op.id}: ${quote(op.confirm_with)};`).join('\n')}
}

/**
 * How hard to try (the core's ConfirmPolicy; pass only what you change): sends of each kind at
 * most, polls of a pending termination, back-off (doubled from \`backoffInitialMs\` up to
 * \`backoffMaxMs\`, with jitter), and how long (seconds) a signed request is resent unchanged.
 */
export interface ConfirmPolicy {
${policy.join('\n')}
}

export interface ConfirmOptions<K extends TerminationId = TerminationId> {
  /** Params the confirming query needs beyond the termination's own (face pay: out_user_id; WeBizPay: user_id; edu-papay: appid). */
  queryParams?: Partial<OperationParams[ConfirmedBy[K]]>;
  policy?: ConfirmPolicy;
}

export interface TerminateAndConfirmOptions<K extends TerminationId = TerminationId> extends ConfirmOptions<K> {
  /** The host's fetch by default. A rejection is a lost answer. */
  fetch?: (url: string, init: { method: string; headers: Readonly<Record<string, string>>; body: Uint8Array<ArrayBuffer> | undefined; signal: AbortSignal }) => Promise<globalThis.Response>;
  /** Per request (AbortSignal.timeout); a request taking longer is a lost answer. Default 10000. */
  timeoutMs?: number;
  /** Aborting rejects with its reason, during a request or a wait (the state is then not known). */
  signal?: AbortSignal;
}

/** Which message proved an outcome. */
export interface Evidence {
  readonly source: 'terminate_response' | 'query_response' | 'notification';
  /** The operation id, or the notification's event_type. */
  readonly operation: string;
  /** The HTTP status (answers only). */
  readonly status: number | null;
  /** The answer's Request-ID, for support tickets. */
  readonly requestId: string | null;
  /** The notification id (notifications only). */
  readonly notificationId: string | null;
  /** The state as WeChat Pay wrote it (\`contract_state TERMINATED (MCH_API_TERMINATE)\`, …), or a 404's code. */
  readonly state: string | null;
  /** When it was received, Unix milliseconds. */
  readonly atMs: number;
}

/** The final state of one contract and how it is known. */
export interface Outcome {
  /** terminated (by this call), already_terminated (someone else ended it first), not_found, or failed (not terminated, or not confirmed). */
  readonly kind: 'terminated' | 'already_terminated' | 'not_found' | 'failed';
  /** One line for a report. */
  readonly reason: string;
  /** The answer or notification that proved it (null only for some failures). */
  readonly evidence: Evidence | null;
  /** The error behind a failure (or the refusal before already_terminated). */
  readonly error: WxpayError | null;
  readonly terminateSends: number;
  readonly querySends: number;
  /** Whether the final state is known: every kind but failed. */
  readonly confirmed: boolean;
}

/** What a Termination wants next. */
export type Step =
  | { readonly type: 'send'; readonly request: Request<unknown>; readonly purpose: 'terminate' | 'query'; readonly attempt: number }
  | { readonly type: 'wait'; readonly untilMs: number }
  | { readonly type: 'done'; readonly outcome: Outcome };

/** The host's clock (Unix milliseconds) instead of Date.now(), for tests and replays. */
export interface ClockOptions {
  nowMs?: number;
}

/**
 * One contract's terminate-and-confirm machine, step by step, for hosts that drive their own I/O
 * and journals. Bad input throws InvalidInputError here, before anything is signed.
 */
export declare class Termination<K extends TerminationId = TerminationId> {
  constructor(operation: K, params: OperationParams[K], options?: ConfirmOptions<K>);
  /** Restores a journal (the toJSON() object or its JSON text); a request then in flight counts as lost, so the query comes first. */
  static fromJSON(journal: string | object): Termination;
  /** The journal: params and counters, never a signature. */
  toJSON(): Record<string, unknown>;
  readonly operation: TerminationId;
  readonly queryOperation: OperationId;
  /** What the answer awaited is for, or null. */
  readonly inFlight: 'terminate' | 'query' | null;
  readonly outcome: Outcome | null;
  /** The last error seen, for progress displays and logs. */
  readonly lastError: WxpayError | null;
  /** What to do now; a new request is signed with the client's crypto. */
  next(client: Client, options?: ClockOptions & { nonce?: string }): Promise<Step>;
  /** Verifies the answer with client.parse and reports it (onVerified or onError). */
  onResponse(client: Client, response: ResponseLike, options?: ClockOptions): Promise<void>;
  /** A 2xx answer your own code verified: status, Request-ID and the raw body bytes. */
  onVerified(status: number, requestId: string | null, body: BodyBytes, options?: ClockOptions): void;
  /** The WxpayError the answer became (an API error, a failed verification). */
  onError(error: WxpayError, options?: ClockOptions): void;
  /** No answer arrived (fetch rejected, timed out). */
  onTransportError(options?: ClockOptions): void;
  /** A notification from parseNotification; true when it reports this contract's end (then the outcome). */
  onNotification(notification: Notification, options?: ClockOptions): boolean;
}

/** Terminates one contract and resolves to its confirmed final state (README: "Terminate with certainty"). */
export declare function terminateAndConfirm<K extends TerminationId>(client: Client, operation: K, params: OperationParams[K], options?: TerminateAndConfirmOptions<K>): Promise<Outcome>;
`;
}

export function render(catalog, policyDefaults) {
  const ops = catalog.operations;
  return `// Generated by scripts/gen-dts.mjs from the Rust core's catalog and error kinds. Do not edit.

${Object.entries(catalog.definitions).map(([name, schema]) => resultInterface(name, schema)).join('\n')}
${ops.map(paramsInterface).join('\n')}
/** The typed result of each operation id. */
export interface OperationResults {
${ops.map((op) => `  ${op.id}: ${result(op)};`).join('\n')}
}

/** The params of each operation id. */
export interface OperationParams {
${ops.map((op) => `  ${op.id}: ${pascal(op.id)}Params;`).join('\n')}
}

export type OperationId = keyof OperationResults;

/** Fixed time and nonce, for tests and replays; by default the host clock and CSPRNG. */
export interface CallOptions {
  timestamp?: number;
  nonce?: string;
}

/** A signed request, shaped for \`fetch(req.url, req)\`: send the body bytes unchanged. */
export interface Request<T = unknown> {
  readonly operation: OperationId | null;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array<ArrayBuffer> | undefined;
  /** Phantom: the result type \`parse\` returns for this request. */
  readonly __result?: T;
}

/** For keys kept elsewhere: sign \`stringToSign\` (RSASSA-PKCS1-v1_5, SHA-256), then complete. */
export declare class UnsignedRequest<T = unknown> {
  private constructor();
  readonly stringToSign: Uint8Array<ArrayBuffer>;
  readonly operation: OperationId | null;
  /** The signature as base64 text or raw bytes. */
  complete(signature: string | Uint8Array): Request<T>;
}

/** A verified success: \`data\` is the typed result, or null for 204 endpoints. */
export interface Parsed<T> {
  readonly status: number;
  readonly requestId: string | null;
  readonly data: T;
}

/** A fetch Response, or the parts of any HTTP client's response with the raw body bytes. */
export type ResponseLike =
  | Response
  | {
      status: number;
      headers: HeadersLike;
      body: BodyBytes;
    };

export interface GenericCall {
  pathParams?: Record<string, string>;
  query?: Record<string, string> | Array<[string, string]>;
  json?: unknown;
  timestamp?: number;
  nonce?: string;
}

/** The APIv3 key, keys and certificates: PEM text, or the bytes of the file. */
export type KeyMaterial = string | Uint8Array;

export interface ClientOptions {
  /** 商户号. */
  mchid: string;
  /** Merchant API certificate serial number. */
  serialNo: string;
  /** Merchant API private key PEM (PKCS#8 or PKCS#1); omit to sign with \`client.unsigned\`. */
  privateKey?: KeyMaterial;
  /** WeChat Pay public key id, PUB_KEY_ID_…; sent as Wechatpay-Serial. */
  wechatpayPublicKeyId?: string;
  /** WeChat Pay public key PEM. */
  wechatpayPublicKey?: KeyMaterial;
  /** Platform certificate PEMs (older mode, or with the public key while migrating). */
  platformCertificates?: KeyMaterial[];
  /** The merchant's APIv3 key (32 bytes): decrypts notifications. Not needed for terminate calls. */
  apiv3Key?: KeyMaterial;
  /** Replaces https://api.mch.weixin.qq.com (backup host, sandbox). */
  baseUrl?: string;
  /** Replaces https://apihk.mch.weixin.qq.com. */
  globalBaseUrl?: string;
  /** Appended to User-Agent, e.g. your application's name and version. */
  userAgentSuffix?: string;
  /** Who does the RSA work: 'auto' (default) is node:crypto in Node, else WebCrypto, else WASM. */
  crypto?: 'auto' | 'node' | 'webcrypto' | 'wasm';
}

/** Received headers: fetch Headers, Node/Express \`req.headers\`, or [name, value] pairs. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined> | Array<[string, string]>;

/** The raw body bytes, exactly as received (never decoded text: the signature covers the bytes). */
export type BodyBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

${notificationTypes(catalog.events)}
/** One downloaded, decrypted platform certificate. */
export interface DownloadedCertificate {
  /** The serial, as Wechatpay-Serial carries it. */
  readonly serial_no: string;
  /** X.509 notBefore, Unix seconds. */
  readonly not_before: number;
  /** X.509 notAfter, Unix seconds. */
  readonly not_after: number;
  /** The certificate PEM, to store or hand to another client. */
  readonly pem: string;
}

/** A verified certificate download: the certificates valid at the host's clock, in WeChat Pay's order. */
export interface CertificateSet {
  readonly certificates: readonly DownloadedCertificate[];
}

/** The reply to send WeChat Pay for a notification. */
export interface NotificationReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array<ArrayBuffer>;
  /** The same reply as a fetch Response (runtimes that have one). */
  toResponse(): Response;
}

interface SignedCalls {
${ops.map((op) => methods(op, (r) => `Promise<Request<${r}>>`)).join('\n')}
  prepare<K extends OperationId>(operation: K, params: OperationParams[K], options?: CallOptions): Promise<Request<OperationResults[K]>>;
  request(method: string, template: string, call?: GenericCall): Promise<Request<unknown>>;
  /** The platform-certificate download (\`GET /v3/certificates?algorithm_type=RSA\`, or the global host's): send it, then \`parseCertificates\`. */
  certificatesRequest(host?: 'api' | 'global', options?: CallOptions): Promise<Request<unknown>>;
}

interface UnsignedCalls {
${ops.map((op) => methods(op, (r) => `UnsignedRequest<${r}>`)).join('\n')}
  prepare<K extends OperationId>(operation: K, params: OperationParams[K], options?: CallOptions): UnsignedRequest<OperationResults[K]>;
  request(method: string, template: string, call?: GenericCall): UnsignedRequest<unknown>;
  certificatesRequest(host?: 'api' | 'global', options?: CallOptions): UnsignedRequest<unknown>;
}

export declare class Client {
  private constructor();
  static create(options: ClientOptions): Promise<Client>;
  /** Who does the RSA work. */
  readonly crypto: 'node' | 'webcrypto' | 'wasm';
  readonly verificationSerials: string[];
  /** The same operations for keys kept in a KMS or HSM (no await needed). */
  readonly unsigned: UnsignedCalls;
  parse<T>(request: Request<T> | OperationId | null, response: ResponseLike, options?: { now?: number }): Promise<Parsed<T>>;
  /** Verifies, decrypts (apiv3Key) and types the notification a fetch-style handler received. */
  parseNotification(request: globalThis.Request, options?: { now?: number }): Promise<Notification>;
  /** Verifies, decrypts (apiv3Key) and types a notification from its headers and raw body bytes. */
  parseNotification(headers: HeadersLike, body: BodyBytes, options?: { now?: number }): Promise<Notification>;
  /** 200 with {"code":"SUCCESS","message":"成功"}: send it within 5 s, then process the event. */
  notificationAck(): NotificationReply;
  /** 500 with {"code":"FAIL","message":…} so WeChat Pay retries; message is 1–64 characters. */
  notificationNack(message: string): NotificationReply;
  /** Decrypts (apiv3Key) and verifies a certificate download: the certificates valid at \`now\`. The client is unchanged. */
  parseCertificates(response: ResponseLike, options?: { now?: number }): Promise<CertificateSet>;
  /** Replaces the client's platform certificates with a downloaded set (the public key stays). */
  updateCertificates(set: CertificateSet, options?: { now?: number }): void;
  /** [serial, notAfter (Unix seconds)] of every platform certificate the client holds. */
  readonly certificates: Array<[string, number]>;
  /** Whether to download certificates now: 12 h since the last download, one expiring within 24 h, or an unknown serial seen. */
  certificatesRefreshDue(options?: { now?: number }): boolean;
}
export interface Client extends SignedCalls {}

/** 200 with {"code":"SUCCESS","message":"成功"}: send it within 5 s, then process the event. */
export declare function notificationAck(): NotificationReply;
/** 500 with {"code":"FAIL","message":…} so WeChat Pay retries; message is 1–64 characters. */
export declare function notificationNack(message: string): NotificationReply;
/** Narrows a notification to one termination event type. */
export declare function isEvent<E extends TerminationEventType>(notification: Notification, eventType: E): notification is NotificationOf<E>;

/** How the certificate helpers reach WeChat Pay: the host's fetch unless given, the main host unless 'global'. */
export interface RefreshOptions {
  fetch?: (url: string, init: Request<unknown>) => Promise<globalThis.Response>;
  host?: 'api' | 'global';
  /** Unix seconds instead of the host clock (tests). */
  now?: number;
}
/** Downloads the platform certificates if \`client.certificatesRefreshDue()\` (or \`force\`); resolves to whether it downloaded. Concurrent calls share one download. */
export declare function refreshCertificates(client: Client, options?: RefreshOptions & { force?: boolean }): Promise<boolean>;
/** Runs \`verify\`; on UnknownSerialError refreshes the certificates once (unless the serial was learnt meanwhile) and runs it again on the same bytes. */
export declare function verifyWithRefresh<T>(client: Client, verify: () => Promise<T>, options?: RefreshOptions): Promise<T>;
/** \`client.parse\` with one certificate refresh on an unknown serial; the body is read once and the same bytes verified again. */
export declare function parseWithRefresh<T>(client: Client, request: Request<T> | OperationId | null, response: ResponseLike, options?: RefreshOptions): Promise<Parsed<T>>;
/** \`client.parseNotification\` with one certificate refresh on an unknown serial. */
export declare function parseNotificationWithRefresh(client: Client, request: globalThis.Request, options?: RefreshOptions): Promise<Notification>;
export declare function parseNotificationWithRefresh(client: Client, headers: HeadersLike, body: BodyBytes, options?: RefreshOptions): Promise<Notification>;

${confirmDeclarations(ops, policyDefaults)}
/** The core's error kinds. */
export type ErrorKind = ${ERROR_KINDS.map(quote).join(' | ')};

${doc(errorClasses().find((c) => c.name === 'WxpayError').doc)}export declare class WxpayError extends Error {
  static readonly kind: string;
  readonly kind: ErrorKind | (string & {});
  /** For input and key errors: the parameter (as the API names it) or option (as you spelt it) at fault. */
  readonly field: string | null;
  /** For unknown_serial (and an expired certificate): the Wechatpay-Serial at fault. */
  readonly serial: string | null;
  /** For API errors: the HTTP status. */
  readonly status: number | null;
  /** For API errors: WeChat Pay's code, e.g. PARAM_ERROR. */
  readonly code: string | null;
  /** For API errors: WeChat Pay's own message text. */
  readonly apiMessage: string | null;
  /** For API errors: the error body's detail, parsed. */
  readonly detail: unknown;
  /** For API errors: the Request-ID header, for support tickets. */
  readonly requestId: string | null;
  /** Whether the same request may succeed if sent again (5xx and 429). */
  readonly retryable: boolean;
}
${errorDeclarations()}

/** The class thrown for each error kind. */
export declare const ERROR_CLASSES: {
${ERROR_KINDS.map((k) => `  readonly ${k}: typeof ${ERROR_CLASSES[k].name};`).join('\n')}
};
export declare function isWxpayError(value: unknown): value is WxpayError;
/** 32 upper-case hex characters from the host's CSPRNG. */
export declare function generateNonce(): string;
/** Signs bytes with a merchant key in WASM (SHA256withRSA), base64. */
export declare function signMessage(privateKeyPem: string, message: Uint8Array): string;
export declare const CATALOG: {
  operations: unknown[];
  events: { event_type: string; type: string; schema: unknown }[];
  definitions: Record<string, unknown>;
};
export declare const OPERATIONS: readonly OperationId[];
export declare const ERROR_KINDS: readonly ErrorKind[];
`;
}

const text = render(CATALOG, JSON.parse(confirmPolicyDefaults()));
if (process.argv.includes('--check')) {
  if (readFileSync(OUT, 'utf8') !== text) {
    console.error('index.d.ts is stale: run `node bindings-wasm/scripts/gen-dts.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT.pathname}`);
}
