"""Payments (缴费): an order whose amount the server computes from the catalog, paid through a
provider, and marked paid only by a callback whose signature the server has verified. A
repeated callback changes nothing; a forged or tampered one is refused and logged."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.audit import record
from services.catalog import Item
from services.clock import aware, today, utcnow
from services.errors import DomainError, NotFound, Unauthenticated
from services.outbox import enqueue
from services.people.identity import Person, mask_id_number
from services.registry import registry
from services.sms import message

ORDER_TTL = timedelta(minutes=30)
STATUS_NAMES = {"pending": "待支付", "paid": "已支付", "cancelled": "已取消", "expired": "已过期"}


class PaymentOrder(db.Model):
    __tablename__ = "payment_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    actor_kind: Mapped[str] = mapped_column(String(12), default="citizen")  # who placed it: a kiosk, an agent …
    actor_id: Mapped[int | None] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(80))
    lines: Mapped[list] = mapped_column(JSON)  # what is paid for, as shown on the receipt
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_txn: Mapped[str | None] = mapped_column(String(64))
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)  # 电子票据号
    # The provider's QR content for this order (WeChat Pay Native's code_url), asked for once.
    scan_ref: Mapped[str | None] = mapped_column(String(300))

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def amount_yuan(self) -> float:
        return self.amount_fen / 100


def household(adapters: dict, item: Item, person: Person) -> list[dict]:
    """Who this person may pay for: the department's household list, or only themselves."""
    record_ = adapters[item.system].query("household", person.id_number, person.name) if item.system else None
    members = (record_ or {}).get("members") or [
        {"name": person.name, "id_number": person.id_number, "relation": "本人", "paid": False}]
    return members


def payable(item: Item) -> Item:
    if item.kind != "payment":
        raise NotFound("这个事项不能在线缴费")
    return item


def provider_for(item_code: str):
    """Who takes the money for this item: the tax bureau's channel for what it collects
    (Item.collector), our payment provider otherwise."""
    found = registry()
    return found.tax_channel if found.catalog.get(item_code).collector == "tax" else found.payment_provider


def provider_of_order(number: str):
    """Who takes the money for this order's item (an unknown order: our payment provider)."""
    code = db.session.scalar(select(PaymentOrder.item_code).where(PaymentOrder.number == number)) \
        if inputs.is_key(number, 32) else None
    return provider_for(code) if code else registry().payment_provider


def providers():
    return [p for p in (registry().payment_provider, registry().tax_channel) if p is not None]


def create_order(item: Item, person: Person, choice: dict, members: list[dict], key: str,
                 actor=None) -> PaymentOrder:
    """The amount comes from the catalog's fee schedule, never from what the form sent."""
    if item.kind != "payment":
        raise DomainError("这个事项不是缴费事项")
    if not person.is_verified:
        raise DomainError("请先完成实名认证")
    if not key or len(key) > 64:
        raise DomainError("页面已过期，请返回重新操作")
    existing = db.session.scalar(select(PaymentOrder).where(PaymentOrder.idempotency_key == key))
    if existing is not None:
        return existing
    if item.payment == "grade":
        rows = {row.label: row for row in item.fee_schedule}
        row = rows.get(choice.get("grade", "")) if isinstance(choice.get("grade"), str) else None
        if row is None:
            raise DomainError("请选择缴费档次", field="grade")
        lines = [{"label": f"{row.label}（{person.name}）", "amount": row.amount}]
    else:
        per_person = item.fee_schedule[0].amount
        chosen = {m for m in (choice.get("members") or []) if isinstance(m, str)}
        payable = {m["id_number"]: m for m in members if not m.get("paid")}
        if not chosen or not chosen <= set(payable):
            raise DomainError("请勾选要缴费的人", field="members")
        lines = [{"label": f"{payable[i]['name']}（{mask_id_number(i)}）", "amount": per_person} for i in sorted(chosen)]
    amount_fen = round(sum(line["amount"] for line in lines) * 100)
    order = PaymentOrder(number="PO" + secrets.token_hex(8).upper(), idempotency_key=key, person_id=person.id,
                         item_code=item.code, item_name=item.name, lines=lines, amount_fen=amount_fen,
                         expires_at=utcnow() + ORDER_TTL, actor_kind=actor.kind if actor else "citizen",
                         actor_id=actor.id if actor else person.id)
    db.session.add(order)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(PaymentOrder).where(PaymentOrder.idempotency_key == key))
    return order


