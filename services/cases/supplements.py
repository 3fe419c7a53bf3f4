"""补正 (supplement): one request names everything missing at once; the applicant (or whoever
acts for them) uploads it and resubmits. The request is checked here whoever makes it — a
window clerk or a department system — so a case can always leave 补正 again."""
from __future__ import annotations

from services.cases.lifecycle import Case, act
from services.cases.materials import RESULT, Upload, store_files, uploads_of
from services.cases.tracking import supplement_request
from services.catalog import Item
from services.clock import to_china
from services.errors import DomainError
from services.inputs import InvalidInput
from services.people.actors import Actor

ASK_ALL = "请勾选所有需要补正的材料（一次列全），只能选本事项需要提交的材料"


def check_request(item: Item, keys) -> list[str]:
    """A non-empty list of this item's materials that are not waived, in the catalog's order."""
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise InvalidInput(ASK_ALL, field="materials")
    wanted = set(keys)
    known = [m.key for m in item.materials if not m.waived]
    if not wanted <= set(known):
        raise InvalidInput(ASK_ALL, field="materials")
    return [k for k in known if k in wanted]


def material_name(item: Item, key: str) -> str:
    """A material's name; a key the catalog has since dropped still reads as something."""
    material = item.material(key)
    return material.name if material else "办理结果" if key == RESULT else "其他材料"


def default_note(item: Item, keys: list[str]) -> str:
    return "请补正以下材料：" + "、".join(material_name(item, k) for k in keys)


def requested_materials(case: Case) -> list[str]:
    request = supplement_request(case)
    return list((request.data or {}).get("materials", [])) if request else []


def add_supplement_files(storage, case: Case, item: Item, actor: Actor, material_key,
                         files: list[tuple[str, bytes]]) -> list[Upload]:
    if case.status != "supplement":
        raise DomainError("这个办件现在不需要补正材料")
    if material_key not in requested_materials(case):
        raise DomainError("这项材料不在补正清单里", field="files")
    return store_files(storage, files, case.applicant_id, material_key, actor, case_id=case.id)


def new_uploads(case: Case) -> list[Upload]:
    """Files added since the 补正 request."""
    request = supplement_request(case)
    if request is None:
        return []
    asked_at = to_china(request.at)
    return [u for u in uploads_of(case_id=case.id) if to_china(u.created_at) >= asked_at]


def resubmit(case: Case, item: Item, actor: Actor):
    if case.status != "supplement":
        last = case.events[-1] if case.events else None
        if last is not None and last.action == "resubmit" and (last.actor_kind, last.actor_id) == (actor.kind, actor.id):
            return last  # a double tap on 补正完成: the first one did it
        raise DomainError("这个办件现在不需要补正材料")
    have = {u.material_key for u in new_uploads(case)}
    missing = [material_name(item, k) for k in requested_materials(case) if k not in have]
    if missing:
        raise DomainError("还缺：" + "、".join(missing))
    return act(case, "resubmit", actor, note="已补正材料")

