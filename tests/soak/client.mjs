// The Node soak client (tests/soak/run.py starts it from a scratch install of the packed npm
// package): terminates every contract of $SOAK_CONTRACTS, $SOAK_CONCURRENCY at a time, through
// the package's Termination machines over fetch; receives the sandbox's termination
// notifications on its own notify_url (verifying, acknowledging and de-duplicating them, and
// offering each to the contract it names); samples its resident memory; writes the summary
// run.py checks to $SOAK_OUT.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Client, Termination, notificationAck, notificationNack } from 'wxpay-terminate';

const env = process.env;
const URL = env.SANDBOX_URL;
const TIMEOUT_MS = Number(env.SOAK_TIMEOUT_MS ?? '1000');
const client = await Client.create({
  mchid: env.SOAK_MCHID,
  serialNo: env.SOAK_SERIAL_NO,
  privateKey: readFileSync(env.SOAK_PRIVATE_KEY_FILE, 'utf8'),
  wechatpayPublicKeyId: env.SOAK_PUBLIC_KEY_ID,
  wechatpayPublicKey: env.SOAK_PUBLIC_KEY,
  apiv3Key: env.SOAK_APIV3_KEY,
  baseUrl: URL,
  globalBaseUrl: URL,
});
const contracts = JSON.parse(readFileSync(env.SOAK_CONTRACTS, 'utf8'));
const POLICY = { backoffInitialMs: 100, backoffMaxMs: 2000, maxTerminateSends: 12, maxQuerySends: 12 };
const machines = new Map(); // out_contract_code → its machine, while undecided
const seen = new Set();
const notifications = { received: 0, unique: 0, rejected: 0, confirmed_a_contract: 0 };
let requests = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    notifications.received += 1;
    let n;
    try {
      n = await client.parseNotification(req.headers, Buffer.concat(chunks));
    } catch {
      notifications.rejected += 1;
      const nack = notificationNack('verification failed');
      res.writeHead(nack.status, nack.headers).end(Buffer.from(nack.body));
      return;
    }
    const ack = notificationAck();
    res.writeHead(ack.status, ack.headers).end(Buffer.from(ack.body));
    if (seen.has(n.id)) return; // WeChat Pay re-delivers: acknowledged again, processed once
    seen.add(n.id);
    notifications.unique += 1;
    const machine = machines.get(n.resource?.out_contract_code);
    if (machine?.onNotification(n)) notifications.confirmed_a_contract += 1;
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const notifyUrl = `http://127.0.0.1:${server.address().port}/notify`;
await fetch(`${URL}/sandbox/merchants/${env.SOAK_MCHID}/notify-url`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ notify_url: notifyUrl }),
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function terminate(contract) {
  const machine = new Termination(contract.operation, contract.params, { policy: POLICY });
  const code = contract.params.out_contract_code;
  machines.set(code, machine);
  let step;
  for (;;) {
    step = await machine.next(client);
    if (step.type === 'done') break;
    if (step.type === 'wait') {
      await sleep(step.untilMs - Date.now());
      continue;
    }
    requests += 1;
    let res;
    try {
      res = await fetch(step.request.url, { ...step.request, signal: AbortSignal.timeout(TIMEOUT_MS) });
      res = { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
    } catch {
      machine.onTransportError();
      continue;
    }
    await machine.onResponse(client, res);
  }
  machines.delete(code);
  const { outcome } = step;
  return { id: contract.id, kind: outcome.kind, source: outcome.evidence?.source ?? null,
    request_id: outcome.evidence?.requestId ?? null };
}

// Resident memory after a full collection (run.py starts node with --expose-gc), as the Kotlin
// client samples after System.gc(): V8 grows its heap reservation lazily under load (seen: heap
// used 30 → 21 MB while heap reserved went 52 → 87 MB over 3000 contracts), which is the
// collector's sizing, not memory the library holds. Periodic samples (the max) stay as they come.
const settledRss = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  return rss();
};
const rss = () => Math.round(process.memoryUsage().rss / 1024);
const samples = [];
const sampler = setInterval(() => samples.push(rss()), 500);
const started = performance.now();
const outcomes = new Array(contracts.length);
let next = 0;
let startRss = null;
let finished = 0;
const concurrency = Number(env.SOAK_CONCURRENCY ?? '16');
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < contracts.length) {
    const i = next++;
    outcomes[i] = await terminate(contracts[i]);
    finished += 1;
    if (startRss === null && finished >= contracts.length / 10) startRss = settledRss(); // after warm-up
  }
}));
await sleep(1500); // the last notifications
clearInterval(sampler);
const endRss = settledRss();
server.close();
writeFileSync(env.SOAK_OUT, JSON.stringify({
  language: 'node',
  seconds: Math.round((performance.now() - started) / 100) / 10,
  requests,
  outcomes,
  notifications,
  rss_kb: { start: startRss ?? endRss, end: endRss, max: Math.max(endRss, ...samples) },
}));
