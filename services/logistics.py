"""一键物流: a shipment for a result sent by post. The carrier adapter (a sandbox by default)
gives the tracking number and the progress; each new stage becomes an event on the case
timeline (揽收, 运输中, 派送中, 已签收) and 已签收 also sends an SMS."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.clock import aware, utcnow
from services.errors import DomainError

STAGES = ["已揽收", "运输中", "派送中", "已签收"]
ADDRESS_FIELDS = {"province": "省", "city": "市", "county": "县（区）", "township": "乡镇", "village": "村（社区）",
                  "detail": "详细地址", "recipient": "收件人", "phone": "收件人电话"}


class Shipment(db.Model):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str] = mapped_column(String(30), unique=True)
    address: Mapped[dict] = mapped_column(JSON)
    stages_recorded: Mapped[int] = mapped_column(Integer, default=0)
    shipped_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def check_address(form) -> dict:
    address = {k: inputs.text(form.get(k, ""), 60, field="address") for k in ADDRESS_FIELDS}
    missing = [label for k, label in ADDRESS_FIELDS.items() if not address[k]]
    if missing:
        raise DomainError("邮寄地址缺少：" + "、".join(missing), field="address")
    try:
        address["phone"] = inputs.phone(address["phone"])
        address["recipient"] = inputs.person_name(address["recipient"])
    except DomainError as exc:
        raise inputs.InvalidInput(f"{exc.message}（收件人）", field="address")
    return address


class SandboxCarrier:
    """Progress by the clock: collected at once, in transit after an hour, out for delivery
    after a day, delivered after two. Enough to see every stage in the demo."""
    name = "演示快递"
    is_sandbox = True
    SCHEDULE = [timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=2)]

    def create(self, address: dict) -> str:
        return "SBX" + secrets.token_hex(6).upper()

    def stages(self, tracking_number: str, shipped_at: datetime, now: datetime) -> list[str]:
        return [stage for stage, after in zip(STAGES, self.SCHEDULE) if now - aware(shipped_at) >= after]


def ship(carrier, case, address: dict) -> Shipment:
    shipment = Shipment(case_id=case.id, carrier=carrier.name, tracking_number=carrier.create(address),
                        address=address)
    db.session.add(shipment)
    db.session.flush()
    return shipment


def sync_shipments(carrier, now: datetime | None = None) -> int:
    """Record the stages a carrier reports that the timeline does not show yet."""
    from services.cases.lifecycle import Actor, record_logistics

    now, added = now or utcnow(), 0
    for shipment in db.session.scalars(select(Shipment).where(Shipment.stages_recorded < len(STAGES))):
        reported = carrier.stages(shipment.tracking_number, shipment.shipped_at, now)
        for stage in reported[shipment.stages_recorded:]:
            record_logistics(shipment.case_id, Actor("carrier", None, shipment.carrier),
                             f"{stage}（{shipment.carrier} {shipment.tracking_number}）", stage == STAGES[-1])
            added += 1
        shipment.stages_recorded = max(shipment.stages_recorded, len(reported))
        db.session.commit()
    return added


CARRIERS = {"sandbox": SandboxCarrier}


def make_carrier(name: str, production: bool):
    if name not in CARRIERS:
        raise RuntimeError(f"未知的物流通道 CARRIER={name}")
    carrier = CARRIERS[name]()
    if production and getattr(carrier, "is_sandbox", False):
        raise RuntimeError("APP_ENV=production 不能使用演示物流（CARRIER=sandbox）")
    return carrier