def order_of(person_id: int, number: str) -> PaymentOrder:
    order = (db.session.scalar(select(PaymentOrder).where(PaymentOrder.number == number))
             if inputs.is_key(number, 32) else None)
    if order is None or order.person_id != person_id:
        raise NotFound("没有找到这个订单")
    return expire_if_due(order)


SCAN_SHOWS_PAID_FOR = timedelta(minutes=10)


def order_for_checkout(provider, person_id: int | None, number: str, scan_token: str = "") -> tuple[PaymentOrder, bool]:
    """The order a checkout page shows, and whether it was opened by the kiosk's QR: the
    signer-in's own order, or an order whose scan-to-pay QR (provider.scan_path) was scanned,
    while it can be paid (and for a few minutes after, to show it was)."""
    if scan_token and inputs.is_key(number, 32) and provider.scan_token_ok(number, scan_token):
        order = db.session.scalar(select(PaymentOrder).where(PaymentOrder.number == number))
        if order is not None:
            order = expire_if_due(order)
            fresh = order.status == "pending" or (
                order.status == "paid" and order.paid_at and utcnow() - aware(order.paid_at) < SCAN_SHOWS_PAID_FOR)
            if fresh:
                return order, True
        raise NotFound("这个付款码已失效，请在自助终端上重新下单")
    if person_id is None:
        raise NotFound("没有找到这个订单")
    return order_of(person_id, number), False


def expire_if_due(order: PaymentOrder) -> PaymentOrder:
    if order.status == "pending" and aware(order.expires_at) < utcnow():
        db.session.execute(update(PaymentOrder).where(PaymentOrder.id == order.id, PaymentOrder.status == "pending")
                           .values(status="expired"))
        db.session.commit()
        db.session.refresh(order)
    return order


def cancel_order(order: PaymentOrder, actor=None) -> None:
    """Cancel an unpaid order; someone cancelling for the person (a kiosk, an agent) is in the audit
    log. At a provider that keeps orders open (WeChat Pay), the order is closed there first, so no
    page or QR still open can take the money of a cancelled order."""
    provider = provider_for(order.item_code)
    if order.status == "pending" and hasattr(provider, "close"):
        provider.close(order.number)
    changed = db.session.execute(update(PaymentOrder).where(PaymentOrder.id == order.id,
                                                            PaymentOrder.status == "pending").values(status="cancelled"))
    if changed.rowcount == 1 and actor is not None and actor.kind != "citizen":
        record(actor.kind, actor.id, actor.name, "cancel_order", f"order:{order.number}", {"person": order.person_id},
               commit=False)
    db.session.commit()
    db.session.refresh(order)
    if changed.rowcount != 1:
        raise DomainError(f"订单{order.status_name}，不能取消")


def accept_notification(provider, body: bytes, headers, ip: str = "") -> PaymentOrder:
    """A provider's notice that an order was paid: verified, then confirmed exactly once.
    Anything unsigned, tampered or not a success is refused and audit-logged."""
    notice = provider.verify(body, headers)
    if not isinstance(notice, dict) or notice.get("status") != "SUCCESS":
        record("system", None, provider.name, "payment_refused", "", {"reason": "signature"}, ip=ip)
        raise Unauthenticated("签名无效")
    amount = notice.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise DomainError("金额格式不对")
    paid_at = notice.get("paid_at") if isinstance(notice.get("paid_at"), datetime) else None
    return confirm_paid(str(notice.get("order"))[:32], amount, str(notice.get("txn", ""))[:64], provider.name, paid_at)


def receipt_link(order: PaymentOrder) -> str:
    """What the electronic receipt's QR code opens."""
    return f"{registry().public_base_url}/pay/orders/{order.number}"


def scan_to_pay_url(provider, order: PaymentOrder) -> str:
    """What the QR on a kiosk's screen holds: the provider's checkout for any phone — asked of
    the provider once per order (the kiosk's page shows it again while it waits)."""
    if hasattr(provider, "code_url"):
        if not order.scan_ref:
            order.scan_ref = provider.code_url(order)[:300]
            db.session.commit()
        return order.scan_ref
    path = provider.scan_path(order.number)
    return path if "://" in path else registry().public_base_url + path


