// Node.js entry (ESM). The CommonJS entry dist/index.cjs is this file bundled by esbuild.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as wasm from '../pkg/wxpay_terminate_wasm.js';
import { makeApi } from './client.js';

wasm.initSync({ module: readFileSync(new URL('../pkg/wxpay_terminate_wasm_bg.wasm', import.meta.url)) });

/** node:crypto (OpenSSL, synchronous): the fastest RSA in Node; WebCrypto stays selectable. */
const NODE_CRYPTO = Object.freeze({
  name: 'node',
  available: () => true,
  importPrivate: (pkcs8) => createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
  importPublic: (spki) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
  sign: (key, data) => new Uint8Array(sign('sha256', data, key)),
  verify: (key, signature, data) => verify('sha256', data, key, signature),
});

export const { Client, UnsignedRequest, Termination, terminateAndConfirm, generateNonce, notificationAck, notificationNack, isEvent, CATALOG, OPERATIONS, ERROR_KINDS, ERROR_CLASSES, signMessage } = makeApi(wasm, { node: NODE_CRYPTO });
export * from './errors.js';
export * from './certificates.js';
