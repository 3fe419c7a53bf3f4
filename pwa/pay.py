"""缴费 on the phone: choose, an order with the server's amount, the provider's page, a receipt."""
import secrets

from flask import redirect, render_template, request

from services.cases.receipts import qr_svg
from services.errors import DomainError, NotFound
from services.exchange import DepartmentUnavailable
from services.payments import (
    accept_notification,
    cancel_order,
    checkout_url,
    create_order,
    household,
    order_for_checkout,
    order_of,
    payable,
    provider_checkout,
    provider_for,
    provider_of_order,
    receipt_link,
    scan_to_pay_url,
)
from services.queries import from_sandbox
from services.registry import registry
from web.access import applicant, citizen_required, current_actor, verified_required
from web.forms import PayInput, SandboxPayInput
from web.frontends import flow_url, pays_by_scan
from web.inputs import Parsed, parse
from web.security import no_store

from . import bp


@bp.route("/pay/<code>", methods=["GET", "POST"])
@verified_required
def pay(code: str):
    item = payable(registry().catalog.get(code))
    if not provider_for(item.code).available:  # the tax bureau collects it and is not linked here
        return no_store(render_template("flows/pay.html", item=item, members=[], unavailable=False, handoff=True))
    try:
        members = household(registry().exchange, item, applicant())
    except DepartmentUnavailable:
        return no_store(render_template("flows/pay.html", item=item, members=[], unavailable=True,
                                        errors={}, key="", values={}), 503)
    form = Parsed(values={"grade": "", "members": [], "key": secrets.token_hex(16)})
    if request.method == "POST":
        form = parse(PayInput, request.form)
        try:
            if form.ok:
                order = create_order(item, applicant(), form.data.model_dump(), members, form.data.key,
                                     current_actor())
        except DomainError as exc:
            form.refuse(exc, "grade")
        else:
            if form.ok and pays_by_scan():  # a kiosk shows the checkout as a QR for a phone
                return redirect(flow_url("pay_order", number=order.number), code=303)
            if form.ok:
                return redirect(checkout_url(provider_for(item.code), order), code=303)
        if "key" in form.errors:  # an expired page: start again with a fresh key, say so
            form.errors[""] = form.errors.pop("key")
            form.values["key"] = secrets.token_hex(16)
    return no_store(render_template(
        "flows/pay.html", item=item, members=members, errors=form.errors, values=form.values, unavailable=False,
        key=form.values.get("key"), demo=from_sandbox(registry().exchange, item)), 422 if form.errors else 200)


@bp.route("/pay/sandbox/<number>", methods=["GET", "POST"])
def pay_sandbox(number: str):
    """The sandbox provider's own checkout page (a real provider's lives on its site): for the
    order's owner, or for any phone that scanned the order's QR on a kiosk (`t`)."""
    provider = provider_of_order(number)
    if not provider.is_sandbox:
        raise NotFound("没有这个页面")
    scanned = request.args.get("t", "")[:64]
    owner = applicant().id if applicant() is not None else None
    if owner is None and not scanned:
        return redirect(flow_url("signin", next=request.full_path), code=303)
    order, by_scan = order_for_checkout(provider, owner, number, scanned)
    form = parse(SandboxPayInput, request.form)
    if request.method == "POST" and by_scan and form.ok and form.data.choice != "pay":
        form.errors["choice"] = "扫码只能付款；要取消，请在自助终端上点“取消订单”"
    if request.method == "POST" and order.status == "pending" and form.ok and not form.errors:
        if form.data.choice == "pay":
            body, headers = provider.notification(order.number, order.amount_fen, "SBX" + secrets.token_hex(8))
            accept_notification(provider, body, headers, request.remote_addr or "")  # as a provider's POST would
        else:
            cancel_order(order, current_actor() if owner is not None else None)
        if by_scan:  # a phone that scanned the kiosk's QR: stay on this page, now paid
            return redirect(request.full_path, code=303)
        return redirect(flow_url("pay_order", number=number), code=303)
    refused = request.method == "POST" and bool(form.errors)
    return no_store(render_template("flows/pay_sandbox.html", order=order, error=form.errors.get("choice") if refused else None,
                                    by_scan=by_scan, provider=provider), 422 if refused else 200)


@bp.get("/pay/orders/<number>/wechat")
@citizen_required
def pay_wechat(number: str):
    """To WeChat Pay's checkout (H5) for the signed-in person's order, and back to the order after."""
    order = order_of(applicant().id, number)
    provider = provider_for(order.item_code)
    if not hasattr(provider, "h5_url"):
        raise NotFound("没有这个页面")
    back = registry().public_base_url + flow_url("pay_order", number=number)
    return redirect(provider_checkout(provider, order, request.remote_addr or "", back), code=303)


@bp.route("/pay/orders/<number>", methods=["GET", "POST"])
@citizen_required
def pay_order(number: str):
    order = order_of(applicant().id, number)
    error = None
    if request.method == "POST":
        try:
            cancel_order(order, current_actor())
        except DomainError as exc:
            error = exc.message
    provider = provider_for(order.item_code)
    scan_qr = qr_svg(scan_to_pay_url(provider, order)) if pays_by_scan() and order.status == "pending" else ""
    return no_store(render_template("flows/pay_order.html", order=order, error=error, scan_qr=scan_qr,
                                    demo=provider.is_sandbox, pay_url=checkout_url(provider, order), provider=provider,
                                    qr=qr_svg(receipt_link(order)) if order.status == "paid" else ""),
                    422 if error else 200)
