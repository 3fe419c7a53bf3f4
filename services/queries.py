"""Queries (查询) answered at once from a department's data: only the signed-in, real-named
person's own record, and every query is audit-logged."""
from __future__ import annotations

from services.audit import record
from services.catalog import Item
from services.errors import DomainError, NotFound
from services.exchange import DepartmentUnavailable
from services.people.identity import Person


def queryable(item: Item) -> Item:
    if not item.queried_online:
        raise NotFound("这个事项不能在线查询")
    return item


def from_sandbox(adapters: dict, item: Item) -> bool:
    """Whether this item's department answers from the sandbox: its data is shown as 演示数据."""
    return getattr(adapters.get(item.system), "kind", "") == "sandbox"


def run_query(adapters: dict, item: Item, person: Person, ip: str = "", actor=None) -> dict | None:
    """The department's answer for the person; the audit log names who asked (the person, or
    the kiosk or agent acting for them) and whose data it was."""
    if not item.queried_online:
        raise DomainError("这个事项不是查询类事项")
    if not person.is_verified:
        raise DomainError("请先完成实名认证")
    outcome = "ok"
    try:
        result = adapters[item.system].query(item.query, person.id_number, person.name)
        outcome = "found" if result else "none"
        return result
    except DepartmentUnavailable as exc:
        outcome = f"unavailable: {exc.detail}"[:120]
        raise
    finally:
        kind, actor_id, name = (actor.kind, actor.id, actor.name) if actor else ("person", person.id, person.name)
        record(kind, actor_id, name, "query", f"item:{item.code}",
               {"system": item.system, "outcome": outcome, "person": person.id}, ip=ip)
