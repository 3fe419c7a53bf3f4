"""Payment providers. The sandbox (the default) hosts its own 支付 / 取消 page on this server
and notifies us exactly as a real provider would: a signed POST body. A real provider plugs in
beside it with its own checkout URL and secret."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from services.exchange.http import sign, verify


class SandboxProvider:
    name = "sandbox"
    label = "演示支付"
    is_sandbox = True
    available = True

    def __init__(self, secret: str):
        self.secret = secret

    def checkout_path(self, order_number: str) -> str:
        return f"/pay/sandbox/{order_number}"

    def scan_path(self, order_number: str) -> str:
        """What a QR shown on a kiosk opens on any phone (a real provider's code_url): the order's
        checkout, for whoever scans it — a family member may pay."""
        return f"/pay/sandbox/{order_number}?t={self._scan_token(order_number)}"

    def scan_token_ok(self, order_number: str, token) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self._scan_token(order_number).encode())

    def _scan_token(self, order_number: str) -> str:
        return hmac.new(self.secret.encode(), f"scan:{order_number}".encode(), hashlib.sha256).hexdigest()[:32]

    def notification(self, order_number: str, amount_fen: int, txn: str) -> tuple[bytes, dict]:
        """What the provider POSTs to /api/v1/payments/sandbox/notify when the person has paid."""
        body = json.dumps({"order": order_number, "amount_fen": amount_fen, "txn": txn,
                           "status": "SUCCESS"}).encode()
        timestamp = str(int(time.time()))
        return body, {"X-Timestamp": timestamp, "X-Signature": sign(self.secret, timestamp, body)}

    def verify(self, body: bytes, headers) -> dict | None:
        if not verify(self.secret, headers.get("X-Timestamp"), headers.get("X-Signature"), body):
            return None
        try:
            notice = json.loads(body)
        except (ValueError, RecursionError):
            return None
        return notice if isinstance(notice, dict) else None


    def answer(self, ok: bool, message: str = "", status: int = 400):
        return ({"result": "OK"}, 200) if ok else ({"result": "FAIL", "message": message}, status)


class TaxSandbox(SandboxProvider):
    """The tax bureau's collection channel (税务缴费渠道), in the demo: its own marked checkout
    page and signed notice, as the payment sandbox's. A real tax channel plugs in beside it."""
    name = "tax-sandbox"
    label = "演示税务缴费渠道"
    available = True


class NoTaxChannel:
    """No link to the tax bureau's channel: contributions it collects are not taken here; the
    page tells people where to pay them (the tax bureau's app, a bank, the village's 协办员)."""
    name = "tax"
    label = "税务缴费渠道"
    is_sandbox = False
    available = False


TAX_CHANNELS = {"sandbox": TaxSandbox, "none": lambda secret: NoTaxChannel()}


def make_tax_channel(name: str, secret: str, production: bool):
    if name not in TAX_CHANNELS:
        raise RuntimeError(f"未知的税务缴费渠道 TAX_CHANNEL={name}")
    channel = TAX_CHANNELS[name](secret + ":tax")
    if production and channel.is_sandbox:
        raise RuntimeError("APP_ENV=production 不能使用演示的税务缴费渠道（TAX_CHANNEL=sandbox）；未接入时设为 none")
    return channel


def _wechat(secret: str, config: dict):
    from services.wechatpay import from_config

    return from_config(config)


PROVIDERS = {"sandbox": lambda secret, config: SandboxProvider(secret), "wechat": _wechat}


def make_provider(name: str, secret: str, production: bool, config: dict | None = None):
    if name not in PROVIDERS:
        raise RuntimeError(f"未知的支付通道 PAYMENT_PROVIDER={name}")
    provider = PROVIDERS[name](secret, config or {})
    if production and provider.is_sandbox:
        raise RuntimeError("APP_ENV=production 不能使用演示支付通道（PAYMENT_PROVIDER=sandbox）")
    return provider