def provider_checkout(provider, order: PaymentOrder, payer_ip: str, return_url: str) -> str:
    """The provider's own checkout page for a phone's browser (WeChat Pay H5), for a pending order."""
    order = expire_if_due(order)
    if order.status != "pending":
        raise DomainError(f"订单{order.status_name}，不能支付")
    return provider.h5_url(order, payer_ip, return_url)


SETTLE_AFTER = timedelta(minutes=2)
# Minutes after an order was placed at which the provider is asked about it (the worker runs
# every minute), then once an hour for two days: often while a payment is likely, rarely after.
ASK_AT = frozenset({2, 3, 5, 10, 15, 30, 45})


def settle_unnotified(provider, now: datetime | None = None) -> int:
    """Orders still waiting a while after they were placed: asked of the provider (查询订单), and
    confirmed paid if it says so — a notice that never came loses nobody their payment."""
    if not hasattr(provider, "query"):
        return 0
    now, settled = now or utcnow(), 0
    collects = [i.code for i in registry().catalog.items if i.kind == "payment" and provider_for(i.code) is provider]
    waiting = db.session.scalars(select(PaymentOrder).where(PaymentOrder.status.in_(("pending", "expired")),
                                                            PaymentOrder.item_code.in_(collects),
                                                            PaymentOrder.created_at < now - SETTLE_AFTER,
                                                            PaymentOrder.created_at > now - timedelta(days=2)))
    for order in list(waiting):
        age = int((now - aware(order.created_at)).total_seconds() // 60)
        if age not in ASK_AT and age % 60 != 0:
            continue
        try:
            notice = provider.query(order.number)
        except DomainError:
            continue  # asked again next round
        if notice and notice.get("status") == "SUCCESS" and isinstance(notice.get("amount_fen"), int):
            settled += confirm_late(order, notice, provider.name)
    return settled


def confirm_late(order: PaymentOrder, notice: dict, provider: str) -> bool:
    """A payment learnt of late (order query, the day's bill): confirmed as a notice would be."""
    try:
        confirm_paid(order.number, notice["amount_fen"], str(notice.get("txn", ""))[:64], provider,
                     paid_at=notice.get("paid_at"))
    except DomainError:
        return False  # refused and audit-logged by confirm_paid (an amount that does not match, too late)
    return True


def checkout_url(provider, order: PaymentOrder) -> str:
    """Where the person pays: the provider decides (the sandbox's page is on this server)."""
    return provider.checkout_path(order.number)


def confirm_paid(number: str, amount_fen: int, txn: str, provider: str, paid_at: datetime | None = None) -> PaymentOrder:
    """Called only with a verified notification. Exactly one call marks the order paid, at the
    time the provider says it was paid (`paid_at`, so a day's 对账 finds it on its day); an order
    expired here is still paid if the provider says the money came before it expired."""
    order = db.session.scalar(select(PaymentOrder).where(PaymentOrder.number == number))
    if order is None:
        raise NotFound("没有这个订单")
    if paid_at is not None:
        paid_at = paid_at.astimezone(timezone.utc)  # stored in UTC: SQLite keeps no offset
    payable_states = ["pending"]
    if paid_at is not None and paid_at <= aware(order.expires_at):
        payable_states.append("expired")
    if amount_fen != order.amount_fen:
        record("system", None, provider, "payment_refused", f"order:{number}",
               {"reason": "amount", "got": amount_fen, "expected": order.amount_fen})
        raise DomainError("金额不符")
    receipt_no = "PJ" + today().strftime("%y%m%d") + secrets.token_hex(4).upper()
    changed = db.session.execute(
        update(PaymentOrder).where(PaymentOrder.id == order.id, PaymentOrder.status.in_(payable_states))
        .values(status="paid", paid_at=paid_at or utcnow(), provider_txn=txn[:64], receipt_no=receipt_no))
    if changed.rowcount == 1:
        person = db.session.get(Person, order.person_id)
        enqueue("sms", person.phone, message("paid", item=order.item_name, amount=f"{order.amount_fen / 100:.2f}",
                                             receipt=receipt_no), dedupe_key=f"payment:{order.number}:paid")
    db.session.commit()
    db.session.refresh(order)
    if order.status != "paid":
        record("system", None, provider, "payment_refused", f"order:{number}", {"reason": order.status})
        raise DomainError(f"订单{order.status_name}")
    return order
