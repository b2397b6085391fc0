"""Seed records: the built-in set, and seed files (`--seed FILE.json|FILE.csv`).

A record is `{"collection", "owner", "state", "attrs", "termination"}`: `collection` is the
product family (`papay`, `payscore`, …, the keys of `server.ID_KEYS`), `owner` the merchant
(mchid) allowed to terminate it, `attrs` its identifying parameters plus what the answers and
notifications quote (appid, openid, …). A seed file names the identifying parameters; the rest
is filled with plausible defaults (see `complete_attrs`).
"""

import copy
import csv
import hashlib
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .server import (ENDPOINTS, ID_KEYS, RECORD_STATES, USER_MODES, Merchant, merchant_from_dict, now_rfc3339,
                     record_id)

# ---------------------------------------------------------------------------
# Built-in seeds: effective (and one already terminated) contracts and authorizations.
# ---------------------------------------------------------------------------

M1, M2 = "1900007291", "1234567890"  # the default merchants (merchants.json, generated keys)
SIGNED = "2024-03-15T10:20:30+08:00"
EXPIRES = "2029-03-15T10:20:30+08:00"


def _papay(code: str, contract_id: str, plan_id: int = 12535, schedule: bool = False) -> dict:
    attrs = {
        "plan_id": plan_id, "out_contract_code": code, "contract_id": contract_id,
        "appid": "wxd678efh567hg6787", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "contract_display_account": "微信代扣", "contract_signed_time": SIGNED,
        "contract_expired_time": EXPIRES, "out_user_code": "user" + code[-4:],
    }
    if schedule:
        attrs["deduct_schedule"] = {
            "estimated_deduct_date": "2025-12-22",
            "estimated_deduct_amount": {"total": 1500, "currency": "CNY"},
            "schedule_state": "SCHEDULED",
            "scheduled_amount": {"total": 1500, "currency": "CNY"},
            "deduct_date": "2025-12-22",
        }
    return attrs


