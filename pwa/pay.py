"""缴费 on the phone: choose, an order with the server's amount, the provider's page, a receipt."""
import secrets

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from extensions import csrf
from services.errors import DomainError, NotFound
from services.exchange import DepartmentUnavailable
from services.payments import cancel_order, confirm_paid, create_order, household, order_of
from services.receipts import qr_svg
from web.access import citizen_required, verified_required
from web.security import no_store

from . import bp


@bp.route("/pay/<code>", methods=["GET", "POST"])
@verified_required
def pay(code: str):
    item = current_app.extensions["catalog"].get(code)
    if item.kind != "payment":
        raise NotFound("这个事项不能在线缴费")
    try:
        members = household(current_app.extensions["exchange"], item, current_user)
    except DepartmentUnavailable:
        return no_store(render_template("pwa/pay.html", item=item, members=[], unavailable=True,
                                        errors={}, key="", values={}), 503)
    errors, values = {}, {"grade": "", "members": []}
    if request.method == "POST":
        values = {"grade": request.form.get("grade", ""), "members": request.form.getlist("members")}
        try:
            order = create_order(item, current_user, values, members, request.form.get("key", ""))
        except DomainError as exc:
            errors[exc.field or "grade"] = exc.message
        else:
            provider = current_app.extensions["payment_provider"]
            return redirect(provider.checkout_path(order.number), code=303)
    return no_store(render_template(
        "pwa/pay.html", item=item, members=members, errors=errors, values=values, unavailable=False,
        key=request.form.get("key") or secrets.token_hex(16)), 422 if errors else 200)


@bp.route("/pay/sandbox/<number>", methods=["GET", "POST"])
@citizen_required
def pay_sandbox(number: str):
    """The sandbox provider's own checkout page (a real provider's lives on its site)."""
    order = order_of(current_user.id, number)
    provider = current_app.extensions["payment_provider"]
    if not provider.is_sandbox:
        raise NotFound("没有这个页面")
    if request.method == "POST" and order.status == "pending":
        if request.form.get("choice") == "pay":
            body, headers = provider.notification(order.number, order.amount_fen, "SBX" + secrets.token_hex(8))
            _accept_notification(provider, body, headers)  # the same path a provider's POST takes
        else:
            cancel_order(order)
        return redirect(url_for("pwa.pay_order", number=number), code=303)
    return no_store(render_template("pwa/pay_sandbox.html", order=order))


def _accept_notification(provider, body: bytes, headers):
    from services.audit import record

    notice = provider.verify(body, headers)
    if notice is None or notice.get("status") != "SUCCESS":
        record("system", None, provider.name, "payment_refused", "", {"reason": "signature"},
               ip=request.remote_addr or "")
        return False
    confirm_paid(str(notice.get("order")), int(notice.get("amount_fen", -1)), str(notice.get("txn", "")), provider.name)
    return True


@bp.post("/pay/callback/<provider_name>")
@csrf.exempt
def pay_callback(provider_name: str):
    provider = current_app.extensions["payment_provider"]
    if provider_name != provider.name:
        raise NotFound("没有这个支付通道")
    try:
        ok = _accept_notification(provider, request.get_data(), request.headers)
    except DomainError as exc:
        return {"result": "FAIL", "message": exc.message}, 409
    return ({"result": "OK"}, 200) if ok else ({"result": "FAIL", "message": "签名无效"}, 401)


@bp.route("/pay/orders/<number>", methods=["GET", "POST"])
@citizen_required
def pay_order(number: str):
    order = order_of(current_user.id, number)
    error = None
    if request.method == "POST":
        try:
            cancel_order(order)
        except DomainError as exc:
            error = exc.message
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/pay/orders/{order.number}"
    return no_store(render_template("pwa/pay_order.html", order=order, error=error,
                                    qr=qr_svg(link) if order.status == "paid" else ""),
                    422 if error else 200)
