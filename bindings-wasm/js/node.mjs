// Node.js entry (ESM). The CommonJS entry dist/index.cjs is this file bundled by esbuild.
import { readFileSync } from 'node:fs';
import * as wasm from '../pkg/wxpay_terminate_wasm.js';
import { makeApi } from './client.js';

wasm.initSync({ module: readFileSync(new URL('../pkg/wxpay_terminate_wasm_bg.wasm', import.meta.url)) });

export const { Client, UnsignedRequest, generateNonce, isWxpayError, CATALOG, OPERATIONS, ERROR_KINDS, signMessage } = makeApi(wasm);
export * from './errors.js';
