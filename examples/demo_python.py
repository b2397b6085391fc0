"""make demo, Python part: terminate the four seed contracts on the sandbox with requests."""
import json
import os
import sys
from pathlib import Path

import requests

import wxpay_terminate as wt

ROOT = Path(__file__).resolve().parents[1]
PLAN = json.loads((ROOT / "tests/sandbox/e2e_plan.json").read_text(encoding="utf-8"))
SANDBOX = os.environ["SANDBOX_URL"]
m = PLAN["merchant"]

client = wt.Client(
    mchid=m["mchid"],
    serial_no=m["serial_no"],
    private_key=ROOT / m["private_key"],
    wechatpay_public_key_id=m["wechatpay_public_key_id"],
    wechatpay_public_key=ROOT / m["wechatpay_public_key"],
    base_url=SANDBOX,
)


def summary(data: object) -> str:
    """The identifying fields and the new state, as a reader wants them."""
    if data is None:
        return "empty (204): the termination is done"
    assert isinstance(data, dict)
    inner = data.get("contract_info", data)
    keys = ("mchid", "service_id", "plan_id", "out_contract_code", "contract_id", "contract_state")
    return ", ".join(f"{k}={inner[k]}" for k in keys if k in inner)


def send(req: wt.Request) -> requests.Response:
    return requests.request(req.method, req.url, headers=req.headers, data=req.body, timeout=10)


for step in (t for t in PLAN["terminations"] if t["operation"] in PLAN["seed_operations"]):
    req = getattr(client, step["operation"])(**step["params"])
    r = send(req)
    result = client.parse(req, r.status_code, r.headers, r.content)
    print(f"  {req.method} {req.url[len(SANDBOX):]}")
    print(f"    → {result.status}, signature verified ({r.headers['Wechatpay-Serial']}), Request-ID {result.request_id}")
    print(f"    typed result: {summary(result.data)}")

# One tampered answer: the sandbox changes a byte of the body after signing it.
req = client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100001", contract_termination_remark="用户解约")
r = requests.request(req.method, req.url, headers={**req.headers, "X-Sandbox-Fault": "tampered_body"}, data=req.body, timeout=10)
try:
    client.parse(req, r.status_code, r.headers, r.content)
    sys.exit("a tampered response was accepted")
except wt.SignatureError as e:
    print(f"  tampered response → rejected: {type(e).__name__}: {e}")

# A contract the user ends inside WeChat: the sandbox POSTs a signed, encrypted ENTRUST.TERMINATE
# to our notify_url; a stdlib HTTP server receives it, acknowledges, then processes it.
import http.server
import queue
import threading
import urllib.request

merchants = json.loads((ROOT / "tests/sandbox/merchants.json").read_text(encoding="utf-8"))["merchants"]
apiv3_key = next(x["apiv3_key"] for x in merchants if x["mchid"] == m["mchid"])
receiver = wt.Client(
    mchid=m["mchid"],
    serial_no=m["serial_no"],
    wechatpay_public_key_id=m["wechatpay_public_key_id"],
    wechatpay_public_key=ROOT / m["wechatpay_public_key"],
    apiv3_key=apiv3_key,
)
events: "queue.Queue[dict]" = queue.Queue()


class Notify(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = receiver.parse_notification(self.headers.items(), body)
            reply = wt.notification_ack()
        except wt.WxpayError as e:
            event, reply = None, wt.notification_nack(type(e).__name__)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        if event is not None:
            events.put(event)  # processed after the reply went out

    def log_message(self, *args: object) -> None:
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Notify)
threading.Thread(target=server.serve_forever, daemon=True).start()


def control(path: str, doc: dict) -> None:
    data = json.dumps(doc).encode()
    urllib.request.urlopen(urllib.request.Request(SANDBOX + path, data=data, method="POST",
                                                  headers={"Content-Type": "application/json"}), timeout=10).read()


control(f"/sandbox/merchants/{m['mchid']}/notify-url", {"notify_url": f"http://127.0.0.1:{server.server_port}/notify"})
control("/sandbox/contracts/terminate", {"contract": "papay_partner:12535:wxwtdk20200910200001", "mode": "USER_TERMINATE"})
event = events.get(timeout=15)
info = event["resource"]["contract_terminate_info"]
print(f"  notification {event['event_type']} id={event['id']} → verified, decrypted, acknowledged (200)")
print(f"    the user ended {event['resource']['out_contract_code']} ({info['contract_termination_mode']})")
control(f"/sandbox/merchants/{m['mchid']}/notify-url", {"notify_url": None})
server.shutdown()
