// Edge runtimes that import .wasm files as compiled modules (Cloudflare Workers, Vercel Edge).
// Not exercised by this repository's tests (no such runtime on its machines); Node and Chromium are.
import * as wasm from '../pkg/wxpay_terminate_wasm.js';
import wasmModule from '../pkg/wxpay_terminate_wasm_bg.wasm';
import { makeApi } from './client.js';

wasm.initSync({ module: wasmModule });

export const { Client, UnsignedRequest, generateNonce, notificationAck, notificationNack, isEvent, CATALOG, OPERATIONS, ERROR_KINDS, ERROR_CLASSES, signMessage } = makeApi(wasm);
export * from './errors.js';
