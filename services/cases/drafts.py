"""Applying (申请): an application in progress (草稿) keeps its answers and materials at every
step, so leaving the page loses nothing; submitting turns it into a case exactly once. The
same flow serves the phone, the kiosk and an agent acting for a resident: the draft belongs to
the applicant and records who fills it in."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.cases.lifecycle import Case, case_by_key, submit_case
from services.cases.materials import Upload, store_files, uploads_of
from services.catalog import FormField, Item
from services.clock import today as china_today
from services.clock import utcnow
from services.errors import DomainError, NotFound
from services.people.actors import Actor
from services.people.identity import Person, age_on
from services.people.organisations import Organisation
from services.places import is_township
from services.sealing import SealedJSON

TEXT_MAX, TEXTAREA_MAX = 100, 1000


class Draft(db.Model):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # the applicant
    actor_kind: Mapped[str] = mapped_column(String(12), default="citizen")  # who fills it in
    actor_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))  # applying for it
    item_code: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64), unique=True)  # becomes the case's idempotency key
    answers: Mapped[dict] = mapped_column(SealedJSON("drafts.answers"), default=dict)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def _same(column, value):
    """column = value, where a missing value (an actor without an id) matches NULL."""
    return column.is_(None) if value is None else column == value


def applicable(item: Item) -> Item:
    """The item, if it is applied for online (Item.applied_for_online)."""
    if not item.applied_for_online:
        raise NotFound("这个事项暂不能在网上申请，请看办事指南")
    return item


class OrganisationNeeded(DomainError):
    """An organisation's item (法人事项), asked for by someone not acting for one yet."""


def applicable_by(item: Item, actor: Actor) -> Item:
    """The item, if this actor may apply for it: an organisation's item only while acting for an
    organisation, a person's item only while acting for themself."""
    applicable(item)
    if item.applicant == "organisation" and actor.organisation_id is None:
        raise OrganisationNeeded("这个事项由单位（法人）申请：请先选择或登记您的单位")
    if item.applicant == "person" and actor.organisation_id is not None:
        raise DomainError(f"您现在以“{actor.organisation_name}”的名义办事；个人事项请先在“单位办事”中切换回个人身份")
    return item


def open_draft(actor: Actor, applicant: Person, item: Item) -> Draft:
    """The unsubmitted draft this actor fills in for this applicant, or a new one prefilled
    from the applicant's real name (and the organisation's details, for an organisation)."""
    applicable_by(item, actor)
    draft = next(iter(unsent(actor, applicant.id, item.code)), None)
    if draft is None:
        known = {"name": applicant.name, "id_number": applicant.id_number, "phone": applicant.phone}
        if actor.organisation_id is not None:
            known |= db.session.get(Organisation, actor.organisation_id).prefill
        answers = {f.name: known[f.prefill] for f in item.fields if f.prefill and known[f.prefill]}
        # At a kiosk or with an agent, the township is where they stand, as a first choice.
        here = actor.township_id if actor.kind in ("kiosk", "agent") and needs_township(item) else None
        draft = Draft(person_id=applicant.id, actor_kind=actor.kind, actor_id=actor.id, item_code=item.code,
                      organisation_id=actor.organisation_id,
                      key=secrets.token_hex(16), answers=answers, township_id=here)
        db.session.add(draft)
        db.session.commit()
    return draft


