// make demo, Node part: terminate the four seed contracts on the sandbox with fetch (WebCrypto signing).
import { readFileSync } from 'node:fs';
import * as wt from '../bindings-wasm/js/node.mjs';

const root = new URL('..', import.meta.url);
const plan = JSON.parse(readFileSync(new URL('tests/sandbox/e2e_plan.json', root), 'utf8'));
const sandbox = process.env.SANDBOX_URL;
const m = plan.merchant;
const file = (p) => readFileSync(new URL(p, root), 'utf8');
const camel = (id) => id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The identifying fields and the new state, as a reader wants them. */
function summary(data) {
  if (data === null) return 'empty (204): the termination is done';
  const inner = data.contract_info ?? data;
  return ['mchid', 'service_id', 'plan_id', 'out_contract_code', 'contract_id', 'contract_state']
    .filter((k) => k in inner)
    .map((k) => `${k}=${inner[k]}`)
    .join(', ');
}

const client = await wt.Client.create({
  mchid: m.mchid,
  serialNo: m.serial_no,
  privateKey: file(m.private_key),
  wechatpayPublicKeyId: m.wechatpay_public_key_id,
  wechatpayPublicKey: file(m.wechatpay_public_key),
  baseUrl: sandbox,
});

for (const step of plan.terminations.filter((t) => plan.seed_operations.includes(t.operation))) {
  const req = await client[camel(step.operation)](step.params);
  const res = await fetch(req.url, req);
  const serial = res.headers.get('Wechatpay-Serial');
  const result = await client.parse(req, res);
  console.log(`  ${req.method} ${req.url.slice(sandbox.length)}`);
  console.log(`    → ${result.status}, signature verified with ${client.crypto} (${serial}), Request-ID ${result.requestId}`);
  console.log(`    typed result: ${summary(result.data)}`);
}

const req = await client.terminatePapayContract({ plan_id: 12535, out_contract_code: 'wxwtdk20200910100001', contract_termination_remark: '用户解约' });
const res = await fetch(req.url, { ...req, headers: { ...req.headers, 'X-Sandbox-Fault': 'tampered_body' } });
try {
  await client.parse(req, res);
  throw new Error('a tampered response was accepted');
} catch (e) {
  if (!(e instanceof wt.SignatureError)) throw e;
  console.log(`  tampered response → rejected: ${e.name}: ${e.message}`);
}

// A contract the user ends inside WeChat: the sandbox POSTs a signed, encrypted ENTRUST.TERMINATE to
// our notify_url; a node:http server reads the raw bytes, acknowledges, then processes the event.
import { createServer } from 'node:http';

const merchants = JSON.parse(file('tests/sandbox/merchants.json')).merchants;
const receiver = await wt.Client.create({
  mchid: m.mchid,
  serialNo: m.serial_no,
  wechatpayPublicKeyId: m.wechatpay_public_key_id,
  wechatpayPublicKey: file(m.wechatpay_public_key),
  apiv3Key: merchants.find((x) => x.mchid === m.mchid).apiv3_key,
});
let deliver;
const arrived = new Promise((resolve) => { deliver = resolve; });
const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const headers = Object.entries(request.headers).map(([n, v]) => [n, String(v)]);
  let event = null;
  let reply;
  try {
    event = await receiver.parseNotification(headers, new Uint8Array(Buffer.concat(chunks)));
    reply = wt.notificationAck();
  } catch (e) {
    reply = wt.notificationNack(e.name);
  }
  response.writeHead(reply.status, reply.headers);
  response.end(Buffer.from(reply.body));
  if (event) deliver(event); // processed after the reply went out
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const control = (path, doc) => fetch(sandbox + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc) });
await control(`/sandbox/merchants/${m.mchid}/notify-url`, { notify_url: `http://127.0.0.1:${server.address().port}/notify` });
await control('/sandbox/contracts/terminate', { contract: 'papay_partner:12535:wxwtdk20200910200001', mode: 'USER_TERMINATE' });
const event = await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('no notification within 15 s')), 15000))]);
console.log(`  notification ${event.event_type} id=${event.id} → verified, decrypted, acknowledged (200)`);
console.log(`    the user ended ${event.resource.out_contract_code} (${event.resource.contract_terminate_info.contract_termination_mode})`);
await control(`/sandbox/merchants/${m.mchid}/notify-url`, { notify_url: null });
server.close();
