"""Real SMS gateways: Alibaba Cloud SMS (dysmsapi SendSms, signature V3 ACS3-HMAC-SHA256) and
Tencent Cloud SMS (SendSms 2021-01-11, TC3-HMAC-SHA256). Each sends the template the county
registered for a message's kind (services.sms.TEMPLATES: the same words, the parameters in the
same order) and returns the gateway's answer, which the outbox keeps on the message; a refusal or
a network failure raises, and the outbox tries again later. Nothing here logs, and no error
carries a phone number or a code (the outbox stores errors)."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from services.sms import PARAMETERS

TIMEOUT = 10  # seconds: a gateway that does not answer is tried again by the outbox


class GatewayError(Exception):
    """The gateway refused the message or could not be reached: the outbox tries again."""

    def __init__(self, message: str):
        super().__init__(scrub(message))


def scrub(text: str) -> str:
    """No phone number or code in what is kept of an error: runs of 4 or more digits go."""
    return re.sub(r"\d{4,}", "…", str(text))[:300]


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


class _Gateway:
    is_sandbox = False

    def __init__(self, templates: dict[str, str], endpoint: str, clock=time.time):
        missing = sorted(set(PARAMETERS) - set(templates))
        if missing:  # a message of a kind with no template would never be sent: refuse to start
            raise RuntimeError(f"SMS_TEMPLATES 缺少这些短信的模板编号：{'、'.join(missing)}")
        self.templates, self.endpoint, self.clock = templates, endpoint.rstrip("/"), clock

    def _template(self, payload: dict) -> tuple[str, list[tuple[str, str]]]:
        kind = payload.get("kind")
        if kind not in PARAMETERS:
            raise GatewayError(f"短信没有模板（kind={kind!s:.40}）")
        params = payload.get("params") or {}
        return self.templates[kind], [(name, str(params.get(name, ""))) for name in PARAMETERS[kind]]

    def _post(self, url: str, headers: dict, body: bytes) -> dict:
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        except ValueError as exc:  # an endpoint without a scheme: the URL carries the number, not kept
            raise GatewayError(f"短信网关地址不对（{type(exc).__name__}），请检查 SMS_ENDPOINT")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:  # the gateway's error body says why
            try:
                return json.loads(exc.read() or b"{}")
            except ValueError:
                raise GatewayError(f"HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"网关无法连接：{type(exc).__name__}")
        except ValueError:
            raise GatewayError("网关的应答不是 JSON")


# --- Alibaba Cloud ---------------------------------------------------------------------------

def acs3_canonical_query(query: dict[str, str]) -> str:
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items()))


def acs3_authorization(access_key_id: str, secret: str, method: str, path: str, query: dict[str, str],
                       headers: dict[str, str], body: bytes) -> str:
    """Signature V3 (ACS3-HMAC-SHA256): every header given is signed, by its lower-case name."""
    signed = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted(signed)
    canonical = "\n".join([method, path or "/", acs3_canonical_query(query),
                           "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names), _sha256_hex(body)])
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256_hex(canonical.encode("utf-8"))
    signature = hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={';'.join(names)},Signature={signature}"


class AliyunSms(_Gateway):
    name = "aliyun"

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str, templates: dict[str, str],
                 endpoint: str = "https://dysmsapi.aliyuncs.com", clock=time.time):
        super().__init__(templates, endpoint, clock)
        self.access_key_id, self.secret, self.sign_name = access_key_id, access_key_secret, sign_name

    def request(self, phone: str, payload: dict, key: str) -> tuple[str, dict, bytes]:
        template, params = self._template(payload)
        query = {"PhoneNumbers": phone, "SignName": self.sign_name, "TemplateCode": template,
                 "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
                 "OutId": key[-64:]}  # our outbox key: the receipt names it
        body = b""
        headers = {"host": urlsplit(self.endpoint).netloc, "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
                   "x-acs-date": datetime.fromtimestamp(self.clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "x-acs-signature-nonce": secrets.token_hex(16), "x-acs-content-sha256": _sha256_hex(body)}
        headers["Authorization"] = acs3_authorization(self.access_key_id, self.secret, "POST", "/", query, headers, body)
        return f"{self.endpoint}/?{acs3_canonical_query(query)}", headers, body

    def send(self, phone: str, payload: dict, key: str) -> dict:
        answer = self._post(*self.request(phone, payload, key))
        if answer.get("Code") != "OK":
            raise GatewayError(f"阿里云短信拒绝：{answer.get('Code')} {answer.get('Message', '')}")
        return {"gateway": self.name, "id": str(answer.get("BizId", "")), "request_id": str(answer.get("RequestId", ""))}


# --- Tencent Cloud ---------------------------------------------------------------------------

def tc3_authorization(secret_id: str, secret_key: str, service: str, host: str, content_type: str,
                      timestamp: int, body: bytes) -> str:
    """TC3-HMAC-SHA256 over POST / with content-type and host signed."""
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           _sha256_hex(body)])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentSms(_Gateway):
    name = "tencent"
    CONTENT_TYPE = "application/json"

    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str, templates: dict[str, str],
                 endpoint: str = "https://sms.tencentcloudapi.com", region: str = "ap-guangzhou", clock=time.time):
        super().__init__(templates, endpoint, clock)
        self.secret_id, self.secret_key, self.sdk_app_id = secret_id, secret_key, sdk_app_id
        self.sign_name, self.region = sign_name, region

    def request(self, phone: str, payload: dict, key: str) -> tuple[str, dict, bytes]:
        template, params = self._template(payload)
        body = json.dumps({"PhoneNumberSet": [f"+86{phone}"], "SmsSdkAppId": self.sdk_app_id,
                           "SignName": self.sign_name, "TemplateId": template,
                           "TemplateParamSet": [value for _, value in params], "SessionContext": key[-64:]},
                          ensure_ascii=False).encode("utf-8")
        host, timestamp = urlsplit(self.endpoint).netloc, int(self.clock())
        headers = {"Host": host, "Content-Type": self.CONTENT_TYPE, "X-TC-Action": "SendSms",
                   "X-TC-Version": "2021-01-11", "X-TC-Timestamp": str(timestamp), "X-TC-Region": self.region,
                   "Authorization": tc3_authorization(self.secret_id, self.secret_key, "sms", host, self.CONTENT_TYPE,
                                                      timestamp, body)}
        return self.endpoint + "/", headers, body

    def send(self, phone: str, payload: dict, key: str) -> dict:
        answer = self._post(*self.request(phone, payload, key)).get("Response", {})
        if "Error" in answer:
            error = answer["Error"]
            raise GatewayError(f"腾讯云短信拒绝：{error.get('Code')} {error.get('Message', '')}")
        status = (answer.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            raise GatewayError(f"腾讯云短信拒绝：{status.get('Code')} {status.get('Message', '')}")
        return {"gateway": self.name, "id": str(status.get("SerialNo", "")), "request_id": str(answer.get("RequestId", ""))}


# --- chosen in configuration (SMS_SENDER) ------------------------------------------------------

def _setting(config: dict, name: str) -> str:
    value = config.get(name) or ""
    if not value:
        raise RuntimeError(f"SMS_SENDER 需要设置 {name}")
    return value


def _templates(config: dict) -> dict[str, str]:
    raw = config.get("SMS_TEMPLATES") or "{}"
    try:
        templates = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError:
        raise RuntimeError("SMS_TEMPLATES 须是 JSON：{\"signin_code\": \"SMS_123\", …}")
    return {str(k): str(v) for k, v in templates.items()}


def aliyun_from_config(config: dict) -> AliyunSms:
    return AliyunSms(_setting(config, "ALIYUN_ACCESS_KEY_ID"), _setting(config, "ALIYUN_ACCESS_KEY_SECRET"),
                     _setting(config, "SMS_SIGN_NAME"), _templates(config),
                     endpoint=config.get("SMS_ENDPOINT") or "https://dysmsapi.aliyuncs.com")


def tencent_from_config(config: dict) -> TencentSms:
    return TencentSms(_setting(config, "TENCENT_SECRET_ID"), _setting(config, "TENCENT_SECRET_KEY"),
                      _setting(config, "TENCENT_SMS_APP_ID"), _setting(config, "SMS_SIGN_NAME"), _templates(config),
                      endpoint=config.get("SMS_ENDPOINT") or "https://sms.tencentcloudapi.com",
                      region=config.get("TENCENT_SMS_REGION") or "ap-guangzhou")


GATEWAYS = {"aliyun": aliyun_from_config, "tencent": tencent_from_config}


# --- delivery receipts (状态报告), pushed by the gateway -----------------------------------------
# Neither gateway signs its pushes: the address it is given carries a secret (SMS_RECEIPT_TOKEN).
RECEIPT_ANSWERS = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


def parse_receipts(gateway: str, body: bytes) -> list[tuple[str, bool, str]]:
    """(gateway message id, delivered?, what the carrier said) for each report in a push."""
    try:
        reports = json.loads(body or b"[]")
    except (ValueError, RecursionError):
        raise GatewayError("状态报告不是 JSON")
    if isinstance(reports, dict):
        reports = [reports]
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports) or len(reports) > 1000:
        raise GatewayError("状态报告格式不对")
    if gateway == "aliyun":  # SmsReport: biz_id, success, err_code, err_msg
        return [(str(r.get("biz_id", ""))[:64], r.get("success") is True,
                 scrub(f"{r.get('err_code', '')} {r.get('err_msg', '')}".strip())) for r in reports]
    # Tencent: sid, report_status SUCCESS|FAIL, errmsg, description
    return [(str(r.get("sid", ""))[:64], r.get("report_status") == "SUCCESS",
             scrub(f"{r.get('errmsg', '')} {r.get('description', '')}".strip())) for r in reports]
