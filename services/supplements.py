"""补正 from the applicant's side: see everything that is missing, upload it, resubmit."""
from __future__ import annotations

from .cases import Actor, Case, act
from .catalog import Item
from .clock import to_china
from .errors import DomainError
from .identity import Person
from .materials import Upload, store_files, uploads_of
from .tracking import supplement_request


def requested_materials(case: Case) -> list[int]:
    request = supplement_request(case)
    return list((request.data or {}).get("materials", [])) if request else []


def add_supplement_files(storage, case: Case, item: Item, person: Person, material_index: int,
                         files: list[tuple[str, bytes]]) -> list[Upload]:
    if case.status != "supplement":
        raise DomainError("这个办件现在不需要补正材料")
    if material_index not in requested_materials(case) or item.materials[material_index].waived:
        raise DomainError("这项材料不在补正清单里", field="files")
    return store_files(storage, files, person.id, material_index, case_id=case.id)


def new_uploads(case: Case) -> list[Upload]:
    """Files added since the 补正 request."""
    request = supplement_request(case)
    if request is None:
        return []
    asked_at = to_china(request.at)
    return [u for u in uploads_of(case_id=case.id) if to_china(u.created_at) >= asked_at]


def resubmit(case: Case, item: Item, person: Person):
    missing = [item.materials[i].name for i in requested_materials(case)
               if i not in {u.material_index for u in new_uploads(case)}]
    if missing:
        raise DomainError("还缺：" + "、".join(missing))
    return act(case, "resubmit", Actor("applicant", person.id, person.name), note="已补正材料")