def builtin_records() -> List[dict]:
    """The built-in records: collection, owner (the mchid that may act on it), attrs, state."""
    rows: List[Tuple[str, str, dict]] = [
        ("eduschoolpay", M1, _eduschool("2045011120563805041758214605", "eduschool2024000001")),
        ("eduschoolpay", M1, _eduschool("2045011120563805041758214606", "eduschool2024000002")),
        ("eduschoolpay", M2, _eduschool("2045011120563805041758219999", "eduschool2024000009")),
        ("password_exempt", M1, _password_exempt(12535, "wxwtdk20200910100000")),
        ("password_exempt", M1, _password_exempt(12535, "wxwtdk20200910100001")),
        ("password_exempt", M2, _password_exempt(12536, "wxwtdk20200910100002")),
        ("papay", M1, _papay("wxwtdk20200910100000", "202009101000000000000001", schedule=True)),
        ("papay", M1, _papay("wxwtdk20200910100001", "202009101000000000000002")),
        ("papay", M1, _papay("wxwtdk20200910100009", "202009101000000000000009")),  # user terminated
        ("papay", M2, _papay("wxwtdk20200910100003", "202009101000000000000003", plan_id=12537)),
        ("papay_partner", M1, {**_papay("wxwtdk20200910200000", "202009102000000000000001", schedule=True),
                               "sub_mchid": "1900000109"}),
        ("papay_partner", M1, {**_papay("wxwtdk20200910200001", "202009102000000000000002"),
                               "sub_mchid": "1900000110"}),
        ("papay_partner", M2, {**_papay("wxwtdk20200910200002", "202009102000000000000003"),
                               "sub_mchid": "1900000111"}),
        ("papay_insurance", M1, {**_papay("insur20240101000001", "202401010000000000000001"),
                                 "insured_display_name": "*三"}),
        ("papay_insurance", M1, {**_papay("insur20240101000002", "202401010000000000000002"),
                                 "insured_display_name": "*四"}),
        ("papay_insurance", M2, {**_papay("insur20240101000003", "202401010000000000000003", plan_id=12538),
                                 "insured_display_name": "*五"}),
        ("combine_papay", M1, _combine(12535, "combine2024010100001")),
        ("combine_papay", M1, _combine(12535, "combine2024010100002")),
        ("combine_papay", M2, _combine(12539, "combine2024010100003")),
        ("credit_repayment", M1, _credit("100001256", "1000000000000000000001256")),
        ("credit_repayment", M1, _credit("100001257", "1000000000000000000001257")),
        ("credit_repayment", M2, _credit("100001258", "1000000000000000000001258")),
        ("global_papay", M1, _global("203009101000000000000001", "wxd678efh567hg6787", "global2024000001")),
        ("global_papay", M1, _global("203009101000000000000002", "wxd678efh567hg6787", "global2024000002")),
        ("global_papay", M2, _global("203009101000000000000003", "wxd678efh567hg6999", "global2024000003")),
        ("edu_papay", M1, _edu_papay("204009101000000000000001")),
        ("edu_papay", M1, _edu_papay("204009101000000000000002")),
        ("edu_papay", M2, _edu_papay("204009101000000000000003")),
        ("facepay", M1, _face("1000032", "FACEUSER0000000001")),
        ("facepay", M1, _face("1000032", "FACEUSER0000000002")),
        ("facepay", M2, _face("1000099", "FACEUSER0000000003")),
        ("payscore", M1, _payscore("1", "500001")),
        ("payscore", M1, _payscore("2", "500001")),
        ("payscore", M1, _payscore("3", "500002")),
        ("payscore", M2, _payscore("4", "500009")),
        ("payscore_partner", M1, {**_payscore("5", "500001"), "sub_mchid": "1900000109",
                                  "sub_appid": "wxd678efh567hg0109", "sub_openid": "oSubUser0000000000000005"}),
        ("payscore_partner", M1, {**_payscore("6", "500001"), "sub_mchid": "1900000109",
                                  "sub_appid": "wxd678efh567hg0109", "sub_openid": "oSubUser0000000000000006"}),
        ("payscore_partner", M2, {**_payscore("7", "500009"), "sub_mchid": "1900000111",
                                  "sub_appid": "wxd678efh567hg0111", "sub_openid": "oSubUser0000000000000007"}),
        ("payscore_acquiringbank", M1, {**_payscore("8", "500001"), "sub_mchid": "1900000109",
                                        "channel_id": "1900000001"}),
        ("payscore_acquiringbank", M1, {**_payscore("9", "500001"), "sub_mchid": "1900000110",
                                        "channel_id": "1900000001"}),
        ("payscore_acquiringbank", M2, {**_payscore("0", "500009"), "sub_mchid": "1900000111",
                                        "channel_id": "1900000002"}),
        ("transfer_authorization", M1, _transfer("plfk2020042013", "201202504101000123456789013")),
        ("transfer_authorization", M1, _transfer("plfk2020042014", "201202504101000123456789014")),
        ("transfer_authorization", M2, _transfer("plfk2020042099", "201202504101000123456789099")),
        ("transfer_partner_authorization", M1, _transfer("spfk2025041000001", "201202504101000223456789001", True)),
        ("transfer_partner_authorization", M1, _transfer("spfk2025041000002", "201202504101000223456789002", True)),
        ("transfer_partner_authorization", M2, _transfer("spfk2025041000099", "201202504101000223456789099", True)),
        ("webizpay_employee", M1, _employee("a968402a-73bb-43e2-9e1a-8371b0ca3d7c", M1, "43214321", "employee123")),
        ("webizpay_employee", M1, _employee("b17c3e55-0f4d-4d8e-9a61-2f0c9d1e5a77", M1, "43214321", "employee124")),
        ("webizpay_employee", M2, _employee("c2d4e6f8-1a3b-4c5d-8e9f-0a1b2c3d4e5f", M2, "43219999", "employee900")),
    ]
    records = []
    for collection, owner, attrs in rows:
        records.append({"collection": collection, "owner": owner, "state": "EFFECTIVE",
                        "attrs": attrs, "termination": None})
    # One contract the user already terminated in WeChat, so the repeat error needs no first call.
    for record in records:
        if record["attrs"].get("out_contract_code") == "wxwtdk20200910100009":
            record["state"] = "TERMINATED"
            record["termination"] = {"mode": "USER_TERMINATE", "time": "2025-06-01T09:00:00+08:00",
                                     "remark": None}
    return records


# Attributes beyond the ids feed the notifications (appid, openid, plan_id, …); the API only
# matches on the ids, so they change no answer.


def _eduschool(contract_id: str, code: str) -> dict:
    return {"contract_id": contract_id, "plan_id": "30001", "out_contract_code": code,
            "service_id": "500101", "appid": "wxd678efh567hg6787", "openid": "oEduSchool00000000000" + code[-3:]}


def _combine(plan_id: int, code: str) -> dict:
    return {"plan_id": plan_id, "out_contract_code": code, "appid": "wxd678efh567hg6787",
            "openid": "oCombine000000000000000" + code[-3:],
            "contract_id": "3" + _digits(23, "combine_papay", plan_id, code)}


