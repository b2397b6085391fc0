// ESM: every shared vector on each RSA path (node:crypto, WebCrypto, WASM), imported by package name.
import test from 'node:test';
import * as wt from 'wxpay-terminate';
import { registerVectorTests } from './vector-runner.mjs';

registerVectorTests(test, wt, 'node');
registerVectorTests(test, wt, 'webcrypto');
registerVectorTests(test, wt, 'wasm');
