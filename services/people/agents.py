"""Village agents (村代办员) and village committee members (村委会): accounts the township
administrator creates, each bound to one village of the township. They sign in with a user name
and a password (services.people.passwords), then a code of their authenticator app, as staff do
(services.people.two_factor): an agent reads and submits the personal data of every resident who
consents. A disabled account loses access at its next request."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.audit import record
from services.clock import utcnow
from services.errors import DomainError, NotFound
from services.people import passwords, sessions, two_factor
from services.people.actors import Actor
from services.people.two_factor import Handover
from services.places import Village, get_village

# An agent does things for residents; a committee member (村委会) only confirms paper consents.
ROLES = {"agent": "村代办员", "committee": "村委会"}


class Agent(passwords.PasswordAccount, two_factor.TwoStepAccount, db.Model):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12), default="agent")
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account_kind = "agent"
    is_staff = False

    def get_id(self) -> str:
        return f"a:{self.id}"

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, "")


def actor_of(agent: Agent, on_behalf_of: int | None = None, mandate_id: int | None = None) -> Actor:
    return Actor("agent", agent.id, agent.name, role=agent.role, township_id=agent.township_id,
                 village_id=agent.village_id, on_behalf_of=on_behalf_of, mandate_id=mandate_id)


def _may_keep(actor: Actor, village: Village | None) -> bool:
    """The county administrator keeps every village's agents; a township administrator their own."""
    if village is None or actor.kind != "staff":
        return False
    return actor.role == "admin" or actor.role == "town_admin" and actor.township_id == village.township_id


def create_agent(actor: Actor, username, password, name, village_id, role="agent", ip: str = "") -> Handover:
    """The administrator chose the password: the agent changes it at the first sign-in, and
    enrols two-step sign-in with the enrolment code handed over with the account."""
    village = get_village(village_id)
    if not _may_keep(actor, village):
        raise DomainError("请选择本乡镇的村", field="village_id")
    if role not in ROLES:
        raise DomainError("请选择身份", field="role")
    username = passwords.check_username(username)
    name = inputs.person_name(name)
    password_hash = passwords.hashed(password, username, name)
    if db.session.scalar(select(Agent.id).where(Agent.username == username)):
        raise DomainError("这个用户名已被使用", field="username")
    agent = Agent(username=username, password_hash=password_hash, name=name, role=role, village_id=village.id,
                  township_id=village.township_id, created_by=actor.name, must_change_password=True)
    code, until = two_factor.issue_enrolment_code(agent)
    db.session.add(agent)
    try:
        db.session.flush()
        record(actor.kind, actor.id, actor.name, "create_agent", f"agent:{agent.id}",
               {"username": username, "village": village.code, "role": role}, ip=ip, commit=False)
        db.session.commit()
    except IntegrityError:  # the same user name, created a moment ago elsewhere
        db.session.rollback()
        raise DomainError("这个用户名已被使用", field="username")
    return Handover(agent, code, until)


def agents_kept_by(actor: Actor) -> list[Agent]:
    query = select(Agent).order_by(Agent.village_id, Agent.username)
    if actor.kind != "staff" or actor.role not in ("admin", "town_admin"):
        return []
    if actor.role == "town_admin":
        query = query.where(Agent.township_id == actor.township_id)
    return list(db.session.scalars(query))


def get_agent(agent_id) -> Agent:
    agent = db.session.get(Agent, agent_id) if inputs.is_row_id(agent_id) else None
    if agent is None:
        raise NotFound("没有这个代办员账号")
    return agent


def set_active(actor: Actor, agent_id, active: bool, ip: str = "") -> Agent:
    """Disable or enable an account; a disabled agent is refused at the very next request."""
    agent = _kept(actor, agent_id)
    agent.active = bool(active)
    if not active:
        sessions.end_all("agent", agent.id, "disabled")
    record(actor.kind, actor.id, actor.name, "enable_agent" if active else "disable_agent", f"agent:{agent.id}",
           ip=ip, commit=False)
    db.session.commit()
    return agent


def _kept(actor: Actor, agent_id) -> Agent:
    agent = get_agent(agent_id)
    if not _may_keep(actor, get_village(agent.village_id)):
        raise NotFound("没有这个代办员账号")
    return agent


def reset_password(actor: Actor, agent_id, ip: str = "") -> Handover:
    """For an agent who forgot their password: a temporary one to hand over (shown once), changed
    at the next sign-in; every session of theirs ends now (not yet enrolled: a new enrolment code
    with it, two_factor.new_password)."""
    agent = _kept(actor, agent_id)
    handover = two_factor.new_password(agent)
    record(actor.kind, actor.id, actor.name, "reset_agent_password", f"agent:{agent.id}", ip=ip, commit=False)
    db.session.commit()
    return handover


def reset_two_factor(actor: Actor, agent_id, ip: str = "") -> Handover:
    """For an agent who lost their phone (or never got to enrol): a new enrolment code to hand
    over; every session of theirs ends now."""
    agent = _kept(actor, agent_id)
    handover = two_factor.reset(agent)
    record(actor.kind, actor.id, actor.name, "reset_agent_two_factor", f"agent:{agent.id}", ip=ip, commit=False)
    db.session.commit()
    return handover


def authenticate(username, password, requester: str, device: str | None = None, ip: str = "") -> Agent:
    return passwords.authenticate(Agent, "agent", username, password, requester, device, ip)


DEMO = ({"username": "daiban", "password": "Agent-demo-2026", "name": "赵红梅", "role": "agent"},
        {"username": "cunwei", "password": "Village-demo-2026", "name": "马德海", "role": "committee"})


def demo_agents(village: Village, totp_secret: str) -> list[dict]:
    """The demo agent and village committee member `make run` creates for a village of 城关镇,
    enrolled on the demo authenticator as the demo staff are."""
    rows = []
    for row in DEMO:
        agent = db.session.scalar(select(Agent).where(Agent.username == row["username"]))
        if agent is not None and agent.created_by == "演示数据" and not two_factor.enrolled(agent):
            two_factor.demo_enrol(agent, totp_secret)  # made before agents had a second step (0030)
        elif agent is None:
            agent = Agent(username=row["username"], password_hash=passwords.hashed(row["password"]),
                          name=row["name"], role=row["role"], village_id=village.id,
                          township_id=village.township_id, created_by="演示数据")
            two_factor.demo_enrol(agent, totp_secret)
            db.session.add(agent)
        rows.append(row)
    db.session.commit()
    return rows