def check_field(field: FormField, raw, today: date | None = None) -> str:
    """One answer, cleaned, as stored; InvalidInput naming the field when it cannot be accepted."""
    name, kind = field.name, field.type
    value = inputs.text_of(raw, name).strip()
    if not value:
        if field.required:
            verb = "请选择" if kind in ("select", "date") else "请填写"
            raise inputs.InvalidInput(f"{verb}{field.label}", field=name)
        return ""
    today = today or china_today()
    if kind == "id_number":
        return _check_person(field, inputs.id_number(value, today, field=name), today)
    if kind == "phone":
        return inputs.phone(value, field=name)
    if kind == "name":
        return inputs.person_name(value, field=name)
    if kind == "date":
        return inputs.calendar_date(value, date(1900, 1, 1), today + timedelta(days=3 * 366), field=name).isoformat()
    if kind == "integer":
        return str(inputs.integer(value, field.min, field.max, field=name))
    if kind in ("money", "number"):
        return format(inputs.decimal(value, field.min, field.max, 2 if kind == "money" else 4, field=name), "f")
    if kind == "digits":
        number = inputs.digits(value, name, "请只填写数字", separators=" -")
        if not 4 <= len(number) <= 32:
            raise inputs.InvalidInput("账号应为 4–32 位数字", field=name)
        return number
    if kind == "select":
        return inputs.choice(value, field.options, field=name)
    if kind == "uscc":
        return inputs.credit_code(value, field=name)
    multiline = kind == "textarea"
    return inputs.text(value, TEXTAREA_MAX if multiline else TEXT_MAX, field=name, multiline=multiline)


def _check_person(field: FormField, number: str, today: date) -> str:
    if field.sex and inputs.sex_of(number) != field.sex:
        whose = "女性" if field.sex == "female" else "男性"
        raise inputs.InvalidInput(f"{field.label}应是{whose}的身份证号（第 17 位{'偶数' if field.sex == 'female' else '奇数'}），"
                                  "请核对是否填反了", field=field.name)
    if field.min_age is not None and age_on(number, today) < field.min_age:
        raise inputs.InvalidInput(f"须年满 {field.min_age} 周岁（按身份证上的出生日期）", field=field.name)
    return number


