"""对账: each day's bill from the payment provider against the orders paid here that day (China
dates). A payment in the bill that we never heard of is recorded now (its notice was lost); an
order we hold paid that the bill does not list, or listed at another amount, is a difference for
the finance staff to look into. One report per provider and day, made again if asked."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import JSON, Date, DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import CHINA, utcnow
from services.errors import DomainError
from services.payments import PaymentOrder, confirm_late

KINDS = {"settled_now": "账单有、本站未记：已按账单补记为已支付", "other_day": "本站记在前后一天：无需处理",
         "missing_there": "本站已支付、账单没有：请核查", "amount": "金额不符：请核查",
         "unknown": "账单有、本站没有这个订单或未能补记：请核查"}
SETTLED = ("settled_now", "other_day")
PROVIDER_NAMES = {"wechat": "微信支付", "sandbox": "演示支付"}  # nothing left for staff to do


class Reconciliation(db.Model):
    __tablename__ = "reconciliations"
    __table_args__ = (UniqueConstraint("provider", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    bill_count: Mapped[int] = mapped_column(Integer)
    bill_fen: Mapped[int] = mapped_column(Integer)
    our_count: Mapped[int] = mapped_column(Integer)
    our_fen: Mapped[int] = mapped_column(Integer)
    differences: Mapped[list] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def open_differences(self) -> list[dict]:
        return [d for d in self.differences if d["kind"] not in SETTLED]


def _paid_on(day: date) -> list[PaymentOrder]:
    start = datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)  # as stored (SQLite keeps no offset)
    return list(db.session.scalars(select(PaymentOrder).where(
        PaymentOrder.status == "paid", PaymentOrder.paid_at >= start, PaymentOrder.paid_at < start + timedelta(days=1))))


def reconcile(provider, day: date) -> Reconciliation:
    if not hasattr(provider, "bill"):
        raise DomainError("这个支付通道没有对账单")
    bill = [row for row in provider.bill(day) if row["status"] == "SUCCESS"]
    ours = {o.number: o for o in _paid_on(day)}
    differences = []
    for row in bill:
        order = ours.pop(row["order"], None)
        if order is None:
            found = db.session.scalar(select(PaymentOrder).where(PaymentOrder.number == row["order"][:32]))
            kind = "unknown"
            if found is not None and found.status == "paid":
                kind = "other_day" if found.amount_fen == row["amount_fen"] else "amount"
            elif found is not None and found.status in ("pending", "expired"):
                # refused (and logged) if the amount differs
                kind = "settled_now" if confirm_late(found, row, provider.name) else "amount"
            differences.append({"kind": kind, "order": row["order"], "txn": row["txn"], "theirs": row["amount_fen"],
                                "ours": found.amount_fen if found is not None else None})
        elif order.amount_fen != row["amount_fen"]:
            differences.append({"kind": "amount", "order": order.number, "txn": row["txn"],
                                "theirs": row["amount_fen"], "ours": order.amount_fen})
    for order in ours.values():
        differences.append({"kind": "missing_there", "order": order.number, "txn": order.provider_txn or "",
                            "theirs": None, "ours": order.amount_fen})
    report = db.session.scalar(select(Reconciliation).where(Reconciliation.provider == provider.name,
                                                            Reconciliation.day == day)) \
        or Reconciliation(provider=provider.name, day=day)
    paid = _paid_on(day)  # counted after the loop: what the bill settled just now was paid that day too
    report.bill_count, report.bill_fen = len(bill), sum(r["amount_fen"] for r in bill)
    report.our_count, report.our_fen = len(paid), sum(o.amount_fen for o in paid)
    report.differences, report.checked_at = differences, utcnow()
    db.session.add(report)
    db.session.commit()
    return report


def reports(limit: int = 60) -> list[Reconciliation]:
    return list(db.session.scalars(select(Reconciliation).order_by(Reconciliation.day.desc()).limit(limit)))


BILL_READY = time(10, 30)  # WeChat Pay's bill of a day is out by 10:00 the next day (China time)


def reconcile_due(provider, now: datetime | None = None) -> bool:
    """Yesterday's report, made once its bill is out (the worker asks every minute)."""
    if not hasattr(provider, "bill"):
        return False
    local = (now or utcnow()).astimezone(CHINA)
    day = local.date() - timedelta(days=1)
    if local.time() < BILL_READY or db.session.scalar(select(Reconciliation.id).where(
            Reconciliation.provider == provider.name, Reconciliation.day == day)) is not None:
        return False
    try:
        reconcile(provider, day)
    except DomainError:
        return False  # the provider could not be reached: tried again in a minute
    return True