def _password_exempt(service_id: int, code: str) -> dict:
    # What the password-exempt query answers (the terminate answer quotes only the ids).
    return {"service_id": service_id, "out_contract_code": code,
            "contract_id": "4" + _digits(23, "password_exempt", service_id, code),
            "appid": "wxd678efh567hg6787", "openid": "oPwdExempt0000000000000" + code[-3:],
            "contract_signed_time": SIGNED}


def _global(contract_id: str, appid: str, code: str) -> dict:
    return {"contract_id": contract_id, "appid": appid, "plan_id": 22001, "out_contract_code": code,
            "openid": "oGlobal0000000000000000" + code[-3:], "contract_expired_time": EXPIRES}


def _edu_papay(contract_id: str) -> dict:
    return {"contract_id": contract_id, "plan_id": "40001", "appid": "wxd678efh567hg6787",
            "openid": "oEduPapay00000000000000" + contract_id[-3:]}


def _face(organization_id: str, user_id: str) -> dict:
    return {"organization_id": organization_id, "user_id": user_id, "out_user_id": "out" + user_id[-10:],
            "appid": "wxd678efh567hg6787", "openid": "oFacePay00000000000000" + user_id[-3:],
            "contract_id": "FC" + organization_id + user_id[-10:]}


def _credit(code: str, contract_id: str) -> dict:
    return {"out_contract_code": code, "contract_id": contract_id, "plan_id": "10001",
            "display_name": "*明", "contract_signed_time": SIGNED, "repayment_day": 10,
            "openid": "oCredit00000000000000" + code[-3:], "appid": "wxd678efh567hg6787",
            "repayment_amount_limit": 500000}


def _payscore(i: str, service_id: str) -> dict:
    return {"service_id": service_id, "appid": "wxd678efh567hg6787",
            "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS" + i, "authorization_code": "authcode2020091000000" + i}


def _transfer(no: str, authorization_id: str, partner: bool = False) -> dict:
    attrs = {"out_authorization_no": no, "appid": "wxf636efh567hg4356",
             "openid": "o-MYE42l80oelYMDE34nYD456Xoy", "user_display_name": "wx_123456",
             "authorization_id": authorization_id, "authorize_time": "2025-05-20T13:29:35+08:00"}
    if partner:
        attrs.update({"transfer_scene_id": "1000", "user_recv_perception": "现金奖励",
                      "create_time": "2025-05-20T13:29:30+08:00"})
    return attrs


def _employee(uuid: str, sp_mchid: str, sub_mchid: str, user_id: str) -> dict:
    return {"employee_id": "WeBizPay_" + uuid, "sp_mchid": sp_mchid, "sub_mchid": sub_mchid, "user_id": user_id}


# ---------------------------------------------------------------------------
# Seed files
# ---------------------------------------------------------------------------

# Keys of a seed entry that are not attributes.
RESERVED = ("collection", "owner", "state", "termination_mode", "terminated_time", "termination_remark")


def _key_types() -> Dict[str, Dict[str, str]]:
    """Per collection, the type ("integer" or "string") of each parameter the API matches on."""
    out: Dict[str, Dict[str, str]] = {}
    for ep in ENDPOINTS:
        for f in ep.path_params + ep.body + ep.query:
            if f.name in ep.keys:
                out.setdefault(ep.collection, {})[f.name] = f.type
    return out


KEY_TYPES = _key_types()
# Other attributes that are JSON numbers in the answers and notifications.
INTEGER_ATTRS = {"credit_repayment": ("repayment_day", "repayment_amount_limit")}


def _digits(n: int, *parts) -> str:
    """n stable pseudo-random digits derived from `parts` (default ids of seeded records)."""
    value = int(hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest(), 16)
    return str(value)[-n:].rjust(n, "0")


