// Runs inside Deno or Bun (spawned by runtimes.test.mjs): the package imported by name as that
// runtime resolves it, every vector on each crypto path it has, the sandbox e2e, and the README's
// fetch-style notification recipe served natively (Deno.serve / Bun.serve), and the recovery from a
// panic inside the core (portable/recovery.mjs). Prints one line:
// WXPAY_RESULTS {"runtime", "auto", "results": [{name, ok, error}]}.
import * as wt from 'wxpay-terminate';
import { loadData } from '../vector-runner.mjs';
import { loadE2E } from '../node-harness.mjs';
import { runVectors } from '../portable/vectors.mjs';
import { recoveryCases } from '../portable/recovery.mjs';
import { e2eCases, runCases } from '../portable/e2e.mjs';
import { notifyCases } from '../portable/notify.mjs';
import { call } from '../recipes/certificates.mjs';
import { notifyHandler } from '../recipes/notify-fetch.mjs';

const runtime = typeof Deno !== 'undefined' ? 'deno' : typeof Bun !== 'undefined' ? 'bun' : 'unknown';
const sandboxUrl = process.env.SANDBOX_URL;
const data = loadData();
const { plan, files } = loadE2E();
const m = plan.merchant;
const probe = await wt.Client.create({ mchid: m.mchid, serialNo: m.serial_no, privateKey: files[m.private_key], wechatpayPublicKeyId: m.wechatpay_public_key_id, wechatpayPublicKey: files[m.wechatpay_public_key] });
const results = [{ name: `[${runtime}] crypto 'auto' is the runtime's native RSA`, ok: ['node', 'webcrypto'].includes(probe.crypto), error: probe.crypto }];

/** The recipe's handler, natively served; a switch to fail deliveries with 503. */
function nativeServer(handlerFor) {
  const notify = { processed: [], errors: [], failing: 0 };
  const seen = new Set();
  let handler = null;
  notify.use = (client) => {
    seen.clear();
    handler = handlerFor(client, { process: (n) => { notify.processed.push(n); }, onError: (e) => { notify.errors.push(e); }, seen });
  };
  notify.failNext = (n) => { notify.failing = n; };
  const serveOne = (request) => {
    if (notify.failing > 0) {
      notify.failing -= 1;
      return new Response('deploying', { status: 503 });
    }
    return handler(request);
  };
  if (runtime === 'deno') {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, serveOne);
    notify.url = `http://127.0.0.1:${server.addr.port}/wxpay/notify`;
    notify.close = () => server.shutdown();
  } else {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: serveOne });
    notify.url = `http://127.0.0.1:${server.port}/wxpay/notify`;
    notify.close = () => server.stop(true);
  }
  return notify;
}

const paths = ['node', 'webcrypto', 'wasm'];
for (const crypto of paths) results.push(...(await runVectors(wt, crypto, data)).map((r) => ({ ...r, name: `[${runtime}] ${r.name}` })));
for (const crypto of paths) results.push(...(await runCases(recoveryCases(wt, crypto, data))).map((r) => ({ ...r, name: `[${runtime}] ${r.name}` })));
const notify = nativeServer(notifyHandler);
try {
  for (const crypto of paths) {
    const cases = e2eCases(wt, { sandboxUrl, plan, files, crypto, call, notify });
    results.push(...(await runCases(cases)).map((r) => ({ ...r, name: `[${runtime}] e2e ${r.name}` })));
  }
  const label = `${runtime} ${runtime === 'deno' ? 'Deno.serve' : 'Bun.serve'}`;
  results.push(...(await runCases(notifyCases(wt, { sandboxUrl, plan, files, crypto: 'auto', notify, label }))));
} finally {
  await notify.close();
}
console.log(`WXPAY_RESULTS ${JSON.stringify({ runtime, auto: probe.crypto, results })}`);
