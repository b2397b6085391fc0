// CommonJS: the recovery cases (portable/recovery.mjs) through `require('wxpay-terminate')`,
// the esbuild bundle whose glue re-instantiates the module it loaded itself.
const test = require('node:test');
const wt = require('wxpay-terminate');

test('CommonJS build: a panic in the core is an InternalError and the client recovers, on each crypto path', async (t) => {
  const { loadData } = await import('./vector-runner.mjs');
  const { recoveryCases } = await import('./portable/recovery.mjs');
  const data = loadData();
  for (const crypto of ['node', 'webcrypto', 'wasm']) {
    for (const { name, fn } of recoveryCases(wt, crypto, data)) await t.test(name, fn);
  }
});
