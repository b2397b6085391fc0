// The test worker, run on workerd (workerd.test.mjs bundles it the way wrangler does: the
// package's `workerd` export, the .wasm a compiled-module import). POST /run fetches the vectors
// and the e2e plan from the test driver, runs every vector on WebCrypto and WASM, the recovery
// from a panic inside the core (the .wasm a compiled-module import, re-instantiated), the sandbox e2e
// over fetch to 127.0.0.1, and the README's fetch-style notification recipe as this worker's
// own notify_url (/wxpay/notify), then POSTs the results to the driver.
import * as wt from 'wxpay-terminate';
import { runVectors } from '../portable/vectors.mjs';
import { recoveryCases } from '../portable/recovery.mjs';
import { e2eCases, runCases } from '../portable/e2e.mjs';
import { notifyCases } from '../portable/notify.mjs';
import { call } from '../recipes/certificates.mjs';
import { notifyHandler } from '../recipes/notify-fetch.mjs';

// Module state lives as long as the isolate: the receiver the notification cases drive.
const notify = { processed: [], errors: [], failing: 0, handler: null };
const seen = new Set();
notify.use = (client) => {
  seen.clear();
  notify.handler = notifyHandler(client, { process: (n) => { notify.processed.push(n); }, onError: (e) => { notify.errors.push(e); }, seen });
};
notify.failNext = (n) => { notify.failing = n; };

async function run({ driver, sandboxUrl, self }) {
  const { vectors, plan, files } = await (await fetch(`${driver}/data`)).json();
  const probe = await wt.Client.create({ mchid: plan.merchant.mchid, serialNo: plan.merchant.serial_no, privateKey: files[plan.merchant.private_key], wechatpayPublicKeyId: plan.merchant.wechatpay_public_key_id, wechatpayPublicKey: files[plan.merchant.wechatpay_public_key] });
  const results = [{ name: "[workerd] crypto 'auto' is WebCrypto", ok: probe.crypto === 'webcrypto', error: probe.crypto }];
  const paths = ['webcrypto', 'wasm'];
  for (const crypto of paths) results.push(...(await runVectors(wt, crypto, vectors)).map((r) => ({ ...r, name: `[workerd] ${r.name}` })));
  for (const crypto of paths) results.push(...(await runCases(recoveryCases(wt, crypto, vectors))).map((r) => ({ ...r, name: `[workerd] ${r.name}` })));
  notify.url = `${self}/wxpay/notify`;
  for (const crypto of paths) {
    results.push(...(await runCases(e2eCases(wt, { sandboxUrl, plan, files, crypto, call, notify }))).map((r) => ({ ...r, name: `[workerd] e2e ${r.name}` })));
  }
  results.push(...(await runCases(notifyCases(wt, { sandboxUrl, plan, files, crypto: 'auto', notify, label: 'workerd fetch handler' }))));
  await fetch(`${driver}/results`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ runtime: 'workerd', auto: probe.crypto, results }) });
  return results.length;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/wxpay/notify') {
      if (notify.failing > 0) {
        notify.failing -= 1;
        return new Response('deploying', { status: 503 });
      }
      if (notify.handler === null) return new Response('no client yet', { status: 503 });
      return notify.handler(request, ctx);
    }
    if (url.pathname === '/run' && request.method === 'POST') {
      try {
        return new Response(String(await run(await request.json())));
      } catch (e) {
        return new Response(String(e && e.stack ? e.stack : e), { status: 500 });
      }
    }
    return new Response('not found', { status: 404 });
  },
};
