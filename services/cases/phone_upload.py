"""手机扫码上传: a kiosk shows a QR; the person's (or a relative's) phone opens it and uploads
photos of one material straight into the draft being filled in at the kiosk. The link is
signed, bound to that draft and material, good for 20 minutes and for one upload; the files
go through the same checks as any upload (services.cases.materials)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from extensions import db
from services import attempts, inputs
from services.cases.drafts import Draft, add_files, applicable, uploadable
from services.cases.materials import Upload, uploads_of
from services.catalog import Item
from services.errors import DomainError, NotFound
from services.people.actors import Actor
from services.registry import registry

TTL = timedelta(minutes=20)
EXPIRED = "这个二维码已用过或已过期，请在自助终端上重新点“手机扫码上传”"


@dataclass(frozen=True)
class Link:
    draft: Draft
    item: Item
    material_key: str
    actor: Actor  # the kiosk that showed the QR, acting for the draft's applicant
    token: str


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(registry().secret_key, salt="phone-upload")


def issue(draft: Draft, item: Item, material_key, actor: Actor) -> str:
    """A token for the QR. Only the actor filling in the draft may issue one."""
    if draft.actor_kind != actor.kind or draft.actor_id != actor.id or draft.case_id is not None:
        raise NotFound("没有找到这份申请")
    key = uploadable(item, material_key)
    return _signer().dumps([draft.id, draft.key[:8], key, actor.kind, actor.id, actor.name, actor.township_id])


def link_for(token: str) -> str:
    """What the kiosk's QR holds: the phone's upload page for this token."""
    return f"{registry().public_base_url}/up/{token}"


def resolve(token) -> Link:
    """What a scanned link is for; refused once expired, used, or once the draft is gone or sent."""
    if not isinstance(token, str) or len(token) > 400:
        raise NotFound(EXPIRED)
    try:
        draft_id, key_start, material_key, kind, actor_id, name, township_id = _signer().loads(
            token, max_age=int(TTL.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        raise NotFound(EXPIRED) from None
    draft = db.session.get(Draft, draft_id) if inputs.is_row_id(draft_id) else None
    # Still the kiosk's open draft: not sent, not handed to the person's phone, not replaced.
    if draft is None or draft.case_id is not None or not draft.key.startswith(str(key_start)) \
            or (draft.actor_kind, draft.actor_id) != (kind, actor_id) or attempts.count(_used_key(token), TTL) > 0:
        raise NotFound(EXPIRED)
    item = applicable(registry().catalog.get(draft.item_code))
    actor = Actor(kind, actor_id, name, township_id=township_id, on_behalf_of=draft.person_id)
    return Link(draft, item, uploadable(item, material_key), actor, token)


def _used_key(token: str) -> str:
    return "phone-upload:" + hashlib.sha256(token.encode()).hexdigest()[:40]


def upload(storage, link: Link, files: list[tuple[str, bytes]]) -> list[Upload]:
    """The photos from the phone, checked as every upload is; the link is spent by the first
    upload that is accepted (a refused file leaves it usable)."""
    taken = attempts.take([(_used_key(link.token), 1, TTL)])
    if taken is None:
        raise NotFound(EXPIRED)
    try:
        return add_files(storage, link.draft, link.item, link.material_key, files, link.actor)
    except DomainError:
        attempts.give_back(taken)
        raise


def uploads_for(draft: Draft, material_key: str) -> int:
    """How many files the material has: the kiosk's screen waits for this to grow."""
    return sum(u.material_key == material_key for u in uploads_of(draft_id=draft.id))