def _defaults(collection: str, owner: str, a: dict) -> dict:
    """The attributes a record of `collection` gets when the seed file leaves them out."""
    if collection == "eduschoolpay":
        return _eduschool(a["contract_id"], "eduschool" + _digits(10, a["contract_id"]))
    if collection in ("papay", "papay_partner", "papay_insurance"):
        out = _papay(a["out_contract_code"], _digits(24, collection, a["plan_id"], a["out_contract_code"]),
                     plan_id=a["plan_id"])
        if collection == "papay_partner":
            out["sub_mchid"] = "1900000109"
        if collection == "papay_insurance":
            out["insured_display_name"] = "*三"
        return out
    if collection == "combine_papay":
        return _combine(a["plan_id"], a["out_contract_code"])
    if collection == "credit_repayment":
        return _credit(a["out_contract_code"], _digits(25, collection, a["out_contract_code"]))
    if collection == "global_papay":
        return _global(a["contract_id"], "wxd678efh567hg6787", "global" + _digits(10, a["contract_id"]))
    if collection == "edu_papay":
        return _edu_papay(a["contract_id"])
    if collection == "facepay":
        return _face(a["organization_id"], a["user_id"])
    if collection.startswith("payscore"):
        code = a["authorization_code"]
        out = {"service_id": "500001", "appid": "wxd678efh567hg6787", "openid": "oSeedUser" + _digits(19, code),
               "authorization_code": code}
        if collection == "payscore_partner":
            out.update({"sub_mchid": "1900000109", "sub_appid": "wxd678efh567hg0109",
                        "sub_openid": "oSeedSub" + _digits(20, code)})
        if collection == "payscore_acquiringbank":
            out.update({"sub_mchid": "1900000109", "channel_id": "1900000001"})
        return out
    if collection in ("transfer_authorization", "transfer_partner_authorization"):
        no = a["out_authorization_no"]
        return _transfer(no, "2012" + _digits(23, collection, no), collection == "transfer_partner_authorization")
    if collection == "webizpay_employee":
        return {"employee_id": a["employee_id"], "sp_mchid": owner, "sub_mchid": "43214321",
                "user_id": "employee" + _digits(4, a["employee_id"])}
    if collection == "password_exempt":
        return _password_exempt(a["service_id"], a["out_contract_code"])
    return {}


def _coerce(collection: str, name: str, value, where: str):
    kind = KEY_TYPES.get(collection, {}).get(name)
    if name in INTEGER_ATTRS.get(collection, ()):
        kind = "integer"
    if kind == "integer":
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SystemExit(f"{where}: {name} must be a non-negative integer, not {value!r}")
        return value
    if kind == "string":
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise SystemExit(f"{where}: {name} must be a non-empty string, not {value!r}")
    return value


def make_record(entry: dict, where: str, collection: Optional[str] = None) -> dict:
    """One record from a seed entry: `collection` (or given), `owner`, the identifying
    parameters, optional `state` / `termination_mode` / `terminated_time` /
    `termination_remark`, and any other attribute to quote."""
    collection = collection or entry.get("collection")
    if collection not in ID_KEYS:
        raise SystemExit(f"{where}: unknown product family (collection) {collection!r}; "
                         f"known: {', '.join(ID_KEYS)}")
    owner = entry.get("owner")
    if isinstance(owner, int) and not isinstance(owner, bool):
        owner = str(owner)
    if not isinstance(owner, str) or not owner.isdigit():
        raise SystemExit(f"{where}: owner must be the mchid of the merchant that may terminate it")
    given = {k: _coerce(collection, k, v, where) for k, v in entry.items() if k not in RESERVED}
    missing = [k for k in ID_KEYS[collection] if k not in given]
    if missing:
        raise SystemExit(f"{where}: a {collection} record needs {', '.join(ID_KEYS[collection])} "
                         f"(missing {', '.join(missing)})")
    attrs = {**_defaults(collection, owner, given), **given}
    state = entry.get("state", "EFFECTIVE") or "EFFECTIVE"
    if state not in RECORD_STATES:
        raise SystemExit(f"{where}: state must be EFFECTIVE or TERMINATED, not {state!r}")
    termination = None
    if state == "TERMINATED":
        modes = USER_MODES[collection]
        mode = entry.get("termination_mode") or "USER_TERMINATE"
        stored = modes.get(mode) or (mode if mode in modes.values() else None)
        if stored is None:
            stored = mode if mode in ("MCH_API_TERMINATE", "CLOSE_VIA_MCH_API", "TERMINATION_MODE_BY_MERCHANT") else None
        if stored is None:
            raise SystemExit(f"{where}: termination_mode {mode!r} is not one {collection} knows")
        termination = {"mode": stored, "time": entry.get("terminated_time") or now_rfc3339(),
                       "remark": entry.get("termination_remark") or None}
    return {"collection": collection, "owner": owner, "state": state, "attrs": attrs, "termination": termination}


def check_unique(records: List[dict], where: str) -> None:
    seen = set()
    for r in records:
        rid = record_id(r)
        if rid in seen:
            raise SystemExit(f"{where}: two records have the id {rid}")
        seen.add(rid)


