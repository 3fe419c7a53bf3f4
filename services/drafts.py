"""An application in progress (草稿): answers and materials saved at every step, so leaving the
page loses nothing; submitting turns it into a case exactly once."""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import JSON, DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db

from .cases import Case, submit_case
from .catalog import FormField, Item
from .clock import utcnow
from .errors import DomainError
from .identity import Person, check_id_number, normalise_phone
from .materials import Upload, store_files, uploads_of

TEXT_MAX, TEXTAREA_MAX = 100, 1000


class Draft(db.Model):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64), unique=True)  # becomes the case's idempotency key
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def open_draft(person: Person, item: Item) -> Draft:
    """The person's unsubmitted draft for this item, or a new one prefilled from the person."""
    draft = db.session.scalar(select(Draft).where(Draft.person_id == person.id, Draft.item_code == item.code,
                                                  Draft.case_id.is_(None)).order_by(Draft.id.desc()).limit(1))
    if draft is None:
        known = {"name": person.name, "id_number": person.id_number, "phone": person.phone}
        answers = {f.name: known[f.prefill] for f in item.fields if f.prefill and known[f.prefill]}
        draft = Draft(person_id=person.id, item_code=item.code, key=secrets.token_hex(16), answers=answers)
        db.session.add(draft)
        db.session.commit()
    return draft


def check_field(field: FormField, raw: str) -> str:
    """One answer, cleaned; DomainError (with the field's name) when it cannot be accepted."""
    value = (raw or "").strip()
    if not value:
        if field.required:
            verb = "请选择" if field.type in ("select", "date") else "请填写"
            raise DomainError(f"{verb}{field.label}", field=field.name)
        return ""
    kind = field.type
    try:
        if kind == "id_number":
            return check_id_number(value)
        if kind == "phone":
            return normalise_phone(value)
    except DomainError as exc:
        raise DomainError(exc.message, field=field.name)
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise DomainError("请选择或按“2026-12-01”的格式填写日期", field=field.name)
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise DomainError("请填写数字", field=field.name)
        if number < 0 or number > 10**9 or not number.is_finite():
            raise DomainError("数字超出范围", field=field.name)
        return value
    if kind == "select" and value not in field.options:
        raise DomainError("请从列表中选择", field=field.name)
    limit = TEXTAREA_MAX if kind == "textarea" else TEXT_MAX
    if len(value) > limit:
        raise DomainError(f"最多 {limit} 个字，现在是 {len(value)} 个字", field=field.name)
    return value


def save_answers(draft: Draft, item: Item, form: dict, township_id: int | None,
                 township_ids: set[int]) -> dict[str, str]:
    """Keep what was typed (even when wrong, so the form shows it again); return errors by field."""
    errors, answers = {}, {}
    for field in item.fields:
        raw = form.get(field.name, "")
        try:
            answers[field.name] = check_field(field, raw)
        except DomainError as exc:
            errors[field.name] = exc.message
            answers[field.name] = (raw or "").strip()[:TEXTAREA_MAX]
    if needs_township(item):
        if township_id not in township_ids:
            errors["township_id"] = "请选择到哪个乡镇办理"
        draft.township_id = township_id if township_id in township_ids else None
    draft.answers = answers
    db.session.commit()
    return errors


def needs_township(item: Item) -> bool:
    return "township" in item.levels


def add_files(storage, draft: Draft, item: Item, material_index: int, files: list[tuple[str, bytes]]) -> list[Upload]:
    if not 0 <= material_index < len(item.materials) or item.materials[material_index].waived:
        raise DomainError("这项材料不需要上传", field="files")
    return store_files(storage, files, draft.person_id, material_index, draft_id=draft.id)


def remove_file(storage, draft: Draft, key: str) -> None:
    upload = db.session.scalar(select(Upload).where(Upload.key == key, Upload.draft_id == draft.id))
    if upload is None:
        raise DomainError("没有找到这个文件")
    db.session.delete(upload)
    db.session.commit()
    storage.delete(key)


def missing_for_submit(draft: Draft, item: Item, township_ids: set[int]) -> list[str]:
    """Everything still missing, all at once, in the words shown on the check page."""
    missing = []
    for field in item.fields:
        try:
            check_field(field, draft.answers.get(field.name, ""))
        except DomainError:
            missing.append(field.label)
    if needs_township(item) and draft.township_id not in township_ids:
        missing.append("办理乡镇")
    have = {u.material_index for u in uploads_of(draft_id=draft.id)}
    for index, material in enumerate(item.materials):
        if material.required and not material.waived and index not in have:
            missing.append(material.name)
    return missing


def submit_draft(draft: Draft, item: Item, person: Person, township_ids: set[int]) -> Case:
    """Idempotent: the draft's key is the case's key, so a double tap returns the first case."""
    if draft.case_id is not None:
        return db.session.get(Case, draft.case_id)
    missing = missing_for_submit(draft, item, township_ids)
    if missing:
        raise DomainError("还缺：" + "、".join(missing))

    def attach(case: Case) -> None:
        for upload in uploads_of(draft_id=draft.id):
            upload.case_id = case.id
        draft.case_id = case.id

    return submit_case(item, person, dict(draft.answers), draft.key, township_id=draft.township_id,
                       before_commit=attach)
