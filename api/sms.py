"""SMS gateways' delivery receipts (状态报告): kept on the message the gateway took."""
import hmac

from flask import current_app, request

from services import audit
from services.errors import NotFound
from services.outbox import record_receipts
from services.registry import registry
from services.sms_gateways import RECEIPT_ANSWERS, GatewayError, parse_receipts

from . import bp


@bp.post("/sms/receipts/<gateway>/<token>")
def sms_receipts(gateway: str, token: str):
    expected = current_app.config["SMS_RECEIPT_TOKEN"]
    if gateway != registry().sms.name or gateway not in RECEIPT_ANSWERS or not expected \
            or not hmac.compare_digest(token.encode("utf-8", "replace"), expected.encode()):
        audit.record("gateway", None, gateway[:20], "sms_receipt_refused", f"sms:{gateway[:20]}",
                     ip=request.remote_addr or "")
        raise NotFound("没有这个地址")
    try:
        reports = parse_receipts(gateway, request.get_data())
    except GatewayError as exc:
        return {"error": {"status": 400, "message": str(exc)}}, 400
    known = record_receipts(reports)
    current_app.logger.info("sms receipts: %d of %d matched", known, len(reports))
    return RECEIPT_ANSWERS[gateway], 200
