// Node side of `make bench`: the npm package on its three crypto paths (node:crypto, the
// default; WebCrypto; pure WASM) interleaved in one process with wechatpay-axios-plugin 0.9.6
// (Formatter + Rsa, i.e. node:crypto) and OpenSSL through node:crypto (crypto.sign;
// crypto.verify + JSON.parse; crypto.verify + aes-256-gcm + JSON.parse). The scheme is
// common.py's: per figure, a first estimate of calls per slice, discarded warm-up rounds that set
// calls per slice, then ROUNDS rounds alternating the variants slice by slice, µs per call per
// round as wall and process CPU time.
// Run from target/bench/node (where `make bench` installs both packages); writes
// target/bench/node.json.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import * as wt from 'wxpay-terminate';

const require = createRequire(import.meta.url);
const { Formatter, Rsa } = require('wechatpay-axios-plugin');

const ROUNDS = Number(process.env.WXPAY_BENCH_ROUNDS ?? 15);
const BATCH = Number(process.env.WXPAY_BENCH_BATCH_S ?? 0.2);
const SLICE = Number(process.env.WXPAY_BENCH_SLICE_S ?? 0.01);
const WARMUP = Number(process.env.WXPAY_BENCH_WARMUP_S ?? 0.3);
const WARMUP_ROUNDS = Number(process.env.WXPAY_BENCH_WARMUP_ROUNDS ?? 2);

const ROOT = process.env.WXPAY_REPO_ROOT;
const KEYS = join(ROOT, 'tests/vectors/keys');
const key = readFileSync(join(KEYS, 'merchant_go_pkcs8.pem'), 'utf8');
const certs = ['platform_cert_a.pem', 'platform_cert_b.pem'].map((f) => readFileSync(join(KEYS, f), 'utf8'));
const apiv3Key = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/clients.json'), 'utf8')).go_platform.apiv3_key;
const PARAMS = { plan_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: '用户解约' };
const PATH = '/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate';
const NOW = 1700000000;

const wallNs = () => process.hrtime.bigint();
/** CPU time of the process (every thread: WebCrypto signs on the libuv pool), µs. */
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * Calls `fn` `calls` times, awaiting only what returns a promise, then (untimed) yields to the
 * event loop as a server does between requests: the finalizers that free the WASM side of
 * objects (UnsignedRequest, …) run only then. Without the yield, a synchronous loop of
 * `client.unsigned.*` calls slows from ~18 µs to ~500 µs per call over 160,000 calls.
 */
async function slice(fn, calls) {
  const cpu = cpuUs();
  const wall = wallNs();
  for (let i = 0; i < calls; i++) {
    const r = fn();
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') await r;
  }
  const timed = [Number(wallNs() - wall) / 1000, cpuUs() - cpu];
  await new Promise((resolve) => setImmediate(resolve));
  return timed;
}

