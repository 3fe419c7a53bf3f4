"""好差评 (GB/T 39734-2020, GB/T 39735-2020): after 办结 the applicant — or their village agent,
marked as such — rates the case once (一事一评) in five levels, overall and on the standard online
dimensions. A 差评 (the two lowest levels) opens a rectification (整改) for the responsible
department: answered and rectified within 15 working days, then a 回访 to the applicant closes it.
The applicant sees the answer on their case."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from services import inputs
from services.cases.lifecycle import DONE, Case, phone_told, track_link
from services.clock import aware, utcnow
from services.clock import today as china_today
from services.errors import DomainError, IllegalTransition, NotFound
from services.inputs import InvalidInput
from services.outbox import enqueue
from services.people.actors import Actor, may_see
from services.sms import message
from services.workdays import load_calendar

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = (1, 2)  # 差评
# The standard's online dimensions; the first is the rating itself.
DIMENSIONS = {"overall": "整体满意度", "efficiency": "办事效率", "guide": "指南准确度",
              "convenience": "便捷度", "platform": "平台操作性"}
CHANNELS = {"citizen": "网上评价", "kiosk": "自助终端评价", "agent": "代办员代为评价"}
# 办结, and 不予受理 too: a person turned away has the most reason to be heard.
RATEABLE = (*DONE, "not_accepted")
AGENT_RATING_REPLACEABLE_DAYS = 15  # the resident's own rating may replace their agent's this long
COMMENT_MAX = 500
RECTIFY_DAYS = 15  # working days to answer and rectify a 差评
RECTIFICATION_STATUS = {"open": "待整改", "answered": "已答复，待回访", "closed": "已回访，办结"}
CALLBACK_RESULTS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意", "unreachable": "多次联系未接通"}
ANSWERING_ROLES = ("window", "town_admin", "reviewer", "admin")  # of the case's township or department
# The 回访 is the supervisor's: the department rated badly does not certify the applicant's view itself.
CALLBACK_ROLES = ("supervisor", "admin")
VIEWING_ROLES = (*ANSWERING_ROLES, "supervisor")


class Rating(db.Model):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)  # 一事一评
    level: Mapped[int] = mapped_column(Integer, index=True)  # the overall level, 1..5
    scores: Mapped[dict] = mapped_column(JSON)  # dimension -> level, the dimensions rated
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_kind: Mapped[str] = mapped_column(String(12))  # citizen, kiosk or agent (代评)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(60))
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case = relationship("Case")
    rectification = relationship("Rectification", uselist=False, back_populates="rating")

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]

    @property
    def is_bad(self) -> bool:
        return self.level in BAD

    @property
    def channel_name(self) -> str:
        return CHANNELS[self.actor_kind]


class Rectification(db.Model):
    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # open, answered, closed
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(Text, default="")  # 核实情况和整改措施
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by: Mapped[str] = mapped_column(String(60), default="")
    callback_result: Mapped[str | None] = mapped_column(String(12))
    callback_note: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    callback_by: Mapped[str] = mapped_column(String(60), default="")

    rating = relationship("Rating", back_populates="rectification")
    case = relationship("Case")

    @property
    def status_name(self) -> str:
        return RECTIFICATION_STATUS[self.status]

    @property
    def callback_name(self) -> str:
        return CALLBACK_RESULTS.get(self.callback_result or "", "")

    def overdue(self, today: date) -> bool:
        """Not answered, and the 15 working days are over."""
        return self.status == "open" and self.due_on < today

    def answered_late(self) -> bool:
        return self.answered_on is not None and self.answered_on > self.due_on


def rating_of(case: Case) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.case_id == case.id))


def may_rate(actor: Actor, case: Case, rating: Rating | None = None) -> bool:
    """Its applicant (in person, at a kiosk) or their agent under a consent covering it; after 办结;
    once — but the applicant's own rating may replace one their agent collected (see rate)."""
    if actor.kind not in CHANNELS or case.status not in RATEABLE or not may_see(actor, case):
        return False
    return rating is None or _replaceable(rating, actor)


