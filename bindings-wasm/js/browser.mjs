// Browsers, bundlers and Deno: the .wasm is fetched next to this module (top-level await).
import * as wasm from '../pkg/wxpay_terminate_wasm.js';
import { makeApi } from './client.js';

await wasm.default({ module_or_path: new URL('../pkg/wxpay_terminate_wasm_bg.wasm', import.meta.url) });

export const { Client, UnsignedRequest, Termination, terminateAndConfirm, generateNonce, notificationAck, notificationNack, isEvent, CATALOG, OPERATIONS, ERROR_KINDS, ERROR_CLASSES, signMessage } = makeApi(wasm);
export * from './errors.js';
export * from './certificates.js';