async function interleave(title, command, variants) {
  const names = Object.keys(variants);
  const k = names.length;
  const slices = Math.max(1, Math.round(BATCH / SLICE));
  let perSlice = {};
  for (const name of names) {
    // A first estimate of calls per slice.
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < WARMUP * 1000 || n < 3) {
      await slice(variants[name], 1);
      n++;
    }
    perSlice[name] = Math.max(1, Math.round(SLICE / ((performance.now() - start) / 1000 / n)));
  }
  const round = async (r) => {
    const wall = Object.fromEntries(names.map((n) => [n, 0]));
    const cpu = Object.fromEntries(names.map((n) => [n, 0]));
    for (let j = 0; j < slices; j++) {
      for (let i = 0; i < k; i++) {
        const name = names[(i + r + j) % k];
        const [w, c] = await slice(variants[name], perSlice[name]);
        wall[name] += w;
        cpu[name] += c;
      }
    }
    return { wall, cpu };
  };
  // Warm-up rounds, discarded (JIT tiers, WebCrypto's worker threads); calls per slice from the last.
  for (let r = 0; r < WARMUP_ROUNDS; r++) {
    const { wall } = await round(r);
    if (r === WARMUP_ROUNDS - 1) {
      perSlice = Object.fromEntries(names.map((n) => [n, Math.max(1, Math.round((SLICE * 1e6) / (wall[n] / (perSlice[n] * slices))))]));
    }
  }
  const us = Object.fromEntries(names.map((n) => [n, []]));
  const cpuUsPerCall = Object.fromEntries(names.map((n) => [n, []]));
  const first = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { wall, cpu } = await round(r);
    for (const name of names) {
      const calls = perSlice[name] * slices;
      us[name].push(wall[name] / calls);
      cpuUsPerCall[name].push(cpu[name] / calls);
    }
    first.push(names[r % k]);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${title}: ${names.map((n) => `${n} ${median(cpuUsPerCall[n]).toFixed(2)} µs`).join(', ')} (CPU, median)`);
  return {
    title,
    command,
    variants: Object.fromEntries(names.map((n) => [n, { calls_per_slice: perSlice[n], slices, us: us[n], cpu_us: cpuUsPerCall[n] }])),
    first,
  };
}

function signedCase(relative, part) {
  const c = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/cases', relative), 'utf8'));
  const headers = c[part].headers;
  const body = new TextEncoder().encode(c[part].body);
  const h = Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v]));
  const message = Buffer.concat([Buffer.from(`${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n`), body, Buffer.from('\n')]);
  return { headers, body, now: c.now, message, signature: Buffer.from(h['wechatpay-signature'], 'base64') };
}

const clients = {};
for (const c of ['node', 'webcrypto', 'wasm']) {
  clients[c] = await wt.Client.create({ mchid: '1234567890', serialNo: 'F5765756002FDD77', privateKey: key, platformCertificates: certs, apiv3Key, crypto: c });
}
const figures = {};

const privateKey = Rsa.from(key, 'private');
const body = JSON.stringify({ contract_termination_remark: '用户解约' });
const keyObject = crypto.createPrivateKey(key);
const message = Buffer.from(clients.node.unsigned.terminatePapayContract(PARAMS, { timestamp: NOW, nonce: 'N' }).stringToSign);
const sign = (c) => () => clients[c].terminatePapayContract(PARAMS, { timestamp: NOW, nonce: 'N' });
figures.sign = await interleave(
  'build and sign one terminate request',
  "client.terminatePapayContract(params, {timestamp, nonce}) with crypto 'node' | 'webcrypto' | 'wasm' | wechatpay-axios-plugin Formatter + Rsa.sign | crypto.sign('sha256', message, key)",
  {
    node: sign('node'),
    webcrypto: sign('webcrypto'),
    wasm: sign('wasm'),
    'wechatpay-axios-plugin': () => {
      const nonce = Formatter.nonce();
      const timestamp = Formatter.timestamp();
      const signature = Rsa.sign(Formatter.request('POST', PATH, timestamp, nonce, body), privateKey);
      return Formatter.authorization('1234567890', nonce, signature, timestamp, 'F5765756002FDD77');
    },
    openssl: () => crypto.sign('sha256', message, keyObject),
  },
);

figures.unsigned = await interleave(
  'build an unsigned request (everything but RSA)',
  'client.unsigned.terminatePapayContract(params, {timestamp, nonce}) | client.certificatesRefreshDue({now})',
  {
    'wxpay-terminate': () => clients.node.unsigned.terminatePapayContract(PARAMS, { timestamp: NOW, nonce: 'N' }),
    baseline: () => clients.node.certificatesRefreshDue({ now: NOW }),
  },
);

const certKey = crypto.createPublicKey(certs[0]);
const r = signedCase('response/papay_200_cert_a.json', 'response');
const response = { status: 200, headers: r.headers, body: r.body };
const parse = (c) => () => clients[c].parse('terminate_papay_contract', response, { now: r.now });
figures.parse_verify = await interleave(
  'parse and verify a signed 200 response',
  "client.parse('terminate_papay_contract', {status, headers, body}, {now}) per crypto | crypto.verify('sha256', …) + JSON.parse",
  {
    node: parse('node'),
    webcrypto: parse('webcrypto'),
    wasm: parse('wasm'),
    'openssl+json': () => {
      if (!crypto.verify('sha256', r.message, certKey, r.signature)) throw new Error('invalid');
      return JSON.parse(Buffer.from(r.body).toString('utf8'));
    },
  },
);

const n = signedCase('notification/entrust_terminate_direct_cert_a.json', 'notification');
const aesKey = Buffer.from(apiv3Key);
const notification = (c) => () => clients[c].parseNotification(n.headers, n.body, { now: n.now });
figures.notification = await interleave(
  'parse, verify and decrypt a notification',
  "client.parseNotification(headers, body, {now}) per crypto | crypto.verify + createDecipheriv('aes-256-gcm') + JSON.parse",
  {
    node: notification('node'),
    webcrypto: notification('webcrypto'),
    wasm: notification('wasm'),
    'openssl+json': () => {
      if (!crypto.verify('sha256', n.message, certKey, n.signature)) throw new Error('invalid');
      const { resource } = JSON.parse(Buffer.from(n.body).toString('utf8'));
      const data = Buffer.from(resource.ciphertext, 'base64');
      const decipher = crypto.createDecipheriv('aes-256-gcm', aesKey, Buffer.from(resource.nonce));
      decipher.setAuthTag(data.subarray(data.length - 16));
      decipher.setAAD(Buffer.from(resource.associated_data ?? ''));
      const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString('utf8'));
    },
  },
);

mkdirSync(join(ROOT, 'target/bench'), { recursive: true });
const doc = { language: 'node', rounds: ROUNDS, batch_seconds: BATCH, slice_seconds: SLICE, warmup_seconds: WARMUP, warmup_rounds: WARMUP_ROUNDS, openssl: `OpenSSL ${process.versions.openssl} (Node ${process.version})`, figures };
writeFileSync(join(ROOT, 'target/bench/node.json'), `${JSON.stringify(doc, null, 2)}\n`);
