"""Retention (保存期限) of uploaded materials: once a case is closed and its period is over, the
files the applicant (or their agent, or a kiosk) handed in are deleted from storage, as 《个人信息
保护法》第十九条、第四十七条 ask — kept no longer than needed, deleted when the period ends.

What goes: the materials of a case in a final state (不予受理, 已送达, 已撤回), counted from when it
closed. What stays: the rows (name, size, hash, and when the file went: the case page says so);
the result staff handed over (RESULT: the applicant's licence or certificate, which they keep
needing long after the case); a consent's evidence and a draft's files, which belong to no case.
The department's official file (档案) is kept by the department under its own rules; this is the
portal's copy.

Each case is one transaction, claimed by a guarded UPDATE (and, on PostgreSQL, a row lock that
other workers skip), so two workers never purge one case twice and a second run finds nothing."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update

from extensions import db
from services import audit
from services.cases.lifecycle import FINAL, Case
from services.cases.materials import RESULT, Upload
from services.clock import to_china, utcnow
from services.people.actors import SYSTEM
from services.registry import registry

log = logging.getLogger(__name__)

# The seed documents (the county's 一网通办 plan) set no period for these copies. Three years
# outlasts every way to challenge a decision (行政复议 60 days, 行政诉讼 6 months, 国家赔偿 2 years)
# and matches the general limitation period (民法典第一百八十八条); MATERIALS_RETENTION_DAYS changes it.
DEFAULT_DAYS = 3 * 365
BATCH = 200


def closed_at():
    """When a case closed: its delivery, else its 不予受理 or 撤回 (completed_at), else its last
    event for rows older than those columns — never earlier than the real close."""
    return func.coalesce(Case.delivered_at, Case.completed_at, Case.last_event_at)


def _kept_materials(case_id):
    return (Upload.case_id == case_id) & Upload.purged_at.is_(None) & (Upload.material_key != RESULT)


def _due(now: datetime, days: int):
    """Closed cases past their period that still hold a material's file."""
    return select(Case.id).where(Case.status.in_(FINAL), closed_at() <= now - timedelta(days=days),
                                 exists().where(_kept_materials(Case.id)))


def due_case_ids(now: datetime, days: int, limit: int) -> list[int]:
    return list(db.session.scalars(_due(now, days).order_by(Case.id).limit(limit)))


def due_count(now: datetime | None = None, days: int = DEFAULT_DAYS) -> int:
    """How many closed cases are past their period with a material's file still kept."""
    return db.session.scalar(select(func.count()).select_from(_due(now or utcnow(), days).subquery()))


def purge_case(case_id: int, storage, now: datetime, days: int) -> int:
    """Delete one closed case's material files and mark their rows, with an audit record, in one
    transaction: how many files went; 0 when another worker holds or has done it. The files go before the commit:
    a crash in between leaves rows still marked as kept, which the next run deletes again (a
    delete of a file already gone is a no-op) — never a file kept that the rows say is gone."""
    query = select(Case.id, Case.number).where(Case.id == case_id, Case.status.in_(FINAL))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # another worker has it: skip, don't wait
    case = db.session.execute(query).first()
    uploads = db.session.execute(select(Upload.id, Upload.key, Upload.size).where(_kept_materials(case_id))).all() \
        if case else []
    if not uploads:
        db.session.rollback()
        return 0
    claimed = db.session.execute(
        update(Upload).where(Upload.id.in_([u.id for u in uploads]), Upload.purged_at.is_(None))
        .values(purged_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != len(uploads):  # SQLite: another worker got there between our read and write
        db.session.rollback()
        return 0
    for upload in uploads:
        storage.delete(upload.key)
    audit.record(SYSTEM.kind, SYSTEM.id, SYSTEM.name, "purge_materials", f"case:{case.number}",
                 {"files": len(uploads), "bytes": sum(u.size for u in uploads), "retention_days": days,
                  "purged_on": to_china(now).date().isoformat()}, commit=False)
    db.session.commit()
    return len(uploads)


def purge_due(now: datetime | None = None, limit: int = BATCH, storage=None, days: int = DEFAULT_DAYS) -> int:
    """Purge up to `limit` due cases; how many were purged. A case whose files the store would not
    delete (it is down) is left for the next run, logged, and the rest go on."""
    now, storage = now or utcnow(), storage or registry().storage
    if not isinstance(days, int) or days < 1:  # 0 would take the files the day a case closes
        raise ValueError(f"MATERIALS_RETENTION_DAYS 须为正整数（天），现在是 {days!r}")
    purged = 0
    for case_id in due_case_ids(now, days, limit):
        try:
            purged += purge_case(case_id, storage, now, days) > 0
        except Exception:
            db.session.rollback()
            log.exception("materials of case %s not purged; tried again next run", case_id)
    return purged
