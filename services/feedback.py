"""“这个指南有用吗？” — a villager's word on a guide, so the county can fix unclear ones."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.catalog import Catalog
from services.errors import DomainError

COMMENT_MAX = 200


class GuideFeedback(db.Model):
    __tablename__ = "guide_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The form's one-time token: a double tap or a retry posts the same token, stored once.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    useful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(String(COMMENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(timezone.utc)
    )


def record_feedback(catalog: Catalog, item_code: str, token: str, useful: bool | None,
                    comment: str) -> GuideFeedback:
    catalog.get(item_code)  # unknown item -> NotFound
    comment = (comment or "").strip()
    if useful is None:
        raise DomainError("请选择“有用”或“没用”", field="useful")
    if len(comment) > COMMENT_MAX:
        raise DomainError(f"意见最多 {COMMENT_MAX} 个字，现在是 {len(comment)} 个字", field="comment")
    if not token or len(token) > 64:
        raise DomainError("页面已过期，请刷新后再提交", field="token")
    existing = db.session.scalar(select(GuideFeedback).where(GuideFeedback.token == token))
    if existing:
        return existing
    row = GuideFeedback(token=token, item_code=item_code, useful=useful, comment=comment)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # the same token won a race in another request
        db.session.rollback()
        row = db.session.scalar(select(GuideFeedback).where(GuideFeedback.token == token))
    return row


def feedback_counts(item_code: str) -> dict:
    rows = db.session.execute(
        select(GuideFeedback.useful, func.count())
        .where(GuideFeedback.item_code == item_code)
        .group_by(GuideFeedback.useful)
    ).all()
    counts = dict(rows)
    return {"useful": counts.get(True, 0), "not_useful": counts.get(False, 0)}
