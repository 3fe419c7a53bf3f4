"""Staff accounts (窗口、乡镇管理员、部门审批人员、管理员): who they are and what they are bound to;
passwords and lockout are services.people.passwords."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.appointments import Hospital
from services.audit import record
from services.clock import utcnow
from services.errors import DomainError
from services.people import passwords
from services.places import Township

ROLES = {"window": "乡镇窗口人员", "town_admin": "乡镇管理员", "reviewer": "县直部门审批人员",
         "hospital": "医院挂号人员", "supervisor": "督查考核局（督查）", "admin": "系统管理员"}
# Bound to one township: they handle its cases; its administrator also keeps its village agents.
TOWNSHIP_ROLES = ("window", "town_admin")


class StaffUser(passwords.PasswordAccount, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(12))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    department: Mapped[str | None] = mapped_column(String(80))
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account_kind = "staff"

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
    password_hash = passwords.hashed(password)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise DomainError("这个用户名已被使用", field="username")
    user = StaffUser(username=username, password_hash=password_hash, name=name,
                     role=role, township_id=township_id if role in TOWNSHIP_ROLES else None,
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


def accounts() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))


def authenticate(username, password, ip: str = "") -> StaffUser:
    return passwords.authenticate(StaffUser, "staff", username, password, ip)
