// Platform certificates over their life against the sandbox, on every crypto path: a client that
// trusts no platform certificate bootstraps by download, the sandbox rotates and activates a new
// one, and the next answer and the next notification (README recipes: certificates.mjs and
// notify-fetch.mjs behind the node:http adapter) cost exactly one more download; no terminate is
// sent twice (GET /sandbox/log).
import test, { after, before } from 'node:test';
import * as wt from 'wxpay-terminate';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes, recipePath } from './readme.mjs';
import { fetchAdapter, loadE2E, report, serve } from './node-harness.mjs';
import { e2eCases, runCases } from './portable/e2e.mjs';

let sandbox;
let recipes;
before(async () => {
  extractRecipes();
  recipes = { certificates: await import(recipePath('certificates.mjs')), fetch: await import(recipePath('notify-fetch.mjs')) };
  sandbox = await startSandbox();
});
after(async () => { await sandbox?.stop(); });

for (const crypto of ['node', 'webcrypto', 'wasm']) {
  test(`[${crypto}] certificates e2e`, async (t) => {
    const { plan, files } = loadE2E();
    const processed = [];
    const errors = [];
    const seen = new Set();
    let client = null;
    const server = await serve(fetchAdapter((request) => recipes.fetch.notifyHandler(client, { process: (n) => processed.push(n), onError: (e) => errors.push(e), seen })(request)));
    try {
      const notify = { url: server.url, use: (c) => { client = c; }, processed, errors };
      const cases = e2eCases(wt, { sandboxUrl: sandbox.url, plan, files, crypto, call: recipes.certificates.call, notify }).filter((c) => c.name.includes('certificates over their life'));
      await report(t, await runCases(cases));
    } finally {
      await server.close();
    }
  });
}
