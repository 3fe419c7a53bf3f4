"""Staff accounts (窗口、乡镇管理员、部门审批人员、管理员): who they are and what they are bound to;
passwords and lockout are services.people.passwords."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.appointments import Hospital
from services.audit import record
from services.clock import utcnow
from services.errors import DomainError, NotFound, Refused
from services.people import passwords, sessions, two_factor
from services.people.actors import Actor
from services.people.two_factor import Handover
from services.places import Township

ROLES = {"window": "乡镇窗口人员", "town_admin": "乡镇管理员", "reviewer": "县直部门审批人员",
         "hospital": "医院挂号人员", "supervisor": "督查考核局（督查）", "admin": "系统管理员"}
# Bound to one township: they handle its cases; its administrator also keeps its village agents.
TOWNSHIP_ROLES = ("window", "town_admin")


class StaffUser(passwords.PasswordAccount, two_factor.TwoStepAccount, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    department: Mapped[str | None] = mapped_column(String(80))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account_kind = "staff"

    @property
    def reset_at_server(self) -> bool:
        """An administrator who could reset both the password and the second step of another
        could sign in as them: an administrator's second step is reset only by whoever holds
        the server (`flask reset-two-factor`)."""
        return self.role == "admin"

    def get_id(self) -> str:
        return f"s:{self.id}"

    @property
    def is_staff(self) -> bool:
        return True

    @property
    def role_name(self) -> str:
        return ROLES[self.role]


def create_account(username: str, password: str, name: str, role: str, township_id: int | None = None,
                   department: str | None = None, created_by: str = "system",
                   hospital_id: int | None = None) -> StaffUser:
    """An account whose holder chose the password (the demo's): nothing to hand over."""
    return _created(username, password, name, role, township_id, department, created_by, hospital_id, False).user


def open_account(actor, username: str, password: str, name: str, role: str, township_id: int | None = None,
                 department: str | None = None, ip: str = "") -> Handover:
    """An administrator makes an account for a colleague: the first password is theirs to change
    at the first sign-in, and enrolling needs the code handed over with it."""
    if actor.kind != "staff" or actor.role != "admin":
        raise Refused("只有系统管理员可以管理工作人员账号")
    return _created(username, password, name, role, township_id, department, actor.name, None, True, ip)


def first_administrator(username: str, password: str, name: str) -> Handover:
    """The county's first administrator, made on the server (`flask create-admin`): the console
    makes the rest. Whoever runs the command sees the password and the code: both change hands."""
    return _created(username, password, name, "admin", None, None, "flask create-admin", None, True)


def _created(username, password, name, role, township_id, department, created_by: str, hospital_id,
             handover: bool, ip: str = "") -> Handover:
    username = passwords.check_username(username)
    if role not in ROLES:
        raise DomainError("请选择角色", field="role")
    if role in TOWNSHIP_ROLES and (not township_id or db.session.get(Township, township_id) is None):
        raise DomainError(f"{ROLES[role]}须指定乡镇", field="township_id")
    if role == "reviewer" and not department:
        raise DomainError("部门审批人员须指定部门", field="department")
    if role == "hospital" and (not hospital_id or db.session.get(Hospital, hospital_id) is None):
        raise DomainError("医院挂号人员须指定医院", field="hospital_id")
    name = inputs.person_name(name)
    password_hash = passwords.hashed(password, username, name)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise DomainError("这个用户名已被使用", field="username")
    user = StaffUser(username=username, password_hash=password_hash, name=name,
                     role=role, township_id=township_id if role in TOWNSHIP_ROLES else None,
                     department=department if role == "reviewer" else None,
                     hospital_id=hospital_id if role == "hospital" else None, must_change_password=handover)
    code, until = two_factor.issue_enrolment_code(user) if handover else (None, None)
    db.session.add(user)
    try:
        db.session.flush()
        record("staff", None, created_by, "create_account", f"staff:{username}", {"role": role}, ip=ip, commit=False)
        db.session.commit()
    except IntegrityError:  # the same user name, created a moment ago by another administrator
        db.session.rollback()
        raise DomainError("这个用户名已被使用", field="username")
    return Handover(user, code, until)


def accounts() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))


