// Terminate one papay contract on the sandbox with the Node peer SDK wechatpay-axios-plugin (npm).
//
// Run by tests/sandbox/test_peers.py with NODE_PATH naming a node_modules that holds
// wechatpay-axios-plugin@0.9.6 (installed with `npm install --prefix DIR`):
//
//   node axios_plugin_terminate.js '{"base": "http://127.0.0.1:PORT", "mode": "platform",
//                                    "code": "wxwtdk20200910100001", "platform_serial": "3C5E…"}'
//
// `mode` is `platform` (certs maps the platform certificate serial to platform_cert.pem: the
// plugin sends no Wechatpay-Serial, so the sandbox, in its default mode, signs with the
// platform certificate), `public_key` (certs maps PUB_KEY_ID_… to wechatpay_public_key.pem;
// the test puts the merchant in public_key_only mode so the sandbox signs with the public key)
// or `both` (both entries).
//
// Prints one JSON line: `outcome` (`ok` — the plugin returned an answer; `rejected` — it threw
// one of its EV3_RES_* verification errors; `error` — anything else), `status`, `body`,
// `error`, `code`, and `rsa_checks` (each Rsa.verify the plugin ran: the result).
'use strict';

const { readFileSync } = require('fs');
const { join } = require('path');
const { Wechatpay, Rsa } = require('wechatpay-axios-plugin');

const SANDBOX = join(__dirname, '..');
const MCHID = '1900007291';
const SERIAL = '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB';
const PUB_KEY_ID = 'PUB_KEY_ID_0119000072912025112400000000000099';
const REMARK = '用户申请解约';

async function main() {
  const args = JSON.parse(process.argv[2]);
  const version = JSON.parse(readFileSync(require.resolve('wechatpay-axios-plugin/package.json'), 'utf8')).version;
  const report = { sdk: `wechatpay-axios-plugin ${version}`, mode: args.mode, rsa_checks: [] };

  // Observe, without changing, the plugin's RSA checks (its response verifier calls Rsa.verify).
  const realVerify = Rsa.verify.bind(Rsa);
  Rsa.verify = (...a) => {
    const result = realVerify(...a);
    report.rsa_checks.push(result);
    return result;
  };

  // Keys as `file://` absolute paths (the plugin reads them), as in the README.
  const keys = `file://${join(SANDBOX, 'keys')}`;
  const certs = {};
  if (args.mode !== 'public_key') certs[args.platform_serial] = `${keys}/platform_cert.pem`;
  if (args.mode !== 'platform') certs[PUB_KEY_ID] = `${keys}/wechatpay_public_key.pem`;
  const wxpay = new Wechatpay({
    baseURL: `${args.base.replace(/\/$/, '')}/`,
    mchid: MCHID,
    serial: SERIAL,
    privateKey: `file://${join(SANDBOX, '..', 'vectors', 'keys', 'merchant_doc_pkcs8.pem')}`,
    certs,
    timeout: 10000,
  });
  try {
    const res = await wxpay.v3.papay.sign.contracts['plan-id']['{plan_id}']['out-contract-code']['{out_contract_code}']
      .terminate.post(
        { contract_termination_remark: args.remark || REMARK },
        { plan_id: args.plan || 12535, out_contract_code: args.code },
      );
    Object.assign(report, { outcome: 'ok', status: res.status, body: res.data });
  } catch (err) {
    const code = err && err.code;
    Object.assign(report, {
      outcome: typeof code === 'string' && code.startsWith('EV3_RES_') ? 'rejected' : 'error',
      code,
      status: err && err.response ? err.response.status : null,
      error: String(err && err.message),
    });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err) => { process.stderr.write(`${err && err.stack}\n`); process.exit(1); });
