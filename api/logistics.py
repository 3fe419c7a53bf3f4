"""Carriers' tracking pushes (快递100 订阅推送): verified by their signature, then stages on the
case's timeline."""
from flask import request

from services import audit
from services.errors import NotFound
from services.logistics import record_pushed
from services.registry import registry

from . import bp


@bp.post("/logistics/kuaidi100")
def kuaidi100_push():
    carrier = registry().carrier
    if not hasattr(carrier, "verify_push"):
        raise NotFound("没有这个地址")
    pushed = carrier.verify_push(request.form)
    if pushed is None:
        audit.record("carrier", None, "kuaidi100", "logistics_push_refused", "carrier:kuaidi100",
                     ip=request.remote_addr or "")
        return {"result": False, "returnCode": "500", "message": "签名不对或内容无法识别"}, 400
    number, stage, note = pushed
    if stage != -1:
        record_pushed(number, stage, note)
    return carrier.ACK, 200
