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
