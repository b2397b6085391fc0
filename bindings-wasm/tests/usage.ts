// Type-checked (tsc --strict) against the installed package: the declarations type real usage.
import {
  Client, ApiError, DecryptionError, isEvent, isWxpayError, notificationAck, notificationNack, Termination, terminateAndConfirm,
  type ErrorKind, type Notification, type Outcome, type PapayContract, type Parsed, type PapayTerminated, type Step,
} from 'wxpay-terminate';

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
    if (e instanceof ApiError && e.retryable) return `retry ${e.status} ${e.code} ${e.apiMessage} ${e.requestId}`;
    if (isWxpayError(e)) {
      const kind: ErrorKind | string = e.kind;
      return `${kind} ${e.field ?? ''} ${e.message}`;
    }
    throw e;
  }
}

/** A fetch-style notify_url handler (Workers, Deno, Bun, Next.js route handlers). */
export function handler(client: Client) {
  return async (request: Request): Promise<Response> => {
    let notification: Notification;
    try {
      notification = await client.parseNotification(request);
    } catch (e) {
      const reason = e instanceof DecryptionError ? 'decryption failed' : 'verification failed';
      return notificationNack(reason).toResponse();
    }
    if (isEvent(notification, 'ENTRUST.TERMINATE')) {
      const resource: PapayTerminated = notification.resource;
      const plan: number = resource.plan_id;
      const mode: string | undefined = resource.contract_terminate_info?.contract_termination_mode;
      void [plan, mode];
    } else if (notification.event_type === 'WEBIZPAY.REVOKED') {
      const other: Record<string, unknown> | object = notification.resource;
      void other;
    }
    const id: string = notification.id;
    void id;
    return client.notificationAck().toResponse();
  };
}

/** Express-style: headers object and the raw body Buffer (express.raw). */
export async function express(client: Client, headers: Record<string, string | string[] | undefined>, body: Uint8Array): Promise<number> {
  const n = await client.parseNotification(headers, body, { now: 1700000000 });
  const reply = n.event_type ? notificationAck() : notificationNack('x');
  const bytes: Uint8Array = reply.body;
  const contentType: string | undefined = reply.headers['Content-Type'];
  void [bytes, contentType];
  return reply.status;
}

await Client.create({ mchid: '1', serialNo: 'AB', apiv3Key: new Uint8Array(32), platformCertificates: ['pem'] });

// @ts-expect-error plan_id is a number
void Client.prototype.terminatePapayContract.call(null as unknown as Client, { plan_id: '1', out_contract_code: 'c', contract_termination_remark: 'r' });
// @ts-expect-error not an event type of the catalog
void isEvent(null as unknown as Notification, 'ENTRUST.TERMINATED');

export async function rotate(client: Client, downloader: Client): Promise<number> {
  const req = await downloader.certificatesRequest();
  const set = await downloader.parseCertificates(await fetch(req.url, req));
  if (client.certificatesRefreshDue()) client.updateCertificates(set);
  const held: Map<string, number> = new Map(client.certificates);
  const first: string | undefined = set.certificates[0]?.pem;
  void first;
  return held.size + client.unsigned.certificatesRequest('global').stringToSign.length;
}

/** Terminate with certainty, and the same machine step by step with a journal. */
export async function confirm(client: Client, journal: string | null): Promise<string> {
  const outcome: Outcome = await terminateAndConfirm(client, 'terminate_facepay_user_contract', { organization_id: '1000032', user_id: 'U1' }, {
    queryParams: { out_user_id: 'out1' },
    policy: { maxQuerySends: 3, backoffInitialMs: 100 },
    timeoutMs: 5000,
    signal: AbortSignal.timeout(60_000),
    fetch: (url, init) => fetch(url, init),
  });
  const source: 'terminate_response' | 'query_response' | 'notification' | undefined = outcome.evidence?.source;
  const machine = journal === null ? new Termination('terminate_papay_contract', { plan_id: 12535, out_contract_code: 'c', contract_termination_remark: 'r' }) : Termination.fromJSON(journal);
  for (;;) {
    const step: Step = await machine.next(client, { nowMs: Date.now() });
    if (step.type === 'done') return `${outcome.kind} ${source} ${step.outcome.reason} ${step.outcome.error?.kind} ${JSON.stringify(machine)}`;
    if (step.type === 'wait') {
      await new Promise((resolve) => setTimeout(resolve, step.untilMs - Date.now()));
      continue;
    }
    let res: Response;
    try {
      res = await fetch(step.request.url, step.request);
    } catch {
      machine.onTransportError();
      continue;
    }
    await machine.onResponse(client, res);
  }
}

// @ts-expect-error a query is not a termination
void terminateAndConfirm(null as unknown as Client, 'query_papay_contract', { plan_id: 1, out_contract_code: 'c' });
// @ts-expect-error not a policy field
void new Termination('terminate_eduschoolpay_contract', { contract_id: '1' }, { policy: { maxSends: 3 } });
