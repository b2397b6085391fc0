// ESM: every shared vector on both signing paths, imported by package name.
import test from 'node:test';
import * as wt from 'wxpay-terminate';
import { registerVectorTests } from './vector-runner.mjs';

registerVectorTests(test, wt, 'webcrypto');
registerVectorTests(test, wt, 'wasm');
