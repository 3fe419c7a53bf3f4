"""快递100 (kuaidi100), one adapter for EMS 政务专递 and other carriers: an electronic waybill
(电子面单, /label/order) when a result is posted, a subscription to its tracking (/poll), and the
tracking pushes it sends back — checked by their signature, sign = UPPER(MD5(param + salt)) —
whose states become stages on the case's timeline (services.logistics.record_pushed). Requests
are signed as documented: sign = UPPER(MD5(param + t + key + secret))."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from services.errors import DomainError

TIMEOUT = 10
# kuaidi100's state of a parcel -> our stage (services.logistics.STAGES index); None: a problem.
STATES = {"1": 0, "0": 1, "5": 2, "3": 3, "2": None, "4": None, "6": None, "14": None}
STATE_NAMES = {"2": "疑难件", "4": "退签", "6": "退回", "14": "拒签"}


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


class CarrierError(DomainError):
    status = 502


class Kuaidi100:
    name = "EMS"  # what the timeline and the applicant read
    is_sandbox = False

    def __init__(self, key: str, secret: str, customer: str, salt: str, callback_url: str, sender: dict,
                 company: str = "ems", endpoint: str = "https://api.kuaidi100.com",
                 poll_endpoint: str = "https://poll.kuaidi100.com", clock=time.time, label: dict | None = None):
        self.key, self.secret, self.customer, self.salt = key, secret, customer, salt
        self.callback_url, self.sender, self.company = callback_url, sender, company
        self.endpoint, self.poll_endpoint, self.clock = endpoint.rstrip("/"), poll_endpoint.rstrip("/"), clock
        self.label = label or {}  # partnerId, partnerKey, tempId … of the county's EMS account

    @classmethod
    def from_config(cls, config: dict) -> Kuaidi100:
        needed = ["KUAIDI100_KEY", "KUAIDI100_SECRET", "KUAIDI100_CUSTOMER", "KUAIDI100_SALT", "KUAIDI100_SENDER",
                  "PUBLIC_BASE_URL"]
        missing = [n for n in needed if not config.get(n)]
        if missing:
            raise RuntimeError(f"CARRIER=kuaidi100 需要设置 {'、'.join(missing)}")
        try:
            sender = json.loads(config["KUAIDI100_SENDER"])
            label = json.loads(config.get("KUAIDI100_LABEL") or "{}")
        except ValueError:
            raise RuntimeError("KUAIDI100_SENDER 和 KUAIDI100_LABEL 须是 JSON")
        return cls(config["KUAIDI100_KEY"], config["KUAIDI100_SECRET"], config["KUAIDI100_CUSTOMER"],
                   config["KUAIDI100_SALT"], config["PUBLIC_BASE_URL"].rstrip("/") + "/api/v1/logistics/kuaidi100",
                   sender, company=config.get("KUAIDI100_COMPANY") or "ems",
                   endpoint=config.get("KUAIDI100_ENDPOINT") or "https://api.kuaidi100.com",
                   poll_endpoint=config.get("KUAIDI100_POLL_ENDPOINT") or "https://poll.kuaidi100.com", label=label)

    # --- requests ---------------------------------------------------------------------------

    def label_request(self, address: dict) -> dict[str, str]:
        """The form of an electronic waybill order (电子面单下单)."""
        recipient = {"name": address["recipient"], "mobile": address["phone"],
                     "printAddr": "".join(address[k] for k in ("province", "city", "county", "township", "village",
                                                               "detail"))}
        param = json.dumps({"kuaidicom": self.company, "recMan": recipient, "sendMan": self.sender,
                            "cargo": "政务文件", "count": 1, "payType": "SHIPPER", "expType": "标准快递",
                            "printType": "NON", **self.label}, ensure_ascii=False, separators=(",", ":"))
        t = str(int(self.clock() * 1000))
        return {"method": "order", "key": self.key, "t": t, "param": param,
                "sign": md5_upper(param + t + self.key + self.secret)}

    def poll_request(self, tracking_number: str) -> dict[str, str]:
        """The form subscribing to a parcel's tracking (订阅推送)."""
        param = json.dumps({"company": self.company, "number": tracking_number, "key": self.key,
                            "parameters": {"callbackurl": self.callback_url, "salt": self.salt, "resultv2": "1"}},
                           ensure_ascii=False, separators=(",", ":"))
        return {"schema": "json", "param": param}

    def _post(self, url: str, form: dict[str, str]) -> dict:
        body = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read() or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise CarrierError(f"快递100暂时无法下单（{type(exc).__name__}），请稍后再送达或填写已有单号")

    def create(self, address: dict) -> str:
        """Order the waybill and subscribe to its tracking; the tracking number."""
        answer = self._post(f"{self.endpoint}/label/order", self.label_request(address))
        number = str((answer.get("data") or {}).get("kuaidinum") or "")
        if not answer.get("success") or not number:
            raise CarrierError(f"快递100下单没有成功：{str(answer.get('message', ''))[:60]}")
        subscribed = self._post(f"{self.poll_endpoint}/poll", self.poll_request(number))
        if not subscribed.get("result") and str(subscribed.get("returnCode")) != "501":  # 501: already subscribed
            raise CarrierError(f"快递100订阅轨迹没有成功：{str(subscribed.get('message', ''))[:60]}")
        return number[:30]

    # --- pushes -----------------------------------------------------------------------------

    def verify_push(self, form) -> tuple[str, int | None, str] | None:
        """(tracking number, stage or None for a problem, what the carrier said) of a signed push;
        None when the signature is wrong or the push is not one we can read."""
        param, sign = form.get("param"), form.get("sign")
        if not isinstance(param, str) or not isinstance(sign, str) or len(param) > 200_000:
            return None
        if not hmac.compare_digest(md5_upper(param + self.salt).encode(), sign.upper().encode()):
            return None
        try:
            result = json.loads(param).get("lastResult") or {}
        except (ValueError, AttributeError, RecursionError):
            return None
        state, number = str(result.get("state", "")), str(result.get("nu", ""))
        if not number or state not in STATES:
            return (number, -1, "") if number else None  # a state we do not show: acknowledged, nothing recorded
        latest = (result.get("data") or [{}])[0] if isinstance(result.get("data"), list) else {}
        note = STATE_NAMES.get(state, "") + (f"：{latest.get('context', '')}" if latest.get("context") else "")
        return number, STATES[state], note[:200]

    ACK = {"result": True, "returnCode": "200", "message": "成功"}