def authenticate(username, password, requester: str, device: str | None = None, ip: str = "") -> StaffUser:
    return passwords.authenticate(StaffUser, "staff", username, password, requester, device, ip)


def get_account(user_id) -> StaffUser:
    user = db.session.get(StaffUser, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("没有这个账号")
    return user


def _administrator(actor, user: StaffUser) -> None:
    if actor.kind != "staff" or actor.role != "admin":
        raise Refused("只有系统管理员可以管理工作人员账号")
    if user.id == actor.id:
        raise DomainError("不能对自己的账号这样操作，请另一位管理员办理")


def set_active(actor, user_id, active: bool, ip: str = "") -> StaffUser:
    """Disable or enable an account; disabling ends its sessions at once."""
    user = get_account(user_id)
    _administrator(actor, user)
    user.active = bool(active)
    if not active:
        sessions.end_all("staff", user.id, "disabled")
    record(actor.kind, actor.id, actor.name, "enable_staff" if active else "disable_staff", f"staff:{user.id}",
           ip=ip, commit=False)
    db.session.commit()
    return user


def sign_out_everywhere(actor, user_id, ip: str = "") -> int:
    """全部退出: every session of the account ends (a lost laptop, a member who left)."""
    user = get_account(user_id)
    _administrator(actor, user)
    ended = sessions.end_all("staff", user.id, "everywhere")
    record(actor.kind, actor.id, actor.name, "sign_out_everywhere", f"staff:{user.id}", {"ended": ended},
           ip=ip, commit=False)
    db.session.commit()
    return ended


AT_THE_SERVER = ("系统管理员的两步验证不能在工作台重置，请由服务器管理人员运行 flask reset-two-factor：这样任何一位管理员"
                 "都不能同时重置另一位管理员的密码和两步验证、冒用其账号")


SERVER = Actor("system", None, "服务器命令 flask reset-two-factor")


def reset_two_factor(actor, user_id, ip: str = "") -> Handover:
    """For a member who lost their phone (or never got to enrol): they enrol again at their next
    sign-in, with the new enrolment code the administrator hands them; every session of theirs
    ends now. Not for an administrator's account (AT_THE_SERVER)."""
    user = get_account(user_id)
    _administrator(actor, user)
    if user.reset_at_server:
        raise Refused(AT_THE_SERVER)
    return _two_factor_reset(user, actor, ip)


def reset_at_server(username: str, new_password: bool = False) -> Handover:
    """`flask reset-two-factor`: any staff account's two-step sign-in, an administrator's included, by
    whoever holds the server; with a temporary password too for the county's only administrator
    who lost both."""
    username = inputs.text_of(username).strip().lower()[:40]  # as passwords.check_username keeps it
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound("没有这个用户名")
    password = None
    if new_password:
        password = passwords.temporary_password(user, "staff")
        record(SERVER.kind, SERVER.id, SERVER.name, "reset_password", f"staff:{user.id}", commit=False)
    return replace(_two_factor_reset(user, SERVER, ""), password=password)


def _two_factor_reset(user: StaffUser, actor, ip: str) -> Handover:
    handover = two_factor.reset(user)
    record(actor.kind, actor.id, actor.name, "reset_two_factor", f"staff:{user.id}", ip=ip, commit=False)
    db.session.commit()
    return handover


def reset_password(actor, user_id, ip: str = "") -> Handover:
    """For a member who forgot their password: a temporary one to hand over, changed at the next
    sign-in; every session of theirs ends now (two_factor.new_password: a new enrolment code with
    it for a member not yet enrolled, except an administrator)."""
    user = get_account(user_id)
    _administrator(actor, user)
    handover = two_factor.new_password(user)
    record(actor.kind, actor.id, actor.name, "reset_password", f"staff:{user.id}", ip=ip, commit=False)
    db.session.commit()
    return handover
