"""What a village agent follows for their residents (代办工作台): the cases their consents in
force cover, sorted by what needs doing — 补正 asked, close to the deadline, done and waiting to
go back to the resident — and the supervision figures staff see per village."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from extensions import db
from services.cases.figures import DONE, average_days, count_where, is_open, is_overdue
from services.cases.lifecycle import OPEN, Case, remaining_workdays
from services.cases.papers import AgentPaper
from services.clock import today as china_today
from services.people.actors import Actor, visible_cases
from services.places import Village
from services.workdays import load_calendar

NEAR = 3  # working days left at which a case counts as near its deadline



@dataclass
class Desk:
    supplement: list = field(default_factory=list)  # (case, days left)
    near_deadline: list = field(default_factory=list)
    hand_back: list = field(default_factory=list)  # done, no 回交 recorded yet
    in_progress: list = field(default_factory=list)
    finished: list = field(default_factory=list)


def desk(actor: Actor, today: date | None = None) -> Desk:
    today = today or china_today()
    calendar = load_calendar()
    cases = list(db.session.scalars(visible_cases(actor).order_by(Case.submitted_at.desc()).limit(500)))
    returned = set(db.session.scalars(select(AgentPaper.case_id).where(
        AgentPaper.kind == "return", AgentPaper.case_id.in_([c.id for c in cases]))))
    out = Desk()
    for case in cases:
        left = remaining_workdays(case, today, calendar)
        row = (case, left)
        if case.status == "supplement":
            out.supplement.append(row)
        elif left is not None and left <= NEAR:
            out.near_deadline.append(row)
        elif case.status in DONE and case.id not in returned:
            out.hand_back.append(row)
        elif case.status in OPEN:  # 补正 is sorted out above
            out.in_progress.append(row)
        else:
            out.finished.append(row)
    out.near_deadline.sort(key=lambda r: r[1])
    return out


@dataclass(frozen=True)
class VillageFigures:
    village: Village
    submitted: int
    open: int
    overdue: int
    average_days: float | None  # working days from 受理 to 办结, of cases done (figures.average_days)


def per_village(actor: Actor, today: date | None = None) -> list[VillageFigures]:
    """For staff who may see a township's cases (or all): per village, the cases agents submitted,
    counted in one grouped query whatever the villages."""
    from services.people.consent import Mandate

    if actor.kind != "staff" or actor.role not in ("admin", "window", "town_admin"):
        return []
    today = today or china_today()
    query = select(Village).order_by(Village.code)
    if actor.role != "admin":
        query = query.where(Village.township_id == actor.township_id)
    villages = list(db.session.scalars(query))
    by_agents = select(Mandate.village_id).join(Case, Case.mandate_id == Mandate.id).where(
        Case.actor_kind == "agent", Mandate.village_id.in_([v.id for v in villages]))
    counts = {vid: (n, int(o), int(d), None if avg is None else round(float(avg), 1))
              for vid, n, o, d, avg in db.session.execute(
                  by_agents.add_columns(func.count(), count_where(is_open()), count_where(is_overdue(today)),
                                        average_days()).group_by(Mandate.village_id))}
    return [VillageFigures(v, *counts.get(v.id, (0, 0, 0, None))) for v in villages]
