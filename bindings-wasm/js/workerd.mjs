// Edge runtimes that import .wasm files as compiled modules (Cloudflare Workers, Vercel Edge).
// Tested on workerd itself (tests/workerd/): bundled like wrangler does, the .wasm a module.
import * as wasm from '../pkg/wxpay_terminate_wasm.js';
import wasmModule from '../pkg/wxpay_terminate_wasm_bg.wasm';
import { makeApi } from './client.js';

wasm.initSync({ module: wasmModule });

export const { Client, UnsignedRequest, Termination, terminateAndConfirm, generateNonce, notificationAck, notificationNack, isEvent, CATALOG, OPERATIONS, ERROR_KINDS, ERROR_CLASSES, signMessage } = makeApi(wasm);
export * from './errors.js';
export * from './certificates.js';
