#!/usr/bin/env python3
"""Build tests/golden/catalog.json from the stored wechatpay-openapi YAML and limits.json.

    python3 tests/golden/extract.py           # (re)write catalog.json
    python3 tests/golden/extract.py --check   # exit 1 if catalog.json is stale

Inputs, all under tests/golden/:
  * wechatpay-openapi/docs/v3/**.yaml  unmodified copies (see wechatpay-openapi/SOURCE.md)
  * limits.json                        length/charset limits quoted from official pages

Every value in the output is read mechanically from those files. The only exceptions are
the named tables below: SCOPE (which method of which file, and the commit it was read at),
HOSTS (host evidence from official pages) and CORRECTIONS (known YAML defects, each with the
reason and the official page that supports it). A correction that no longer matches the YAML
is an error, so a fixed upstream file cannot be silently "corrected" twice.

Python 3.9+, standard library + PyYAML.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
YAML_ROOT = HERE / "wechatpay-openapi"
LIMITS = HERE / "limits.json"
OUTPUT = HERE / "catalog.json"
REPO = "TheNorthMemory/wechatpay-openapi"

# (HTTP method, path of the file in the repository, commit of the stored copy).
SCOPE = [
    # Terminate endpoints (core/src/catalog/endpoints.rs).
    ("POST", "docs/v3/eduschoolpay/contracts/{contract_id}/terminate.yaml", "172e45b5081656bea207051ca1300bd5ad298861"),
    ("POST", "docs/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}/terminate.yaml", "9f0148a59446a2452fc853635b4359decdfe0f27"),
    ("POST", "docs/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate.yaml", "db9c5a66f34ec76f75e6bcbe70815f8069eaf987"),
    ("POST", "docs/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate.yaml", "db9c5a66f34ec76f75e6bcbe70815f8069eaf987"),
    ("POST", "docs/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate.yaml", "a01838748927d921c47dbbdf12c1e6962bc08fa1"),
    ("POST", "docs/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}/terminate.yaml", "abc05a28c0621742b4fe490b183402ee7299c712"),
    ("POST", "docs/v3/credit-repayment/partner/contracts/terminate.yaml", "5a0f956a172e517d7ce1322d2b0827a46193de78"),
    ("POST", "docs/v3/global/papay/contracts/{contract_id}/terminate.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("DELETE", "docs/v3/edu-papay/contracts/{contract_id}.yaml", "d2dbbf723b45ad740386641e6f710d3a6257475c"),
    ("POST", "docs/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("POST", "docs/v3/payscore/permissions/authorization-code/{authorization_code}/terminate.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("POST", "docs/v3/payscore/permissions/openid/{openid}/terminate.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("POST", "docs/v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("POST", "docs/v3/payscore/partner/permissions/terminate.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("POST", "docs/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate.yaml", "89c7e4d2d9395999f3001d8411fb83866bbc5ac2"),
    ("POST", "docs/v3/payscore/users/{openid}/permissions/{service_id}/terminate.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("POST", "docs/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}/close.yaml", "0c90f6a932d936d6ff877bc70b6c19cc3568dd9c"),
    ("POST", "docs/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}/close.yaml", "5a0f956a172e517d7ce1322d2b0827a46193de78"),
    ("POST", "docs/v3/webizpay/employees/{employee_id}/revoke.yaml", "bd5215c7f87f069569343623d3c6252329e3b5c8"),
    # Query endpoints.
    ("GET", "docs/v3/eduschoolpay/contracts/{contract_id}.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("GET", "docs/v3/password-exempt-contract/contracts/service-id/{service_id}/out-contract-code/{out_contract_code}.yaml", "9f0148a59446a2452fc853635b4359decdfe0f27"),
    ("GET", "docs/v3/papay/sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}.yaml", "db9c5a66f34ec76f75e6bcbe70815f8069eaf987"),
    ("GET", "docs/v3/papay/sign/partner/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}.yaml", "db9c5a66f34ec76f75e6bcbe70815f8069eaf987"),
    ("GET", "docs/v3/papay/insurance-sign/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}.yaml", "a01838748927d921c47dbbdf12c1e6962bc08fa1"),
    ("GET", "docs/v3/ecommerce/combine-papay/contracts/plan-id/{plan_id}/out-contract-code/{out_contract_code}.yaml", "abc05a28c0621742b4fe490b183402ee7299c712"),
    ("GET", "docs/v3/credit-repayment/partner/contracts/{out_contract_code}.yaml", "5a0f956a172e517d7ce1322d2b0827a46193de78"),
    ("GET", "docs/v3/global/papay/contracts/{contract_id}.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("GET", "docs/v3/edu-papay/contracts/id/{contract_id}.yaml", "d2dbbf723b45ad740386641e6f710d3a6257475c"),
    ("GET", "docs/v3/offlinefacemch/organizations/{organization_id}/users/out-user-id/{out_user_id}.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("GET", "docs/v3/payscore/permissions/authorization-code/{authorization_code}.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("GET", "docs/v3/payscore/permissions/openid/{openid}.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("GET", "docs/v3/payscore/partner/permissions/authorization-code/{authorization_code}.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("GET", "docs/v3/payscore/partner/permissions/search.yaml", "b0d40e30198c4e0615bb955b3c2ec61e4f0fc635"),
    ("GET", "docs/v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}.yaml", "89c7e4d2d9395999f3001d8411fb83866bbc5ac2"),
    ("GET", "docs/v3/payscore/user-service-state.yaml", "9e5848a9466bf42ab3ea201a2a6df4f1cbbe7522"),
    ("GET", "docs/v3/fund-app/mch-transfer/user-confirm-authorization/out-authorization-no/{out_authorization_no}.yaml", "47a10e8b58a10f03f2f17b465db19a88c0cfd441"),
    ("GET", "docs/v3/fund-app/mch-transfer/partner/user-confirm-authorizations/{out_authorization_no}.yaml", "5a0f956a172e517d7ce1322d2b0827a46193de78"),
    ("GET", "docs/v3/webizpay/users/{user_id}/authorization-state.yaml", "bd5215c7f87f069569343623d3c6252329e3b5c8"),
]

# The YAML carries no host. An endpoint is "global" only where an official page names
# apihk.mch.weixin.qq.com for it; every other endpoint is "api".
HOSTS = {
    "POST /v3/global/papay/contracts/{contract_id}/terminate": {
        "host": "global",
        "url": "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_4.shtml",
        "quote": "请求URL:https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/{contract_id}/terminate",
    },
    "GET /v3/global/papay/contracts/{contract_id}": {
        "host": "global",
        "url": "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_2.shtml",
        "quote": "请求URL:https://apihk.mch.weixin.qq.com/v3/global/papay/contracts/{contract_id}",
    },
}

# Known defects of the stored YAML, corrected explicitly. Each names the endpoint, the YAML
# parameter as written ("match": name and location), what it becomes ("set" / "drop"), why,
# and the official page that supports it.
CORRECTIONS = [
    {
        "name": "facepay-terminate-use_id",
        "endpoint": "POST /v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
        "match": {"name": "use_id", "location": "path"},
        "set": {"name": "user_id", "required": True},
        "reason": "The YAML names the path variable `use_id` (and leaves it optional) while its own path "
                  "template says `{user_id}`; a path variable is the template slot and is always required. "
                  "The `use_id` spelling is the official page's typo.",
        "url": "https://pay.weixin.qq.com/wiki/doc/wxfacepay/develop/access-specifications.html",
        "evidence": "Linked from the YAML; its API table is not in the stored corpus. The path template "
                    "(`/users/user-id/{user_id}/terminate-contract`) is the YAML's own.",
    },
    {
        "name": "payscore-users-terminate-openid-in-path",
        "endpoint": "POST /v3/payscore/users/{openid}/permissions/{service_id}/terminate",
        "match": {"name": "openid", "location": "query"},
        "set": {"location": "path"},
        "reason": "The YAML marks `openid` as `in: query` but the path template carries `{openid}`.",
        "url": "https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter9_1.shtml",
        "evidence": "Linked from the YAML; the page is not in the stored corpus. The path template is the "
                    "YAML's own.",
    },
    {
        "name": "payscore-users-terminate-service_id-in-path",
        "endpoint": "POST /v3/payscore/users/{openid}/permissions/{service_id}/terminate",
        "match": {"name": "service_id", "location": "query"},
        "set": {"location": "path"},
        "reason": "The YAML marks `service_id` as `in: query` but the path template carries `{service_id}`.",
        "url": "https://pay.weixin.qq.com/wiki/doc/apiv3/wxpay/payscore/chapter9_1.shtml",
        "evidence": "Linked from the YAML; the page is not in the stored corpus. The path template is the "
                    "YAML's own.",
    },
    {
        "name": "acquiringbank-terminate-channel_id-required",
        "endpoint": "POST /v3/payscore/acquiringbank/permissions/authorization-code/{authorization_code}/terminate",
        "match": {"name": "channel_id", "location": "body"},
        "set": {"required": True},
        "reason": "The YAML leaves `channel_id` out of `required`; the official page marks it 必填 "
                  "(as does the YAML of the matching query, where it is required).",
        "url": "https://pay.weixin.qq.com/doc/v3/partner/4012461012",
        "evidence": "channel_id  必填 string(32)",
    },
    {
        "name": "global-query-no-sp_mchid",
        "endpoint": "GET /v3/global/papay/contracts/{contract_id}",
        "match": {"name": "sp_mchid", "location": "query"},
        "drop": True,
        "reason": "The YAML lists a `sp_mchid` query parameter; the official request table lists only "
                  "appid, sub_mchid, sp_appid, sub_appid (Query) and contract_id (Path).",
        "url": "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_2.shtml",
        "evidence": "2. 请求参数: appid / sub_mchid / sp_appid / sub_appid (Query), contract_id (Path)",
    },
    {
        "name": "global-query-no-plan_id",
        "endpoint": "GET /v3/global/papay/contracts/{contract_id}",
        "match": {"name": "plan_id", "location": "query"},
        "drop": True,
        "reason": "The YAML puts `plan_id` on the contract-id query; the official pages put it only on the "
                  "out-contract-code query ('选择plan_id+out_contract_no查询,则此参数必填', chapter5_1_3), "
                  "and the contract-id request table has no plan_id.",
        "url": "https://pay.weixin.qq.com/wiki/doc/api_external/ch/apis/chapter5_1_2.shtml",
        "evidence": "2. 请求参数: appid / sub_mchid / sp_appid / sub_appid (Query), contract_id (Path)",
    },
]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
LOCATIONS = ("path", "query", "body")


class GoldenError(Exception):
    pass


def api_path(repo_path):
    """docs/v3/a/{b}.yaml -> /v3/a/{b}"""
    if not (repo_path.startswith("docs/") and repo_path.endswith(".yaml")):
        raise GoldenError(f"unexpected file path {repo_path!r}")
    return repo_path[len("docs"):-len(".yaml")]


def yaml_fields(operation, endpoint):
    """Request fields of one YAML operation, in YAML order."""
    fields = []
    for param in operation.get("parameters") or []:
        if "$ref" in param:
            raise GoldenError(f"{endpoint}: unsupported $ref parameter {param['$ref']!r}")
        where = param.get("in")
        if where == "body":
            schema = param.get("schema") or {}
            required = set(schema.get("required") or [])
            for name in schema.get("properties") or {}:
                fields.append({"name": name, "location": "body", "required": name in required})
        elif where in ("path", "query"):
            fields.append({"name": param["name"], "location": where,
                           "required": bool(param.get("required", False))})
        elif where == "header":
            continue
        else:
            raise GoldenError(f"{endpoint}: parameter {param.get('name')!r} has unknown location {where!r}")
    return fields


def apply_corrections(endpoint, fields, used):
    for corr in CORRECTIONS:
        if corr["endpoint"] != endpoint:
            continue
        hits = [f for f in fields if f["name"] == corr["match"]["name"]
                and f["location"] == corr["match"]["location"]]
        if len(hits) != 1:
            raise GoldenError(f"correction {corr['name']!r} no longer matches the YAML of {endpoint}")
        if corr.get("drop"):
            fields.remove(hits[0])
        else:
            hits[0].update(corr["set"])
        used.add(corr["name"])
    return fields


def success_status(operation, endpoint):
    codes = sorted(int(code) for code in (operation.get("responses") or {}) if 200 <= int(code) < 300)
    if len(codes) != 1:
        raise GoldenError(f"{endpoint}: expected exactly one 2xx response, found {codes}")
    return codes[0]


def load_limits():
    doc = json.loads(LIMITS.read_text(encoding="utf-8"))
    table = {}
    for entry in doc["limits"]:
        key = (entry["endpoint"], entry["field"], entry["location"])
        if key in table:
            raise GoldenError(f"limits.json: duplicate entry {key}")
        if entry["location"] not in LOCATIONS:
            raise GoldenError(f"limits.json: bad location in {key}")
        if not entry.get("url", "").startswith("https://pay.weixin.qq.com/") or not entry.get("quote"):
            raise GoldenError(f"limits.json: {key} needs an official pay.weixin.qq.com url and a quote")
        table[key] = entry
    return table


def build():
    limits = load_limits()
    used_limits, used_corrections, used_hosts = set(), set(), set()
    entries = []
    for method, repo_path, commit in SCOPE:
        doc = yaml.safe_load((YAML_ROOT / repo_path).read_text(encoding="utf-8"))
        path = api_path(repo_path)
        endpoint = f"{method} {path}"
        operation = doc.get(method.lower())
        if operation is None:
            raise GoldenError(f"{repo_path} has no {method} operation (has {sorted(k for k in doc if k in HTTP_METHODS)})")
        fields = apply_corrections(endpoint, yaml_fields(operation, endpoint), used_corrections)

        names = [(f["name"], f["location"]) for f in fields]
        if len(set(names)) != len(names):
            raise GoldenError(f"{endpoint}: duplicate field {names}")
        template_vars = re.findall(r"\{([^}]+)\}", path)
        path_fields = [f["name"] for f in fields if f["location"] == "path"]
        if sorted(template_vars) != sorted(path_fields):
            raise GoldenError(f"{endpoint}: path template variables {template_vars} != path parameters "
                              f"{path_fields}; add a named correction")
        if not all(f["required"] for f in fields if f["location"] == "path"):
            raise GoldenError(f"{endpoint}: optional path parameter; add a named correction")

        for field in fields:
            key = (endpoint, field["name"], field["location"])
            limit = limits.get(key)
            if limit is None:
                continue
            used_limits.add(key)
            if limit["max_chars"] is not None:
                field["max_chars"] = int(limit["max_chars"])
            field["alnum"] = bool(limit["alnum"])

        host = "api"
        if endpoint in HOSTS:
            host = HOSTS[endpoint]["host"]
            used_hosts.add(endpoint)
        entries.append({
            "method": method,
            "host": host,
            "path": path,
            "success_status": success_status(operation, endpoint),
            "fields": fields,
            "source": f"{REPO}@{commit}:{repo_path}",
        })

    unused = set(limits) - used_limits
    if unused:
        raise GoldenError(f"limits.json entries match no field: {sorted(unused)}")
    unused = {c["name"] for c in CORRECTIONS} - used_corrections
    if unused:
        raise GoldenError(f"corrections for endpoints outside SCOPE: {sorted(unused)}")
    unused = set(HOSTS) - used_hosts
    if unused:
        raise GoldenError(f"HOSTS entries for endpoints outside SCOPE: {sorted(unused)}")
    entries.sort(key=lambda e: (e["path"], e["method"]))
    return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if catalog.json is stale")
    args = parser.parse_args(argv)
    try:
        text = build()
    except GoldenError as err:
        print(f"extract.py: {err}", file=sys.stderr)
        return 2
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{OUTPUT} is stale; run python3 tests/golden/extract.py", file=sys.stderr)
            return 1
        print(f"{OUTPUT.name} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
