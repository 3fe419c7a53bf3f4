"""一键物流: a shipment for a result sent by post. The carrier adapter (a sandbox by default)
gives the tracking number and the progress; each new stage becomes an event on the case
timeline (揽收, 运输中, 派送中, 已签收) and 已签收 also sends an SMS."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.clock import aware, utcnow
from services.errors import DomainError
from services.sealing import SealedJSON

STAGES = ["已揽收", "运输中", "派送中", "已签收"]
ADDRESS_FIELDS = {"province": "省", "city": "市", "county": "县（区）", "township": "乡镇", "village": "村（社区）",
                  "detail": "详细地址", "recipient": "收件人", "phone": "收件人电话"}


class Shipment(db.Model):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str] = mapped_column(String(30), unique=True)
    address: Mapped[dict] = mapped_column(SealedJSON("shipments.address"))  # recipient, phone, home
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
    if not hasattr(carrier, "stages"):  # a carrier that pushes its progress (record_pushed)
        return 0
    for shipment in db.session.scalars(select(Shipment).where(Shipment.stages_recorded < len(STAGES))):
        reported = carrier.stages(shipment.tracking_number, shipment.shipped_at, now)
        for stage in reported[shipment.stages_recorded:]:
            record_logistics(shipment.case_id, Actor("carrier", None, shipment.carrier), _said(shipment, stage),
                             stage == STAGES[-1])
            added += 1
        shipment.stages_recorded = max(shipment.stages_recorded, len(reported))
        db.session.commit()
    return added


def _said(shipment: Shipment, what: str) -> str:
    """A carrier's line on the timeline: what happened, by whom, which parcel."""
    return f"{what}（{shipment.carrier} {shipment.tracking_number}）"[:300]


def record_pushed(tracking_number: str, stage: int | None, note: str) -> int:
    """A carrier's pushed progress (kuaidi100): the stages up to `stage` (an index of STAGES) the
    timeline does not show yet, or — stage None — a problem with the parcel (疑难, 退回, 拒签),
    told to the applicant. A push sent again records nothing twice. Returns events added."""
    from services.cases.lifecycle import Actor, get_case, record_logistics

    shipment = db.session.scalar(select(Shipment).where(Shipment.tracking_number == tracking_number[:30]))
    if shipment is None:
        return 0
    actor, added = Actor("carrier", None, shipment.carrier), 0
    if stage is None:
        told = _said(shipment, f"异常：{note}")
        state = note.split("：", 1)[0]  # 疑难件, 退回 …: one message per kind of problem, whatever line follows
        if any(e.action == "logistics" and e.note.startswith(f"异常：{state}") for e in get_case(shipment.case_id).events):
            return 0  # the same problem pushed again
        record_logistics(shipment.case_id, actor, told, True)
        db.session.commit()
        return 1
    for index in range(shipment.stages_recorded, stage + 1):
        record_logistics(shipment.case_id, actor, _said(shipment, STAGES[index]), index == len(STAGES) - 1)
        added += 1
    shipment.stages_recorded = max(shipment.stages_recorded, stage + 1)
    db.session.commit()
    return added


def _kuaidi100(config: dict):
    from services.kuaidi100 import Kuaidi100

    return Kuaidi100.from_config(config)


CARRIERS = {"sandbox": lambda config: SandboxCarrier(), "kuaidi100": _kuaidi100}


def make_carrier(name: str, production: bool, config: dict | None = None):
    if name not in CARRIERS:
        raise RuntimeError(f"未知的物流通道 CARRIER={name}")
    carrier = CARRIERS[name](config or {})
    if production and getattr(carrier, "is_sandbox", False):
        raise RuntimeError("APP_ENV=production 不能使用演示物流（CARRIER=sandbox）")
    return carrier
