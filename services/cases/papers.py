"""The village agent's paper trail on a case (代办台账): a 收件清单 when they take originals from a
resident, a 回交 record when the result or the originals go back. Each is printed and signed on
paper; here they are what the agent, the resident (by SMS) and staff can look back on. With the
consent and the case itself they make the four steps 委托 → 初审 → 代理 → 回交."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import audit, inputs
from services.cases.lifecycle import Case
from services.catalog import FORM_NAMES
from services.clock import utcnow
from services.errors import DomainError
from services.outbox import enqueue
from services.people.actors import Actor
from services.registry import registry
from services.sms import message

KINDS = {"collect": "收件清单", "return": "回交记录"}
RESULT = "_result"  # the result of the case, in a 回交 record's list beside the originals


class AgentPaper(db.Model):
    __tablename__ = "agent_papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # collect | return
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    agent_name: Mapped[str] = mapped_column(String(60))
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    lines: Mapped[list] = mapped_column(JSON, default=list)  # [{"key", "name", "form", "copies"}]
    received_by: Mapped[str] = mapped_column(String(40), default="")  # a 回交: who took it back
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def choices(case: Case, kind: str) -> list[dict]:
    """What a record can list: the item's materials (by key), and for a 回交 the result too."""
    item = registry().catalog.get(case.item_code)
    rows = [{"key": m.key, "name": m.name, "form": FORM_NAMES[m.form], "copies": m.copies}
            for m in item.materials if not m.waived]
    if kind == "return":
        rows.insert(0, {"key": RESULT, "name": f"{item.name}办理结果", "form": "结果", "copies": 1})
    return rows


def record(actor: Actor, case: Case, kind: str, keys, copies: dict, received_by="", note="") -> AgentPaper:
    """Record a 收件清单 (kind "collect") or 回交 (kind "return") for a case the agent may see."""
    if kind not in KINDS:
        raise DomainError("没有这种记录")
    offered = {row["key"]: row for row in choices(case, kind)}
    keys = [k for k in dict.fromkeys(keys if isinstance(keys, list) else []) if isinstance(k, str)]
    if not keys or any(k not in offered for k in keys):
        raise DomainError("请勾选收取或交回的材料" if kind == "collect" else "请勾选交回的结果或材料", field="keys")
    lines = []
    for key in keys:
        count = inputs.integer(copies.get(key) or offered[key]["copies"] or 1, 1, 20, field=f"copies_{key}",
                               message="份数请填 1–20")
        lines.append({**offered[key], "copies": count})
    received_by = inputs.person_name(received_by, field="received_by", label="领取人") if kind == "return" else ""
    note = inputs.text(note, 300, field="note", multiline=True)
    paper = AgentPaper(case_id=case.id, kind=kind, agent_id=actor.id, agent_name=actor.name[:60],
                       mandate_id=actor.mandate_id, lines=lines, received_by=received_by, note=note)
    db.session.add(paper)
    db.session.flush()
    audit.record(actor.kind, actor.id, actor.name, f"agent_{kind}", f"case:{case.number}", {"paper": paper.id},
                 commit=False)
    names = "、".join(f"{line['name']}{line['copies']}份" for line in lines)
    enqueue("sms", case.applicant_phone, message(f"agent_{kind}", case.number, agent=actor.name, item=case.item_name,
                                                 number=case.number, materials=names, receiver=received_by),
            dedupe_key=f"agent-paper:{paper.id}")
    db.session.commit()
    return paper


def papers_of(case: Case) -> list[AgentPaper]:
    return list(db.session.scalars(select(AgentPaper).where(AgentPaper.case_id == case.id).order_by(AgentPaper.id)))


def paper_of(case: Case, paper_id) -> AgentPaper:
    paper = db.session.get(AgentPaper, paper_id) if inputs.is_row_id(paper_id) else None
    if paper is None or paper.case_id != case.id:
        from services.errors import NotFound

        raise NotFound("没有这份记录")
    return paper


@dataclass(frozen=True)
class Step:
    name: str
    done: bool
    note: str = ""


def steps(case: Case, papers: list[AgentPaper]) -> list[Step]:
    """委托 → 初审 → 代理 → 回交, as far as this case has come."""
    kinds = {p.kind for p in papers}
    closed = case.status in ("completed", "delivered", "not_accepted", "withdrawn")
    return [Step("委托", case.mandate_id is not None, "群众已授权"),
            Step("初审", "collect" in kinds, "收件清单已记录" if "collect" in kinds else "收材料时记录收件清单"),
            Step("代理", True, case.status_name),
            Step("回交", "return" in kinds, "回交记录已记录" if "return" in kinds else
                 ("结果出来后交回群众并记录" if not closed else "请把结果和原件交回群众并记录"))]
