"""Cold start for `make bench`: a fresh process imports the library and builds and signs one
terminate request, ours against the peer, launched in interleaved pairs (ours first in even
pairs, the peer first in odd ones) after one discarded launch of each (page cache).

- Python: `python -c` importing wxpay_terminate against wechatpayv3 2.0.4 (build_authorization).
- Node: `node` importing the npm package (ESM) against wechatpay-axios-plugin 0.9.6 (Formatter + Rsa).
- JVM: a fresh JVM running ColdStartKt with the binding against the JDK's SHA256withRSA by hand.

Each launch is timed as wall time (launch to exit) and as the child's CPU time (user + system,
every thread, from wait4). Writes target/bench/cold_start.json in the figures format.
"""
import os
import subprocess
import sys
import time

from common import OUT, ROOT, save

# One launch's CPU time varies by ±15 % (Node compiles the .wasm and V8 code on background threads,
# the JVM its JIT tiers), so the median needs many pairs to hold within a few per cent run to run.
PAIRS = int(os.environ.get("WXPAY_BENCH_COLD_PAIRS", "40"))
JVM_PAIRS = int(os.environ.get("WXPAY_BENCH_JVM_PAIRS", "25"))
KEYS = ROOT / "tests" / "vectors" / "keys"
PATH = "/v3/papay/sign/contracts/plan-id/12535/out-contract-code/wxwtdk20200910100000/terminate"

PY_OURS = f"""
import wxpay_terminate as wt
client = wt.Client(mchid="1234567890", serial_no="F5765756002FDD77", private_key=open({str(KEYS / 'merchant_go_pkcs8.pem')!r}).read(),
                   platform_certificates=[open({str(KEYS / 'platform_cert_a.pem')!r}).read()])
r = client.terminate_papay_contract(plan_id=12535, out_contract_code="wxwtdk20200910100000", contract_termination_remark="用户解约")
assert r.headers["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048")
"""
PY_PEER = f"""
from wechatpayv3.utils import build_authorization, load_private_key
key = load_private_key(open({str(KEYS / 'merchant_go_pkcs8.pem')!r}).read())
a = build_authorization({PATH!r}, "POST", "1234567890", "F5765756002FDD77", key, data='{{"contract_termination_remark":"用户解约"}}')
assert a.startswith("WECHATPAY2-SHA256-RSA2048")
"""
NODE_OURS = f"""
import {{ readFileSync }} from 'node:fs';
import {{ Client }} from 'wxpay-terminate';
const client = await Client.create({{ mchid: '1234567890', serialNo: 'F5765756002FDD77', privateKey: readFileSync({str(KEYS / 'merchant_go_pkcs8.pem')!r}, 'utf8'),
  platformCertificates: [readFileSync({str(KEYS / 'platform_cert_a.pem')!r}, 'utf8')] }});
const r = await client.terminatePapayContract({{ plan_id: 12535, out_contract_code: 'wxwtdk20200910100000', contract_termination_remark: '用户解约' }});
if (!JSON.stringify(r.headers).includes('WECHATPAY2-SHA256-RSA2048')) throw new Error('unsigned');
"""
NODE_PEER = f"""
const {{ readFileSync }} = require('node:fs');
const {{ Formatter, Rsa }} = require('wechatpay-axios-plugin');
const key = Rsa.from(readFileSync({str(KEYS / 'merchant_go_pkcs8.pem')!r}, 'utf8'), 'private');
const nonce = Formatter.nonce(), timestamp = Formatter.timestamp();
const signature = Rsa.sign(Formatter.request('POST', {PATH!r}, timestamp, nonce, '{{"contract_termination_remark":"用户解约"}}'), key);
const a = Formatter.authorization('1234567890', nonce, signature, timestamp, 'F5765756002FDD77');
if (!a.startsWith('WECHATPAY2-SHA256-RSA2048')) throw new Error('unsigned');
"""


def launch(cmd: list, cwd) -> tuple:
    """Wall µs and the child's CPU µs of one run; fails loudly if the run fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1e6
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"cold start failed ({proc.returncode}): {' '.join(cmd)[:200]}\n{proc.stderr.read().decode()}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1e6


def pairs(title: str, command: str, ours: tuple, peer: tuple, n: int, cwd=None) -> dict:
    names = [ours[0], peer[0]]
    cmds = {ours[0]: ours[1], peer[0]: peer[1]}
    for name in names:
        launch(cmds[name], cwd)
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    first = []
    for i in range(n):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            w, c = launch(cmds[name], cwd)
            wall[name].append(w)
            cpu[name].append(c)
        first.append(order[0])
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print(f"cold start, {title}: " + ", ".join(f"{k} {med(wall[k]) / 1000:.0f} ms wall, {med(cpu[k]) / 1000:.0f} ms CPU"
                                              for k in names), flush=True)
    return {"title": title, "command": command,
            "variants": {k: {"calls_per_slice": 1, "slices": 1, "us": wall[k], "cpu_us": cpu[k]} for k in names},
            "first": first}


def main() -> None:
    figures = {}
    py = sys.executable
    figures["python"] = pairs(
        "Python: import + first signed request (ours also loads a platform certificate, which it requires)",
        "python -c 'import wxpay_terminate; Client(…).terminate_papay_contract(…)' | "
        "python -c 'from wechatpayv3.utils import build_authorization, load_private_key; …'",
        ("wxpay_terminate", [py, "-c", PY_OURS]), ("wechatpayv3", [py, "-c", PY_PEER]), PAIRS)
    node_dir = OUT / "node"
    figures["node"] = pairs(
        "Node: import + first signed request",
        "node --input-type=module -e \"import { Client } from 'wxpay-terminate'; …\" | "
        "node -e \"require('wechatpay-axios-plugin'); Formatter + Rsa.sign …\"",
        ("wxpay-terminate", ["node", "--input-type=module", "-e", NODE_OURS]),
        ("wechatpay-axios-plugin", ["node", "-e", NODE_PEER]), PAIRS, cwd=node_dir)
    classpath = OUT / "kotlin-classpath.txt"
    if classpath.exists():
        java = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java"
        base = [java, "-cp", classpath.read_text().strip(), f"-Drepo.root={ROOT}", "com.wxpayterminate.ColdStartKt"]
        figures["jvm"] = pairs(
            "JVM: a fresh JVM building and signing one request",
            "java -cp <test classpath> com.wxpayterminate.ColdStartKt ours | … ColdStartKt jdk",
            ("wxpay-terminate", base + ["ours"]), ("jdk", base + ["jdk"]), JVM_PAIRS)
    save("cold_start", figures)


if __name__ == "__main__":
    main()