def check_answers(item: Item, form, today: date | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(clean answers, errors by field) for every field of the item, cross-field rules included."""
    answers, errors = {}, {}
    for field in item.fields:
        try:
            answers[field.name] = check_field(field, form.get(field.name, ""), today)
        except DomainError as exc:
            errors[field.name] = exc.message
    for group in item.distinct:
        seen: dict[str, str] = {}
        for name in group:
            value = answers.get(name)
            if value and value in seen:
                label = next(f.label for f in item.fields if f.name == seen[value])
                errors.setdefault(name, f"不能与{label}相同")
            elif value:
                seen[value] = name
    return answers, errors


@dataclass(frozen=True)
class Question:
    """One screen of an application asked a question at a time: a title and its fields."""
    key: str  # the first field's name, or "township_id"
    title: str
    fields: tuple[FormField, ...]

    @property
    def person_fields(self) -> tuple[FormField, FormField] | None:
        """(name, ID number) when the question asks who someone is: answered by their ID card."""
        by_type = {f.type: f for f in self.fields}
        return (by_type["name"], by_type["id_number"]) if {"name", "id_number"} <= by_type.keys() else None


TOWNSHIP_QUESTION = "township_id"


def questions(item: Item) -> list[Question]:
    """The item's form as questions, in order: the township (where it is asked), then each
    field, or each run of neighbouring fields sharing an `ask`."""
    found = [Question(TOWNSHIP_QUESTION, "到哪个乡镇办理？", ())] if needs_township(item) else []
    for field in item.fields:
        last = found[-1] if found else None
        if field.ask and last and last.fields and last.fields[-1].ask == field.ask:
            found[-1] = Question(last.key, last.title, last.fields + (field,))
        else:
            found.append(Question(field.name, field.ask or field.label, (field,)))
    return found


def question_of(item: Item, key) -> Question | None:
    """The question asking this field (or with this key)."""
    return next((q for q in questions(item) if key == q.key or any(f.name == key for f in q.fields)), None)


def unanswered(draft: Draft, item: Item) -> Question | None:
    """The first question still without a right answer, or None when the form is complete.
    Answers already there (from the person's real name, or given earlier) are not asked again."""
    _, errors = check_answers(item, draft.answers)
    for question in questions(item):
        if question.key == TOWNSHIP_QUESTION:
            if not is_township(draft.township_id):
                return question
        elif any(f.name in errors or f.name not in draft.answers for f in question.fields):
            return question  # wrong, or never asked (an optional field is asked once)
    return None


def save_question(draft: Draft, item: Item, question: Question, form) -> dict[str, str]:
    """Store one question's answers, checked with everything answered before (a rule across
    fields — two different people — holds here too); the errors of this question's fields."""
    if question.key == TOWNSHIP_QUESTION:
        errors = save_township(draft, form.get("township_id", ""))
        db.session.commit()
        return errors
    names = {f.name for f in question.fields}
    merged = {**draft.answers, **{n: form.get(n, "") for n in names}}
    answers, errors = check_answers(item, merged)
    for group in item.distinct:  # a clash with an answer on another screen is shown on this one
        for mine in (n for n in group if n in names and n not in errors):
            other = next((o for o in group if o not in names and answers.get(o) and answers.get(o) == answers.get(mine)),
                         None)
            if other:
                errors[mine] = f"不能与{next(f.label for f in item.fields if f.name == other)}相同"
    errors = {n: e for n, e in errors.items() if n in names}
    draft.answers = {**draft.answers, **{n: answers[n] for n in names if n not in errors}}
    db.session.commit()
    return errors


def needs_township(item: Item) -> bool:
    return "township" in item.levels


def save_township(draft: Draft, township_raw) -> dict[str, str]:
    """Where the application is handled (not committed); the error, if it is not a township."""
    township_id = inputs.optional_integer(township_raw, 1, 10**9)
    if not is_township(township_id):
        return {"township_id": "请选择到哪个乡镇办理"}
    draft.township_id = township_id
    return {}


def save_answers(draft: Draft, item: Item, form, township_raw) -> dict[str, str]:
    """Store the answers that are right and return the errors of the others: what was typed
    wrongly is shown again from the request, never stored."""
    answers, errors = check_answers(item, _as_registered(draft, item, form))
    if needs_township(item):
        errors.update(save_township(draft, township_raw))
    draft.answers = {**draft.answers, **{k: v for k, v in answers.items() if k not in errors}}
    db.session.commit()
    return errors


# Who the organisation is comes from the registry, never from the form: its name, code and legal
# representative are the organisation's own, whatever was typed (its address and contact may differ).
REGISTERED = ("org_name", "uscc", "legal_rep")


def _as_registered(draft: Draft, item: Item, form) -> dict:
    answers = {f.name: form.get(f.name, "") for f in item.fields}
    if draft.organisation_id is not None:
        known = db.session.get(Organisation, draft.organisation_id).prefill
        answers |= {f.name: known[f.prefill] for f in item.fields if f.prefill in REGISTERED}
    return answers


def uploadable(item: Item, material_key) -> str:
    material = item.material(material_key) if isinstance(material_key, str) else None
    if material is None or material.waived:
        raise DomainError("这项材料不需要上传", field="files")
    return material.key


def add_files(storage, draft: Draft, item: Item, material_key, files: list[tuple[str, bytes]],
              actor: Actor) -> list[Upload]:
    return store_files(storage, files, draft.person_id, uploadable(item, material_key), actor, draft_id=draft.id)


def remove_file(storage, draft: Draft, key: str) -> None:
    upload = db.session.scalar(select(Upload).where(Upload.key == inputs.text_of(key)[:64], Upload.draft_id == draft.id))
    if upload is None:
        raise NotFound("没有找到这个文件")
    db.session.delete(upload)
    db.session.commit()
    storage.delete(upload.key)


def missing_for_submit(draft: Draft, item: Item) -> list[str]:
    """Everything still missing, all at once, in the words shown on the check page."""
    answers, errors = check_answers(item, draft.answers)
    missing = [f.label for f in item.fields if f.name in errors]
    if needs_township(item) and not is_township(draft.township_id):
        missing.append("办理乡镇")
    have = {u.material_key for u in uploads_of(draft_id=draft.id)}
    missing += [m.name for m in item.materials if m.required and not m.waived and m.key not in have]
    return missing


def submit_draft(actor: Actor, applicant: Person, item: Item, draft_key: str) -> Case:
    """Idempotent: a double tap, a retry or the back button posts the same draft key, and the
    case that key made comes back, for this applicant only."""
    key = inputs.token(draft_key, field="draft_key")

    def made_already() -> Case | None:
        existing = case_by_key(key)
        if existing is not None and existing.applicant_id == applicant.id \
                and existing.organisation_id == actor.organisation_id:
            return existing
        return None

    if (existing := made_already()) is not None:
        return existing
    draft = db.session.scalar(select(Draft).where(Draft.key == key, Draft.person_id == applicant.id,
                                                  Draft.actor_kind == actor.kind, _same(Draft.actor_id, actor.id),
                                                  _same(Draft.organisation_id, actor.organisation_id),
                                                  Draft.item_code == item.code, Draft.case_id.is_(None)))
    if draft is None:  # the first of two taps may have made the case between our two looks
        if (existing := made_already()) is not None:
            return existing
        raise DomainError("页面已过期，请返回核对后重新提交")
    missing = missing_for_submit(draft, item)
    if missing:
        raise DomainError("还缺：" + "、".join(missing))

    def attach(case: Case) -> None:
        for upload in uploads_of(draft_id=draft.id):
            upload.case_id = case.id
        draft.case_id = case.id

    organisation = db.session.get(Organisation, draft.organisation_id) if draft.organisation_id else None
    answers = _as_registered(draft, item, draft.answers) if organisation else dict(draft.answers)
    return submit_case(item, applicant, answers, draft.key, township_id=draft.township_id,
                       actor=actor, before_commit=attach, organisation=organisation)


def leave_drafts(storage, actor: Actor, applicant_id: int, keep: bool, items: set[str] | None = None) -> int:
    """When a person leaves a kiosk, or a village agent's consent ends: the drafts it filled in
    for them (of these items, or all) are handed to the person (continued on their phone) if
    they chose to keep them, otherwise deleted with their files. A kept draft joins the person's
    own open draft of the same item, if there is one: what was answered at the kiosk wins, every
    file is kept. Returns how many there were."""
    drafts = [d for d in unsent(actor, applicant_id) if items is None or d.item_code in items]
    keys = []
    for draft in drafts:
        own = unsent(Actor("citizen", applicant_id, ""), applicant_id, draft.item_code) if keep else []
        if keep and not own:
            draft.actor_kind, draft.actor_id = "citizen", applicant_id
            continue
        uploads = uploads_of(draft_id=draft.id)
        if keep:
            target = own[0]
            target.answers = {**target.answers, **{k: v for k, v in draft.answers.items() if v}}
            target.township_id = draft.township_id or target.township_id
            for upload in uploads:
                upload.draft_id = target.id
        else:
            keys += [u.key for u in uploads]
            for upload in uploads:
                db.session.delete(upload)
            db.session.flush()  # the files' rows before the draft they point to
        db.session.delete(draft)
    db.session.commit()
    for key in keys:
        storage.delete(key)
    return len(drafts)


def unsent(actor: Actor, applicant_id: int, item_code: str | None = None) -> list[Draft]:
    """Drafts this actor is filling in for this applicant (of one item), not submitted yet, newest first."""
    query = select(Draft).where(Draft.person_id == applicant_id, Draft.actor_kind == actor.kind,
                                _same(Draft.actor_id, actor.id), _same(Draft.organisation_id, actor.organisation_id),
                                Draft.case_id.is_(None))
    if item_code is not None:
        query = query.where(Draft.item_code == item_code)
    return list(db.session.scalars(query.order_by(Draft.id.desc())))
