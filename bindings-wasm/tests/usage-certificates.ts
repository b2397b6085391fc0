// Type-checked under moduleResolution node16 and bundler: the certificate helpers.
import {
  Client, parseNotificationWithRefresh, parseWithRefresh, refreshCertificates, verifyWithRefresh,
  type Notification, type PapayContract, type Parsed,
} from 'wxpay-terminate';

export async function fresh(client: Client, request: Request): Promise<[boolean, Parsed<PapayContract>, Notification, Notification]> {
  const downloaded: boolean = await refreshCertificates(client, { force: true, host: 'api' });
  const req = await client.terminatePapayContract({ plan_id: 1, out_contract_code: 'a', contract_termination_remark: 'r' });
  const parsed = await parseWithRefresh(client, req, await fetch(req.url, req));
  const n1 = await parseNotificationWithRefresh(client, request);
  const n2 = await verifyWithRefresh(client, () => client.parseNotification({ 'wechatpay-serial': 'X' }, new Uint8Array(0)), { fetch: (url, init) => fetch(url, init) });
  return [downloaded, parsed, n1, n2];
}
