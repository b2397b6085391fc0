import logging
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, Request, Response
import wxpay_terminate as wt

log = logging.getLogger("wxpay.notify")
client = wt.Client(
    mchid="1900007291",
    serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
    private_key=Path("apiclient_key.pem"),
    wechatpay_public_key_id="PUB_KEY_ID_0119000072912025112400000000000099",
    wechatpay_public_key=Path("pub_key.pem"),
    apiv3_key=Path("apiv3_key.txt"),                  # the 32-byte APIv3 key, no trailing newline
)
app = FastAPI()
seen = set()                                          # notification ids; use your database


def record(n: wt.Notification) -> bool:
    """Remembers the id; False for a re-delivery. In production: INSERT … ON CONFLICT DO NOTHING."""
    if n["id"] in seen:
        return False
    seen.add(n["id"])
    return True


def refused(error: wt.WxpayError) -> None:
    log.warning("notification refused: %s", error)


def handle(n: wt.Notification) -> None:
    """Your business logic, run after the reply went out."""
    if wt.is_event(n, "ENTRUST.TERMINATE"):
        contract = n["resource"]                      # a wt.PapayTerminated
        log.info("contract %s is %s", contract["contract_id"], contract["contract_state"])


@app.post("/wxpay/notify")
async def wxpay_notify(request: Request, background: BackgroundTasks) -> Response:
    body = await request.body()                       # raw bytes, not await request.json()
    try:
        n = client.parse_notification(request.headers, body)
    except wt.WxpayError as e:                        # forged, tampered, wrong key, stale, unknown serial
        refused(e)
        reply = wt.notification_nack("verification failed")       # 500: WeChat Pay delivers it again
    else:
        try:
            if record(n):                             # de-duplicate on id: WeChat Pay re-delivers
                background.add_task(handle, n)        # runs after the response is sent
            reply = wt.notification_ack()             # 200 {"code":"SUCCESS","message":"成功"}, at once
        except Exception:
            log.exception("could not record notification %s", n["id"])
            reply = wt.notification_nack("try again later")
    return Response(reply.body, reply.status, reply.headers)