def _replaceable(rating: Rating, actor: Actor) -> bool:
    """An agent's rating, not yet 15 days old and not sent to a department: the resident's own view wins."""
    return (rating.actor_kind == "agent" and actor.kind != "agent" and rating.rectification is None
            and (utcnow() - aware(rating.created_at)).days < AGENT_RATING_REPLACEABLE_DAYS)


def check_rating(level, scores: dict | None, comment) -> tuple[int, dict, str]:
    """The overall level, the dimensions rated (each 1..5), the comment — required for a 差评, so
    that the department knows what to put right."""
    level = _level(level, "overall")
    rated = {"overall": level}
    for key in DIMENSIONS:
        value = (scores or {}).get(key)
        if key != "overall" and value not in (None, ""):
            rated[key] = _level(value, key)
    comment = inputs.text(comment, COMMENT_MAX, field="comment", multiline=True)
    if level in BAD and not comment:
        raise InvalidInput("请写一写哪里不满意，部门会据此整改并答复您", field="comment")
    return level, rated, comment


def _level(value, field: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in LEVELS:
        raise InvalidInput("请选择一个评价等级" if field == "overall" else "评价等级须在 1 到 5 之间", field=field)
    return level


def rate(case: Case, actor: Actor, level, scores: dict | None = None, comment="",
         today: date | None = None) -> Rating:
    """Record the one rating of this case; a 差评 opens its rectification in the same transaction."""
    if not may_see(actor, case) or actor.kind not in CHANNELS:
        raise NotFound("没有找到这个办件，或不在您的办理范围内")
    if case.status not in RATEABLE:
        raise IllegalTransition("办结以后才能评价")
    earlier = rating_of(case)
    if earlier is not None and not _replaceable(earlier, actor):
        raise IllegalTransition("这个办件已经评价过了，每件只能评价一次")
    level, rated, comment = check_rating(level, scores, comment)
    rating = earlier or Rating(case_id=case.id)
    rating.level, rating.scores, rating.comment = level, rated, comment
    rating.actor_kind, rating.actor_id, rating.actor_name = actor.kind, actor.id, actor.name[:60]
    rating.mandate_id, rating.created_at = actor.mandate_id if actor.kind == "agent" else None, utcnow()
    db.session.add(rating)
    try:
        db.session.flush()
        if level in BAD:
            _open_rectification(case, rating, today or china_today())
        if actor.kind == "agent":  # the resident hears what was said in their name, and may say otherwise
            enqueue("sms", phone_told(case),
                    message("rating_by_agent", case.number, agent=actor.name, item=case.item_name, number=case.number,
                            level=LEVELS[level], days=AGENT_RATING_REPLACEABLE_DAYS, link=track_link(case)),
                    dedupe_key=f"rating:{rating.id}:agent")
        db.session.commit()
    except IntegrityError:  # the same case rated at the same moment from two places: one stays
        db.session.rollback()
        raise IllegalTransition("这个办件已经评价过了，每件只能评价一次")
    return rating


def _open_rectification(case: Case, rating: Rating, today: date) -> None:
    due_on, estimated = load_calendar().add_workdays(today, RECTIFY_DAYS)
    db.session.add(Rectification(rating_id=rating.id, case_id=case.id, status="open", opened_on=today,
                                 due_on=due_on, due_estimated=estimated))
    enqueue("sms", phone_told(case),
            message("rating_received", case.number, item=case.item_name, number=case.number,
                    due=f"{due_on:%Y年%-m月%-d日}"),
            dedupe_key=f"rating:{rating.id}:sms")


def rectification_for(actor: Actor, rectification_id) -> Rectification:
    """The rectification, if this actor handles or supervises it; the same answer whether it exists or not."""
    found = db.session.get(Rectification, rectification_id) if inputs.is_row_id(rectification_id) else None
    if found is None or not _may_handle(actor, found.case):
        raise NotFound("没有找到这条整改，或不在您的办理范围内")
    return found


def _may_handle(actor: Actor, case: Case) -> bool:
    if actor.kind != "staff":
        return False
    return actor.role in ("supervisor", "admin") or actor.role in ANSWERING_ROLES and may_see(actor, case)


def answer(rectification: Rectification, actor: Actor, text, today: date | None = None) -> None:
    """The department's answer: what it found and what it changed. The applicant hears of it."""
    if actor.role not in ANSWERING_ROLES or not may_see(actor, rectification.case):
        raise DomainError("只有承办部门或乡镇的工作人员可以答复整改")
    if rectification.status != "open":
        raise IllegalTransition("这条整改已经答复过了")
    text = inputs.text(text, 1000, field="answer", multiline=True)
    if len(text) < 10:
        raise InvalidInput("请写明核实的情况和采取的整改措施（至少 10 个字）", field="answer")
    _move(rectification, "open", status="answered", answer=text, answered_on=today or china_today(),
          answered_by=actor.name[:60])
    case = rectification.case
    enqueue("sms", phone_told(case),
            message("rectification_answered", case.number, item=case.item_name, number=case.number,
                    link=track_link(case)),
            dedupe_key=f"rectification:{rectification.id}:answer")
    db.session.commit()


def check_callback(actor: Actor) -> None:
    if actor.kind != "staff" or actor.role not in CALLBACK_ROLES:
        raise DomainError("回访由督查人员记录，承办部门不能自己回访")


def record_callback(rectification: Rectification, actor: Actor, result, note) -> None:
    """回访: the applicant asked whether it was put right; their view closes the rectification."""
    check_callback(actor)
    if rectification.status != "answered":
        raise IllegalTransition("答复整改以后才能回访" if rectification.status == "open" else "这条整改已经回访过了")
    if result not in CALLBACK_RESULTS:
        raise InvalidInput("请选择回访结果", field="result")
    _move(rectification, "answered", status="closed", callback_result=result,
          callback_note=inputs.text(note, 500, field="note", multiline=True), callback_at=utcnow(),
          callback_by=actor.name[:60])
    db.session.commit()


def _move(rectification: Rectification, expected: str, **values) -> None:
    """One step, only from the state it was read in: two clerks at once, the second is refused."""
    moved = db.session.execute(update(Rectification).where(
        Rectification.id == rectification.id, Rectification.status == expected).values(**values))
    if moved.rowcount != 1:
        db.session.rollback()
        raise IllegalTransition("这条整改刚被其他人处理过，请刷新页面后再看")
    db.session.refresh(rectification)


PAGE_SIZE = 50


def _handled_by(actor: Actor):
    """The rectifications this actor answers or supervises, as a query (None: none at all)."""
    from services.people.actors import visible_cases

    if actor.kind != "staff" or actor.role not in VIEWING_ROLES:
        return None
    query = select(Rectification).join(Case, Case.id == Rectification.case_id)
    if actor.role not in ("admin", "supervisor"):
        query = query.where(Case.id.in_(visible_cases(actor).with_only_columns(Case.id)))
    return query


def rectifications(actor: Actor, status: str = "open", page: int = 1) -> list[Rectification]:
    """One page of them: open ones soonest deadline first, the others newest first."""
    query = _handled_by(actor)
    if query is None or status not in RECTIFICATION_STATUS:
        return []
    order = (Rectification.due_on, Rectification.id) if status == "open" else (Rectification.id.desc(),)
    return list(db.session.scalars(
        query.where(Rectification.status == status).options(selectinload(Rectification.case),
                                                            selectinload(Rectification.rating))
        .order_by(*order).offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))


def overdue_count(actor: Actor, today: date | None = None) -> int:
    """Open past their 15 working days: counted by the database, however many."""
    query = _handled_by(actor)
    if query is None:
        return 0
    return db.session.scalar(query.where(Rectification.status == "open", Rectification.due_on < (today or china_today()))
                             .with_only_columns(func.count(Rectification.id))) or 0
