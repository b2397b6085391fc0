// Platform certificates over their life, with the host's `fetch`: keep a client's set fresh, and
// verify with one refresh when WeChat Pay starts signing with a certificate the client has not
// downloaded yet. Plain functions over the Client's certificate methods; no state of their own
// but the download in flight per client (so concurrent callers share one download).

const inflight = new WeakMap();

function stamp(now) {
  return now === undefined ? {} : { now };
}

/**
 * Downloads the platform certificates when `client.certificatesRefreshDue()` says so (or always
 * with `force`): `certificatesRequest` → `fetch` → `parseCertificates` → `updateCertificates`.
 * Resolves to whether it downloaded. Callers while a download runs share it.
 */
export function refreshCertificates(client, { fetch: fetchImpl, host = 'api', force = false, now } = {}) {
  const running = inflight.get(client);
  if (running !== undefined) return running;
  if (!force && !client.certificatesRefreshDue(stamp(now))) return Promise.resolve(false);
  const send = fetchImpl ?? ((url, init) => globalThis.fetch(url, init));
  const download = (async () => {
    const req = await client.certificatesRequest(host);
    const res = await send(req.url, req);
    const set = await client.parseCertificates(res, stamp(now));
    client.updateCertificates(set, stamp(now));
    return true;
  })();
  const shared = download.finally(() => inflight.delete(client));
  inflight.set(client, shared);
  return shared;
}

/**
 * Runs `verify` (a function that verifies bytes already read: a response's or a notification's);
 * on `UnknownSerialError` refreshes the certificates once, unless another call already taught the
 * client that serial, and runs `verify` again on the same bytes. Never resends anything.
 */
export async function verifyWithRefresh(client, verify, options = {}) {
  try {
    return await verify();
  } catch (e) {
    if (!(e !== null && typeof e === 'object' && e.kind === 'unknown_serial')) throw e;
    const known = typeof e.serial === 'string' && client.verificationSerials.includes(e.serial);
    if (!known) await refreshCertificates(client, { ...options, force: true });
    return verify();
  }
}

async function responseParts(response) {
  if (response && typeof response.arrayBuffer === 'function' && typeof response.status === 'number') {
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
  }
  return response;
}

/**
 * `client.parse(request, response)` with one certificate refresh on an unknown serial: the
 * response body is read once and the same bytes verified again after the download.
 */
export async function parseWithRefresh(client, request, response, options = {}) {
  const parts = await responseParts(response);
  const { now } = options;
  return verifyWithRefresh(client, () => client.parse(request, parts, stamp(now)), options);
}

/**
 * `client.parseNotification` with one certificate refresh on an unknown serial. Takes a fetch
 * `Request` or (headers, raw body bytes), like parseNotification; the body is read once.
 */
export async function parseNotificationWithRefresh(client, request, ...rest) {
  let headers = request;
  let body;
  let options;
  if (request && typeof request.arrayBuffer === 'function' && request.headers) {
    headers = request.headers;
    body = new Uint8Array(await request.arrayBuffer());
    options = rest[0] ?? {};
  } else {
    body = rest[0];
    options = rest[1] ?? {};
  }
  return verifyWithRefresh(client, () => client.parseNotification(headers, body, stamp(options.now)), options);
}
