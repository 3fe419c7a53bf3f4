"""WeChat Pay API v3 (微信支付): H5 on a phone's browser, Native (a QR any phone scans) at a kiosk
or for an agent. Requests are signed SHA256-with-RSA by the merchant's key
(WECHATPAY2-SHA256-RSA2048); answers and payment notices are verified with WeChat Pay's public
key, within a 5-minute window we enforce ourselves, each notice's nonce used once; a notice's
resource is decrypted with the APIv3 key (AEAD_AES_256_GCM). Orders whose notice never came are
asked after (order query); each day's bill is fetched for reconciliation (对账)."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.clock import CHINA, to_china
from services.errors import DomainError

WINDOW = 300  # seconds a signed answer or notice may be old (or early)
TIMEOUT = 10


class PaymentProviderError(DomainError):
    status = 502

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code  # WeChat Pay's error code, when it answered one


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _load_private(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _load_public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


class WechatPay:
    name = "wechat"
    label = "微信支付"
    is_sandbox = False
    available = True

    def __init__(self, mchid: str, appid: str, merchant_key_pem: str, merchant_serial: str,
                 platform_public_key_pem: str, platform_key_id: str, apiv3_key: str, notify_url: str,
                 endpoint: str = "https://api.mch.weixin.qq.com", clock=time.time, nonces=None):
        if len(apiv3_key.encode()) != 32:
            raise RuntimeError("WECHATPAY_APIV3_KEY 须是 32 个字符")
        self.mchid, self.appid, self.merchant_serial = mchid, appid, merchant_serial
        self.merchant_key, self.platform_key = _load_private(merchant_key_pem), _load_public(platform_public_key_pem)
        self.platform_key_id, self.apiv3_key, self.notify_url = platform_key_id, apiv3_key.encode(), notify_url
        self.endpoint, self.clock = endpoint.rstrip("/"), clock
        self.nonces = nonces  # remembers a notice's nonce once (services.exchange.keys.remember_nonce)

    # --- signing ------------------------------------------------------------------------------

    def authorization(self, method: str, path: str, body: str, timestamp: str | None = None,
                      nonce: str | None = None) -> str:
        timestamp, nonce = timestamp or str(int(self.clock())), nonce or secrets.token_hex(16)
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()
        signature = _b64(self.merchant_key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
        return (f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
                f'timestamp="{timestamp}",serial_no="{self.merchant_serial}"')

    def signed_by_wechat(self, headers, body: bytes) -> bool:
        """An answer or notice WeChat Pay signed, just now, with the key we hold."""
        timestamp, nonce = headers.get("Wechatpay-Timestamp", ""), headers.get("Wechatpay-Nonce", "")
        signature, serial = headers.get("Wechatpay-Signature", ""), headers.get("Wechatpay-Serial", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and nonce and signature and serial):
            return False
        if serial != self.platform_key_id or abs(self.clock() - int(timestamp)) > WINDOW:
            return False
        try:
            self.platform_key.verify(base64.b64decode(signature, validate=True),
                                     f"{timestamp}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(),
                                     hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def _call(self, method: str, path: str, payload: dict | None = None, raw: bool = False):
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        request = urllib.request.Request(self.endpoint + path, data=body.encode() if payload is not None else None,
                                         method=method, headers={
                                             "Authorization": self.authorization(method, path, body),
                                             "Accept": "application/json", "Content-Type": "application/json",
                                             "User-Agent": "zhenyuan-portal"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data, headers, status = response.read(), response.headers, response.status
        except urllib.error.HTTPError as exc:
            data, headers, status = exc.read(), exc.headers, exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PaymentProviderError(f"微信支付暂时无法连接（{type(exc).__name__}），请稍后再试")
        if raw and status == 200:
            return data  # a bill file: its hash is checked by the caller
        if data and not self.signed_by_wechat(headers, data):
            raise PaymentProviderError("微信支付的应答签名不对，已停止")
        answer = json.loads(data or b"{}")
        if status >= 400:
            raise PaymentProviderError(f"微信支付拒绝：{answer.get('code', status)} {str(answer.get('message', ''))[:60]}",
                                       str(answer.get("code", "")))
        return answer

    # --- paying -------------------------------------------------------------------------------

    def _order(self, order, extra: dict) -> dict:
        return {"appid": self.appid, "mchid": self.mchid, "description": order.item_name[:127],
                "out_trade_no": order.number, "notify_url": self.notify_url,
                "time_expire": to_china(order.expires_at).isoformat(timespec="seconds"),
                "amount": {"total": order.amount_fen, "currency": "CNY"}, **extra}

    def h5_url(self, order, payer_ip: str, return_url: str) -> str:
        """Where a phone's browser pays (H5): WeChat's page, back to our order page after."""
        answer = self._call("POST", "/v3/pay/transactions/h5", self._order(order, {
            "scene_info": {"payer_client_ip": payer_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}}))
        return answer["h5_url"] + "&redirect_url=" + urllib.parse.quote(return_url, safe="")

    def code_url(self, order) -> str:
        """What a QR holds for any phone to scan and pay (Native)."""
        return self._call("POST", "/v3/pay/transactions/native", self._order(order, {}))["code_url"]

    def verify(self, body: bytes, headers) -> dict | None:
        """A payment notice: signed by WeChat Pay just now, its nonce never seen, its resource
        decrypted; the notice in our terms, or None."""
        if not self.signed_by_wechat(headers, body):
            return None
        if self.nonces is not None and not self.nonces("wechat", headers.get("Wechatpay-Nonce")):
            return None  # the very same notice again: a replay
        try:
            resource = json.loads(body)["resource"]
            plain = AESGCM(self.apiv3_key).decrypt(resource["nonce"].encode(),
                                                   base64.b64decode(resource["ciphertext"]),
                                                   (resource.get("associated_data") or "").encode())
            transaction = json.loads(plain)
        except (ValueError, KeyError, TypeError, InvalidTag):
            return None
        return self._notice(transaction)

    def _notice(self, transaction: dict) -> dict | None:
        if not isinstance(transaction, dict) or transaction.get("mchid") != self.mchid:
            return None
        return {"order": transaction.get("out_trade_no"), "txn": transaction.get("transaction_id", ""),
                "amount_fen": (transaction.get("amount") or {}).get("total"), "paid_at": _when(transaction),
                "status": "SUCCESS" if transaction.get("trade_state") == "SUCCESS" else transaction.get("trade_state")}

    def close(self, order_number: str) -> None:
        """关闭订单: an order cancelled here can no longer be paid there."""
        path = f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(order_number, safe='')}/close"
        self._call("POST", path, {"mchid": self.mchid})

    def query(self, order_number: str) -> dict | None:
        """The order as WeChat Pay knows it (查询订单), in our terms: for notices that never came."""
        path = (f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(order_number, safe='')}"
                f"?mchid={urllib.parse.quote(self.mchid, safe='')}")
        return self._notice(self._call("GET", path))

    def bill(self, day: date) -> list[dict]:
        """The day's successful payments in WeChat Pay's bill (交易账单), for reconciliation."""
        try:
            answer = self._call("GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=SUCCESS")
        except PaymentProviderError as exc:
            if exc.code == "NO_STATEMENT_EXIST":  # no payment that day: an empty bill, not a failure
                return []
            raise
        url = urllib.parse.urlsplit(answer["download_url"])
        data = self._call("GET", url.path + (f"?{url.query}" if url.query else ""), raw=True)
        if str(answer.get("hash_type", "")).upper() != "SHA1" or \
                hashlib.sha1(data).hexdigest() != str(answer.get("hash_value", "")).lower():
            raise PaymentProviderError("微信支付账单校验不对，请稍后重新下载")
        return parse_bill(data.decode("utf-8-sig"))

    def checkout_path(self, order_number: str) -> str:
        """Our page that asks WeChat Pay for the H5 checkout and sends the phone there."""
        return f"/pay/orders/{order_number}/wechat"

    def answer(self, ok: bool, message: str = "", status: int = 400):
        """What WeChat Pay expects back from a notice: 204, or a 4xx with a FAIL body."""
        return ("", 204) if ok else ({"code": "FAIL", "message": message}, status)


def from_config(config: dict) -> WechatPay:
    needed = ["WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_CERT_SERIAL",
              "WECHATPAY_PUBLIC_KEY_FILE", "WECHATPAY_PUBLIC_KEY_ID", "WECHATPAY_APIV3_KEY", "PUBLIC_BASE_URL"]
    missing = [n for n in needed if not config.get(n)]
    if missing:
        raise RuntimeError(f"PAYMENT_PROVIDER=wechat 需要设置 {'、'.join(missing)}")
    from pathlib import Path

    from services.exchange.keys import remember_nonce

    return WechatPay(config["WECHATPAY_MCHID"], config["WECHATPAY_APPID"],
                     Path(config["WECHATPAY_PRIVATE_KEY_FILE"]).read_text(), config["WECHATPAY_CERT_SERIAL"],
                     Path(config["WECHATPAY_PUBLIC_KEY_FILE"]).read_text(), config["WECHATPAY_PUBLIC_KEY_ID"],
                     config["WECHATPAY_APIV3_KEY"], config["PUBLIC_BASE_URL"].rstrip("/") + "/api/v1/payments/wechat/notify",
                     endpoint=config.get("WECHATPAY_ENDPOINT") or "https://api.mch.weixin.qq.com",
                     nonces=remember_nonce)


def _when(transaction: dict):
    """When WeChat Pay says the money was paid (RFC 3339, +08:00), or None."""
    try:
        moment = datetime.fromisoformat(str(transaction.get("success_time", "")))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def parse_bill(text: str) -> list[dict]:
    """The rows of a trade bill: its values begin with ` (to keep a spreadsheet from reading
    them as numbers); the summary after the rows is not a payment."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [h.strip() for h in lines[0].split(",")]
    rows = []
    for line in lines[1:]:
        if not line.startswith("`"):
            break  # 总交易单数,… : the summary
        values = dict(zip(header, (v.strip().lstrip("`") for v in line.split(","))))
        yuan = values.get("订单金额") or values.get("应结订单金额") or "0"
        try:
            paid_at = datetime.strptime(values.get("交易时间", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
        except ValueError:
            paid_at = None
        rows.append({"order": values.get("商户订单号", ""), "txn": values.get("微信订单号", ""),
                     "status": values.get("交易状态", ""), "amount_fen": round(float(yuan) * 100), "paid_at": paid_at})
    return rows
