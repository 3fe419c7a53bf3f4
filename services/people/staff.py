"""Staff accounts (窗口、部门审批人员、管理员): hashed passwords, lockout, and which cases each may see."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from services import inputs
from services.appointments import Hospital
from services.audit import record
from services.clock import to_china, utcnow
from services.errors import DomainError
from services.places import Township

ROLES = {"window": "乡镇窗口人员", "reviewer": "县直部门审批人员", "hospital": "医院挂号人员",
         "admin": "系统管理员"}
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10


class StaffUser(db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    department: Mapped[str | None] = mapped_column(String(80))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"s:{self.id}"

    @property
    def is_staff(self) -> bool:
        return True

    @property
    def role_name(self) -> str:
        return ROLES[self.role]


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    if password.isdigit() or password.isalpha():
        raise DomainError("密码要同时包含字母和数字", field="password")


def create_account(username: str, password: str, name: str, role: str, township_id: int | None = None,
                   department: str | None = None, created_by: str = "system",
                   hospital_id: int | None = None) -> StaffUser:
    username = inputs.text_of(username, "username").strip().lower()
    if not re.fullmatch(r"[a-z0-9_.]{3,40}", username):
        raise DomainError("用户名用 3–40 位字母、数字", field="username")
    if role not in ROLES:
        raise DomainError("请选择角色", field="role")
    if role == "window" and (not township_id or db.session.get(Township, township_id) is None):
        raise DomainError("乡镇窗口人员须指定乡镇", field="township_id")
    if role == "reviewer" and not department:
        raise DomainError("部门审批人员须指定部门", field="department")
    if role == "hospital" and (not hospital_id or db.session.get(Hospital, hospital_id) is None):
        raise DomainError("医院挂号人员须指定医院", field="hospital_id")
    name = inputs.person_name(name)
    check_password_rules(password)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise DomainError("这个用户名已被使用", field="username")
    user = StaffUser(username=username, password_hash=generate_password_hash(password), name=name,
                     role=role, township_id=township_id if role == "window" else None,
                     department=department if role == "reviewer" else None,
                     hospital_id=hospital_id if role == "hospital" else None)
    db.session.add(user)
    try:
        db.session.flush()
        record("staff", None, created_by, "create_account", f"staff:{username}", {"role": role}, commit=False)
        db.session.commit()
    except IntegrityError:  # the same user name, created a moment ago by another administrator
        db.session.rollback()
        raise DomainError("这个用户名已被使用", field="username")
    return user


@functools.cache
def _dummy_hash() -> str:
    """Made on the first unknown name rather than at every start-up: it costs one scrypt run."""
    return generate_password_hash("not-a-password-anyone-has")


def accounts() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))


def authenticate(username: str, password: str, ip: str = "") -> StaffUser:
    """The same message for an unknown name and a wrong password; a lock after 5 failures."""
    name = username.strip().lower() if isinstance(username, str) else ""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == name)) if name.isascii() and \
        name.isprintable() and len(name) <= 40 else None
    now = utcnow()
    wrong = DomainError("用户名或密码不对", field="password")
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password or "")  # as slow as a real check: names stay secret
        record("staff", None, username or "", "login_failed", detail={"reason": "unknown"}, ip=ip)
        raise wrong
    if user.locked_until and to_china(user.locked_until) > to_china(now):
        record("staff", user.id, user.name, "login_failed", detail={"reason": "locked"}, ip=ip)
        raise DomainError(f"密码错误次数太多，账号已锁定，请 {to_china(user.locked_until):%H:%M} 后再试，"
                          "或请管理员解锁", field="password")
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
            record("staff", user.id, user.name, "locked", ip=ip, commit=False)
        record("staff", user.id, user.name, "login_failed", detail={"reason": "password"}, ip=ip)
        raise wrong
    user.failed_logins, user.locked_until = 0, None
    record("staff", user.id, user.name, "login", ip=ip)
    return user
