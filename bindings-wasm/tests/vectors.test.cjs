// CommonJS: the same vectors through `require('wxpay-terminate')`.
const test = require('node:test');
const assert = require('node:assert/strict');
const wt = require('wxpay-terminate');

test('CommonJS build: every shared vector on each crypto path', async (t) => {
  const { registerVectorTests } = await import('./vector-runner.mjs');
  assert.equal(typeof wt.Client.create, 'function');
  assert.equal(wt.OPERATIONS.length, 19);
  const pending = [];
  for (const crypto of ['node', 'webcrypto', 'wasm']) {
    registerVectorTests((name, fn) => pending.push(t.test(name, fn)), wt, crypto);
  }
  await Promise.all(pending);
});
