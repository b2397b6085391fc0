// Node side of `make bench`: the npm package on its WebCrypto and WASM paths against
// wechatpay-axios-plugin's signing building blocks (Formatter + Rsa, i.e. node:crypto / OpenSSL).
// Run from target/bench/node (where `make bench` installs both packages); prints µs per call.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import * as wt from 'wxpay-terminate';

const require = createRequire(import.meta.url);
const { Formatter, Rsa } = require('wechatpay-axios-plugin');

const ROOT = process.env.WXPAY_REPO_ROOT;
const KEYS = join(ROOT, 'tests/vectors/keys');
const key = readFileSync(join(KEYS, 'merchant_go_pkcs8.pem'), 'utf8');
const certs = ['platform_cert_a.pem', 'platform_cert_b.pem'].map((f) => readFileSync(join(KEYS, f), 'utf8'));
const PARAMS = { plan_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: '用户解约' };
const PATH = '/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate';

/** Median over batches of the mean µs per call (async-aware). */
async function perCall(fn, { batch = 200, batches = 7, warmup = 50 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    samples.push(((performance.now() - start) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const results = {};
for (const crypto of ['node', 'webcrypto', 'wasm']) {
  const client = await wt.Client.create({ mchid: '1234567890', serialNo: 'F5765756002FDD77', privateKey: key, platformCertificates: certs, crypto });
  results[`node_${crypto}_sign_us`] = await perCall(() => client.terminatePapayContract(PARAMS, { timestamp: 1700000000, nonce: 'N' }), crypto === 'wasm' ? { batch: 20, batches: 5, warmup: 5 } : {});
  const c = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/cases/response/papay_200_cert_a.json'), 'utf8'));
  const response = { status: 200, headers: c.response.headers, body: new TextEncoder().encode(c.response.body) };
  results[`node_${crypto}_parse_verify_us`] = await perCall(() => client.parse('terminate_papay_contract', response, { now: c.now }), { batch: 500 });
}
const unsignedClient = await wt.Client.create({ mchid: '1234567890', serialNo: 'F5765756002FDD77', platformCertificates: certs });
results.node_prepare_unsigned_us = await perCall(() => unsignedClient.unsigned.terminatePapayContract(PARAMS, { timestamp: 1700000000, nonce: 'N' }), { batch: 2000 });

const privateKey = Rsa.from(key, 'private');
const body = JSON.stringify({ contract_termination_remark: '用户解约' });
results.peer_axios_plugin_us = await perCall(() => {
  const nonce = Formatter.nonce();
  const timestamp = Formatter.timestamp();
  const signature = Rsa.sign(Formatter.request('POST', PATH, timestamp, nonce, body), privateKey);
  return Formatter.authorization('1234567890', nonce, signature, timestamp, 'F5765756002FDD77');
});

mkdirSync(join(ROOT, 'target/bench'), { recursive: true });
writeFileSync(join(ROOT, 'target/bench/node.json'), `${JSON.stringify(results, null, 2)}\n`);
for (const [k, v] of Object.entries(results)) console.log(`node: ${k} = ${v.toFixed(2)}`);
