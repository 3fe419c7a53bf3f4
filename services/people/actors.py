"""Who acts, and what they may see. A case has an applicant (the person it is for); every case,
draft, upload and event also records its actor: the citizen themself, a village agent, a kiosk,
a staff member, a department system, or the system. Access checks ask one question — may this
actor see this case — here and nowhere else."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = {"citizen": "申请人", "agent": "代办员", "kiosk": "自助终端", "staff": "工作人员",
         "department": "部门系统", "system": "系统", "carrier": "物流"}


@dataclass(frozen=True)
class Actor:
    kind: str  # one of KINDS
    id: int | None
    name: str
    # What bounds a staff member's view: their role and their township or department.
    role: str | None = None
    township_id: int | None = None
    department: str | None = None
    system: str | None = None  # a department system: its key in the catalog (items' `system`)
    on_behalf_of: int | None = None  # a kiosk or an agent: the person it acts for now
    village_id: int | None = None  # an agent: the one village they serve
    mandate_id: int | None = None  # an agent acting for a resident: under this consent only
    # A citizen acting for an organisation (法人, services.people.organisations): its cases, not their own.
    organisation_id: int | None = None
    organisation_name: str | None = None
    organisation_role: str | None = None  # 法定代表人 or 经办人


SYSTEM = Actor("system", None, "系统")


def citizen(person) -> Actor:
    return Actor("citizen", person.id, person.name or "")


def staff(user) -> Actor:
    return Actor("staff", user.id, user.name, role=user.role, township_id=user.township_id,
                 department=user.department)


def department(name: str, system: str | None = None) -> Actor:
    return Actor("department", None, f"{name}业务系统", department=name, system=system)


def _reviewed_in_parallel(*departments: str | None) -> list[str]:
    """The items on which these departments give an opinion beside the deciding one (并联审批)."""
    from services.registry import registry

    return [i.code for i in registry().catalog.items if set(departments) & set(i.parallel)]


def system_departments_of(system: str | None) -> set[str]:
    """The departments a department system speaks for: those of the items that name it."""
    from services.registry import registry

    return {i.department for i in registry().catalog.items if system and i.system == system}


def _system_codes(system: str | None) -> list[str]:
    """The items a department system sees cases of: those the catalog names it for, and those
    its department reviews in parallel (并联审批)."""
    from services.registry import registry

    parallel = _reviewed_in_parallel(*system_departments_of(system))
    return [i.code for i in registry().catalog.items if system and i.kind == "apply"
            and (i.system == system or i.code in parallel)]


def person_of(actor: Actor) -> int | None:
    """The person whose own things this actor may see as theirs: a citizen themself, the person
    a kiosk is serving now, or the resident an agent acts for under a consent in force (the
    agent front end checks the consent before it builds such an actor)."""
    if actor.kind == "citizen":
        return actor.id
    if actor.kind == "kiosk":
        return actor.on_behalf_of
    if actor.kind == "agent" and actor.mandate_id is not None:
        return actor.on_behalf_of
    return None


def may_see(actor: Actor, case) -> bool:
    """The one rule. Citizens see their own cases (acting for an organisation: its cases); staff see their township's or department's
    (administrators all, hospital staff none); a department system sees its own items' cases; a
    kiosk sees the cases of the person identified at it, while they are there; a village agent
    those a resident's consent in force covers (services.people.consent)."""
    if actor.kind == "agent":
        from services.people.consent import covers

        return covers(actor, case)
    if actor.kind in ("citizen", "kiosk"):
        if actor.organisation_id is not None:
            return case.organisation_id == actor.organisation_id
        return person_of(actor) is not None and case.applicant_id == person_of(actor) and case.organisation_id is None
    if actor.kind == "staff":
        if actor.role == "admin":
            return True
        if actor.role in ("window", "town_admin"):
            return case.township_id is not None and case.township_id == actor.township_id
        if actor.role == "reviewer":  # a county department: once a case is at the county
            return case.level in (None, "county") and (
                case.department == actor.department or case.item_code in _reviewed_in_parallel(actor.department))
        return False
    if actor.kind == "department":
        return case.item_code in _system_codes(actor.system)
    return False


def may_act(actor: Actor, case) -> bool:
    """Staff act on a case while it is at their level: a township's window while it is at the
    township (it follows it afterwards, read only), a county department once it is forwarded."""
    if not may_see(actor, case):
        return False
    if actor.kind == "staff" and actor.role in ("window", "town_admin"):
        return case.level in (None, "township")
    if actor.kind == "department":  # a county department's system: not while the township has it
        return case.level in (None, "county")
    return True


def waiting_for(actor: Actor, query):
    """Of the cases this actor sees, those waiting for their unit now (a staff queue)."""
    from services.cases.lifecycle import Case

    if actor.kind == "staff" and actor.role in ("window", "town_admin"):
        return query.where(Case.level.is_(None) | (Case.level == "township"))
    return query


def visible_cases(actor: Actor):
    """The same rule as may_see, as a query for lists (a staff queue, my cases)."""
    from sqlalchemy import false, or_, select

    from services.cases.lifecycle import Case

    query = select(Case)
    if actor.kind == "citizen" and actor.organisation_id is not None:
        return query.where(Case.organisation_id == actor.organisation_id)
    if actor.kind in ("citizen", "kiosk") and person_of(actor) is not None:
        return query.where(Case.applicant_id == person_of(actor), Case.organisation_id.is_(None))
    if actor.kind == "staff" and actor.role == "admin":
        return query
    if actor.kind == "agent":
        from services.people.consent import visible_cases_query

        return visible_cases_query(actor)
    if actor.kind == "staff" and actor.role in ("window", "town_admin"):
        return query.where(Case.township_id == actor.township_id)
    if actor.kind == "staff" and actor.role == "reviewer":
        return query.where(or_(Case.department == actor.department,
                               Case.item_code.in_(_reviewed_in_parallel(actor.department))),
                           Case.level.is_(None) | (Case.level == "county"))
    if actor.kind == "department":
        return query.where(Case.item_code.in_(_system_codes(actor.system)))
    return query.where(false())
