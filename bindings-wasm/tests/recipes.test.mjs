// The README's notification recipes (extracted from the installed README) as real servers on
// loopback receiving the sandbox's notifications: Express with express.raw, and the fetch-style
// handler behind a tiny node:http adapter. Deno and Bun serve the same handler natively
// (runtimes.test.mjs).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as wt from 'wxpay-terminate';
import { startSandbox } from './sandbox.mjs';
import { extractRecipes, recipePath } from './readme.mjs';
import { fetchAdapter, loadE2E, report, serve } from './node-harness.mjs';
import { notifyCases } from './portable/notify.mjs';
import { runCases } from './portable/e2e.mjs';

let sandbox;
let recipes;
before(async () => {
  assert.deepEqual(extractRecipes().sort(), ['certificates.mjs', 'confirm.mjs', 'notify-express.mjs', 'notify-fetch.mjs', 'quickstart.mjs']);
  recipes = { express: await import(recipePath('notify-express.mjs')), fetch: await import(recipePath('notify-fetch.mjs')) };
  sandbox = await startSandbox();
});
after(async () => { await sandbox?.stop(); });

/** A receiver: the recipe's app or handler for the current client, and a switch to fail deliveries. */
async function receiver(kind) {
  const notify = { processed: [], errors: [], client: null, failing: 0 };
  const seen = new Set();
  const options = { process: (n) => { notify.processed.push(n); }, onError: (e) => { notify.errors.push(e); }, seen };
  let inner = null;
  notify.use = (client) => {
    notify.client = client;
    seen.clear();
    inner = kind === 'express' ? recipes.express.notifyApp(client, options) : fetchAdapter(recipes.fetch.notifyHandler(client, options));
  };
  notify.failNext = (n) => { notify.failing = n; };
  const server = await serve((req, res) => {
    if (notify.failing > 0) {
      notify.failing -= 1;
      res.writeHead(503).end('deploying');
      return;
    }
    inner(req, res);
  });
  notify.url = server.url;
  notify.close = server.close;
  return notify;
}

for (const kind of ['express', 'fetch']) {
  test(`${kind} recipe`, async (t) => {
    const notify = await receiver(kind);
    try {
      const { plan, files } = loadE2E();
      await report(t, await runCases(notifyCases(wt, { sandboxUrl: sandbox.url, plan, files, crypto: 'auto', notify, label: `node ${kind}` })));
    } finally {
      await notify.close();
    }
  });
}