def load_seed_file(path: Path) -> Tuple[List[dict], List[Merchant]]:
    """Records (and, from JSON, merchants) of a seed file; `.csv` is CSV, anything else JSON."""
    if path.suffix.lower() == ".csv":
        return _load_csv(path), []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SystemExit(f"--seed {path}: cannot read it: {err}") from None
    if not isinstance(doc, dict):
        raise SystemExit(f"--seed {path}: expected a JSON object with \"contracts\" (and optionally \"merchants\")")
    unknown = [k for k in doc if k not in ("contracts", "merchants") and not k.startswith("_")]
    if unknown:
        raise SystemExit(f"--seed {path}: unknown keys {unknown}; expected contracts, merchants")
    merchants = [merchant_from_dict(m, path.parent, f"--seed {path}") for m in doc.get("merchants", [])]
    contracts = doc.get("contracts", {})
    if not isinstance(contracts, dict):
        raise SystemExit(f"--seed {path}: \"contracts\" maps each product family to a list of records")
    records = []
    for collection, entries in contracts.items():
        if not isinstance(entries, list):
            raise SystemExit(f"--seed {path}: contracts.{collection} must be a list")
        for i, entry in enumerate(entries):
            where = f"--seed {path}: contracts.{collection}[{i}]"
            if not isinstance(entry, dict):
                raise SystemExit(f"{where}: must be a JSON object")
            if "collection" in entry and entry["collection"] != collection:
                raise SystemExit(f"{where}: collection {entry['collection']!r} differs from its family")
            records.append(make_record(entry, where, collection))
    return records, merchants


def _load_csv(path: Path) -> List[dict]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise SystemExit(f"--seed {path}: cannot read it: {err}") from None
    if rows and ("collection" not in header or "owner" not in header):
        raise SystemExit(f"--seed {path}: the header row must name the columns collection and owner")
    records = []
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise SystemExit(f"--seed {path}: line {line} has more cells than the header")
        cells = {k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""}
        if not cells or cells.get("collection", "").startswith("#"):
            continue  # blank line or comment
        records.append(make_record(cells, f"--seed {path}: line {line}"))
    return records


# ---------------------------------------------------------------------------
# Bulk seeding (POST /sandbox/seed): N new records with ids derived from a prefix and an index
# ---------------------------------------------------------------------------


def _bulk_ids(collection: str, tag: str) -> dict:
    """The identifying fields (and the ones that must stay unique: openids, user ids) of the
    bulk record `tag` (= prefix + 6-digit index); everything else comes from `_defaults`."""
    if collection in ("eduschoolpay", "global_papay", "edu_papay"):
        return {"contract_id": tag}
    if collection == "password_exempt":
        return {"service_id": 12535, "out_contract_code": tag}
    if collection in ("papay", "papay_partner", "papay_insurance", "combine_papay"):
        return {"plan_id": 12535, "out_contract_code": tag}  # the plan of the built-in records
    if collection == "credit_repayment":
        return {"out_contract_code": tag}
    if collection == "facepay":
        return {"organization_id": "1000032", "user_id": tag, "out_user_id": "out" + tag}
    if collection.startswith("payscore"):
        out = {"authorization_code": tag, "openid": "o" + tag}
        if collection == "payscore_partner":
            out["sub_openid"] = "oSub" + tag
        return out
    if collection in ("transfer_authorization", "transfer_partner_authorization"):
        return {"out_authorization_no": tag}
    if collection == "webizpay_employee":
        return {"employee_id": "WeBizPay_" + tag, "user_id": "u" + tag}
    raise ValueError(collection)


def bulk_records(collection: str, owner: str, count: int, prefix: str, terminated: int = 0) -> List[dict]:
    """`count` new records of `collection` for `owner`: ids `prefix` + 000001…; the first
    `terminated` already terminated by the user (USER_TERMINATE in the product's vocabulary)."""
    when = now_rfc3339()
    user_mode = USER_MODES[collection]["USER_TERMINATE"]
    records = []
    for i in range(1, count + 1):
        given = _bulk_ids(collection, f"{prefix}{i:06d}")
        attrs = {**_defaults(collection, owner, given), **given}
        if i <= terminated:
            records.append({"collection": collection, "owner": owner, "state": "TERMINATED", "attrs": attrs,
                            "termination": {"mode": user_mode, "time": when, "remark": None}})
        else:
            records.append({"collection": collection, "owner": owner, "state": "EFFECTIVE", "attrs": attrs,
                            "termination": None})
    return records


def seeder(records: List[dict]):
    """A seeder for `server.State`: a fresh copy of `records` at every start and reset."""
    template = copy.deepcopy(records)
    return lambda: copy.deepcopy(template)
