// CommonJS: the same vectors through `require('wxpay-terminate')`.
const test = require('node:test');
const assert = require('node:assert/strict');
const wt = require('wxpay-terminate');

test('CommonJS build: every shared vector on each crypto path', async (t) => {
  const { registerVectorTests } = await import('./vector-runner.mjs');
  assert.equal(typeof wt.Client.create, 'function');
  // 19 terminations and the 19 queries that confirm them.
  assert.equal(wt.OPERATIONS.length, 38);
  assert.equal(new Set(wt.CATALOG.operations.map((op) => op.confirm_with).filter(Boolean)).size, 19);
  const pending = [];
  for (const crypto of ['node', 'webcrypto', 'wasm']) {
    registerVectorTests((name, fn) => pending.push(t.test(name, fn)), wt, crypto);
  }
  await Promise.all(pending);
});
