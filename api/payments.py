"""Payment providers' notifications (支付结果通知): signed POSTs, verified before anything changes."""
from flask import request

from services.errors import DomainError, NotFound
from services.payments import accept_notification, providers

from . import bp


@bp.post("/payments/<provider_name>/notify")
def payment_notification(provider_name: str):
    provider = next((p for p in providers() if p.name == provider_name), None)
    if provider is None:
        raise NotFound("没有这个支付通道")
    try:
        accept_notification(provider, request.get_data(), request.headers, request.remote_addr or "")
    except DomainError as exc:
        body, status = provider.answer(False, exc.message, 409 if exc.status == 400 else exc.status)
        # The provider reads its own fields; everything else reads the API's error object.
        return {**body, "error": {"status": status, "message": exc.message}}, status
    return provider.answer(True)
