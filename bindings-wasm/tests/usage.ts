// Type-checked (tsc --strict) against the installed package: the declarations type real usage.
import { Client, ApiError, isWxpayError, type PapayContract, type Parsed } from 'wxpay-terminate';

export async function terminate(pem: string, pub: string): Promise<string> {
  const client = await Client.create({ mchid: '1900007291', serialNo: 'AB', privateKey: pem, wechatpayPublicKeyId: 'PUB_KEY_ID_1', wechatpayPublicKey: pub });
  const req = await client.terminatePapayContract({ plan_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: '用户解约' });
  const res = await fetch(req.url, req);
  try {
    const result: Parsed<PapayContract> = await client.parse(req, res);
    const state: string = result.data.contract_state;
    const remark: string | undefined = result.data.contract_terminate_info?.contract_termination_remark;
    const empty = await client.parse(await client.terminateEduschoolpayContract({ contract_id: '1' }), res);
    const nothing: null = empty.data;
    const byId = await client.prepare('terminate_credit_repayment_contract', { out_contract_code: '1', contract_termination_remark: 'r' });
    const credit = (await client.parse(byId, res)).data.contract_info?.repayment_amount_limit;
    const signed = client.unsigned.terminateEduPapayContract({ contract_id: '1' }).complete('c2ln');
    return `${state} ${remark} ${nothing} ${credit} ${signed.url}`;
  } catch (e) {
    if (e instanceof ApiError && e.retryable) return 'retry';
    if (isWxpayError(e)) return e.kind;
    throw e;
  }
}

// @ts-expect-error plan_id is a number
void Client.prototype.terminatePapayContract.call(null as unknown as Client, { plan_id: '1', out_contract_code: 'c', contract_termination_remark: 'r' });
