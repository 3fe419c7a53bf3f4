"""个人信息查阅、复制 (《个人信息保护法》第四十五条): what we hold about one person, gathered for them
to download. Every part is found through this person's own record — their id, or their phone and
ID number compared through the ORM attributes (however those are stored) — never through
anything the request says. Files are listed, not included: name, size and SHA-256 of each (a copy
the person has can be checked against it); the files themselves open on the case's page while kept.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select

from extensions import db
from services import audit
from services.appointments import Booking
from services.audit import ACTION_NAMES, AuditEntry
from services.cases.drafts import Draft
from services.cases.lifecycle import TRANSITIONS, Case
from services.cases.materials import RESULT, Upload
from services.cases.ratings import CHANNELS, DIMENSIONS, Rating
from services.cases.tracking import timeline
from services.clock import to_china, utcnow
from services.errors import NotFound
from services.logistics import ADDRESS_FIELDS, Shipment
from services.outbox import OutboxMessage
from services.payments import PaymentOrder
from services.people import consent, organisations
from services.people.actors import KINDS
from services.people.identity import Person
from services.places import township_name
from services.registry import registry

VIA_NAMES = {"typed": "本人输入姓名和身份证号（校验码核验）", "agent": "村代办员依身份证代为登记（经本人同意）",
             "province": "甘肃政务服务网统一身份认证", "id_card": "乡镇自助终端读取身份证芯片"}
SMS_STATUS = {"pending": "待发送", "sending": "发送中", "sent": "已发出", "failed": "发送失败"}
SMS_DELIVERY = {"delivered": "已收到", "undelivered": "未收到"}
AUDIT_CAP = 10_000  # the newest entries, should one person ever have more
SECTION_NAMES = {"person": "实名信息", "cases": "办件", "drafts": "申请草稿", "bookings": "预约挂号", "payments": "缴费",
                 "ratings": "评价", "consents": "代办委托", "organisations": "单位", "sms": "短信",
                 "access_log": "谁查看、处理过您的信息"}
SECTIONS = {  # what each part holds, for the page and the file's README
    "person": "姓名、身份证号、手机号，以及实名是怎样、何时核验的。",
    "cases": "您申请的办件：编号、事项、状态、各环节时间、填写的申请内容、办理过程（经办人员和意见）、提交的材料"
             "（文件名、大小、SHA-256 校验值，不含文件本身；材料文件可在“我的办件”里查看，办件结束后按保存期限删除）、邮寄信息。",
    "drafts": "还没有提交的申请草稿，和其中已上传的材料（同上，只列文件信息）。",
    "bookings": "预约挂号记录。",
    "payments": "缴费订单。",
    "ratings": "您（或代办员代您）对办件作出的评价（好差评）。",
    "consents": "您给村代办员的代办委托，包括已撤销、未通过的。",
    "organisations": "您现在可以代表办事的单位（法定代表人或经办人），以及单位给您的经办人授权记录。",
    "sms": "发到您现在手机号的短信（验证码已隐去）。",
    "access_log": "审计日志中关于您的记录：谁（工作人员姓名、岗位和单位，代办员，自助终端，系统）在什么时间，"
                  "查看或处理了您的哪项信息。您自己的操作不在其中。",
}
# The file's field names are English (stable for programs); what each means, for people.
FIELD_NAMES = {
    "name": "姓名或名称", "id_number": "身份证号", "phone": "手机号", "verified": "是否已实名",
    "verified_at": "实名时间", "verified_via": "实名方式", "registered_at": "首次登录时间",
    "number": "编号", "item": "事项", "item_code": "事项编码", "department": "部门或科室", "township": "乡镇",
    "status": "状态", "submitted_at": "提交时间", "accepted_on": "受理日期", "due_on": "承诺办结日期",
    "closed_at": "办结（或不予受理、撤回）时间", "delivered_at": "送达时间", "submitted_by": "由谁提交",
    "applicant": "办件上登记的申请人", "organisation": "单位", "uscc": "统一社会信用代码",
    "answers": "填写的申请内容", "field": "填写项", "value": "填写内容",
    "timeline": "办理过程", "at": "时间", "step": "环节", "by": "经办人", "note": "意见或说明",
    "materials": "材料", "material": "材料名称", "file_name": "文件名", "content_type": "文件类型",
    "size_bytes": "大小（字节）", "sha256": "SHA-256 校验值", "uploaded_at": "上传时间", "uploaded_by": "由谁上传",
    "deleted_on": "按保存期限删除文件的日期（空：仍保存）",
    "shipment": "邮寄", "carrier": "快递公司", "tracking_number": "快递单号", "address": "邮寄地址",
    "shipped_at": "寄出时间", "updated_at": "最后修改时间", "filled_in_by": "由谁填写",
    "code": "预约码", "hospital": "医院", "session": "就诊时段", "day": "就诊日期", "patient_name": "就诊人",
    "patient_id_number": "就诊人身份证号", "booked_at": "预约时间", "cancelled_at": "取消时间", "booked_by": "由谁预约",
    "lines": "缴费明细", "label": "项目", "amount": "金额（元）", "amount_yuan": "合计（元）",
    "created_at": "下单时间", "paid_at": "支付时间", "receipt_no": "电子票据号", "provider_transaction": "支付流水号",
    "placed_by": "由谁下单", "case": "办件编号", "level": "评价等级", "scores": "各项评价", "comment": "评价内容",
    "rated_at": "评价时间", "channel": "评价渠道", "rated_by": "评价人",
    "agent": "代办员", "agent_role": "代办员身份", "village": "村", "scope": "委托范围", "method": "委托方式",
    "valid_until": "有效期至", "asked_at": "申请委托时间", "code_sent_to": "验证码发往的手机号",
    "granted_at": "生效或授权时间", "confirmed_by": "村里确认人", "confirmed_at": "确认时间",
    "refused_reason": "未通过原因", "withdrawn_at": "撤销时间", "withdrawn_by": "撤销人",
    "paper_evidence": "是否有纸质委托凭证", "acting_for_now": "现在可以代表办事的单位", "role": "身份或岗位",
    "authorisations": "经办人授权记录", "name_on_it": "授权书上的姓名", "granted_by": "授权人（法定代表人）",
    "ended_at": "结束时间", "ended_by": "由谁结束", "text": "短信内容", "queued_at": "生成时间",
    "sent_at": "发出时间", "delivery": "手机是否收到", "action": "操作", "case_action": "办件操作",
    "about": "涉及的信息", "by_kind": "操作者类别", "unit": "所在单位",
}
NOT_INCLUDED = [
    "材料和办理结果的文件本身（请在“我的办件”中逐个查看、保存）",
    "登录验证码（只保存校验值，几分钟后作废）",
    "访问者的 IP 地址等系统安全日志中的技术信息",
]


def export(person: Person, ip: str = "", now: datetime | None = None) -> dict:
    """Everything held about this person, as one JSON-ready dict; the export is audit-logged."""
    cases = list(db.session.scalars(select(Case).where(Case.applicant_id == person.id).order_by(Case.id)))
    bookings = list(db.session.scalars(select(Booking).where(Booking.person_id == person.id).order_by(Booking.id)))
    orders = list(db.session.scalars(select(PaymentOrder).where(PaymentOrder.person_id == person.id)
                                     .order_by(PaymentOrder.id)))
    data = {
        "说明": _readme(now or utcnow()),
        "person": _person(person),
        "cases": [_case(case) for case in cases],
        "drafts": _drafts(person),
        "bookings": [_booking(b) for b in bookings],
        "payments": [_order(o) for o in orders],
        "ratings": _ratings(cases),
        "consents": _consents(person),
        "organisations": _organisations(person),
        "sms": _sms(person),
        "access_log": _access_log(person, cases, bookings, orders),
    }
    audit.record("citizen", person.id, person.name or "", "export_personal_data", f"person:{person.id}",
                 {"cases": len(cases)}, ip=ip)
    return data


def _readme(now: datetime) -> dict:
    return {
        "标题": "镇原县一网通办·乡村便民：您的个人信息副本",
        "依据": "《中华人民共和国个人信息保护法》第四十五条：个人有权向个人信息处理者查阅、复制其个人信息",
        "生成时间": _time(now),
        "格式": "UTF-8 编码的 JSON；时间为北京时间（ISO 8601）；各部分和字段的名称为英文，含义见下",
        "各部分": {key: f"{SECTION_NAMES[key]}——{text}" for key, text in SECTIONS.items()},
        "字段": FIELD_NAMES,
        "不包含": NOT_INCLUDED,
        "更正或删除": "如发现信息有误，或要求删除，请带身份证到乡镇便民服务中心，或拨打 12345 政务服务便民热线",
    }


def _time(moment: datetime | None) -> str | None:
    return to_china(moment).isoformat(timespec="seconds") if moment else None


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _item(code: str | None):
    """The catalog item, or None for one the catalog has since dropped."""
    try:
        return registry().catalog.get(code) if code else None
    except NotFound:
        return None


def _person(person: Person) -> dict:
    return {"name": person.name, "id_number": person.id_number, "phone": person.phone,
            "verified": person.is_verified, "verified_at": _time(person.verified_at),
            "verified_via": VIA_NAMES.get(person.verified_via or "", person.verified_via),
            "registered_at": _time(person.created_at)}


def _answers(item, answers: dict | None) -> list[dict]:
    labels = {f.name: f.label for f in item.fields} if item else {}
    return [{"field": labels.get(name, name), "value": value} for name, value in (answers or {}).items()]


def _material_name(item, key: str) -> str:
    material = item.material(key) if item else None
    return material.name if material else "办理结果" if key == RESULT else "其他材料"


def _file(item, upload: Upload) -> dict:
    return {"material": _material_name(item, upload.material_key), "file_name": upload.original_name,
            "content_type": upload.content_type, "size_bytes": upload.size, "sha256": upload.sha256,
            "uploaded_at": _time(upload.created_at), "uploaded_by": KINDS.get(upload.actor_kind, upload.actor_kind),
            "deleted_on": _day(upload.purged_on)}


def _case(case: Case) -> dict:
    item = _item(case.item_code)
    uploads = db.session.scalars(select(Upload).where(Upload.case_id == case.id).order_by(Upload.id))
    shipment = db.session.scalar(select(Shipment).where(Shipment.case_id == case.id))
    return {
        "number": case.number, "item": case.item_name, "item_code": case.item_code,
        "department": case.department, "township": township_name(case.township_id) or None,
        "status": case.status_name, "submitted_at": _time(case.submitted_at), "accepted_on": _day(case.accepted_on),
        "due_on": _day(case.due_on), "closed_at": _time(case.completed_at), "delivered_at": _time(case.delivered_at),
        "submitted_by": KINDS.get(case.actor_kind, case.actor_kind),
        "applicant": {"name": case.applicant_name, "id_number": case.applicant_id_number,
                      "phone": case.applicant_phone},
        "organisation": {"name": case.organisation_name, "uscc": case.organisation_uscc}
        if case.organisation_id else None,
        "answers": _answers(item, case.answers),
        "timeline": [{"at": _time(s.at), "step": s.title, "by": s.who, "note": s.note}
                     for s in timeline(case, public=False)],
        "materials": [_file(item, u) for u in uploads],
        "shipment": {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
                     "address": {ADDRESS_FIELDS.get(k, k): v for k, v in (shipment.address or {}).items()},
                     "shipped_at": _time(shipment.shipped_at)} if shipment else None,
    }


def _drafts(person: Person) -> list[dict]:
    drafts = db.session.scalars(select(Draft).where(Draft.person_id == person.id, Draft.case_id.is_(None))
                                .order_by(Draft.id))
    rows = []
    for draft in drafts:
        item = _item(draft.item_code)
        uploads = db.session.scalars(select(Upload).where(Upload.draft_id == draft.id, Upload.case_id.is_(None))
                                     .order_by(Upload.id))
        rows.append({"item": item.name if item else draft.item_code, "updated_at": _time(draft.updated_at),
                     "filled_in_by": KINDS.get(draft.actor_kind, draft.actor_kind),
                     "answers": _answers(item, draft.answers), "materials": [_file(item, u) for u in uploads]})
    return rows


def _booking(booking: Booking) -> dict:
    session = booking.session
    return {"code": booking.code, "hospital": session.department.hospital.name, "department": session.department.name,
            "session": session.label, "day": _day(session.day), "patient_name": booking.patient_name,
            "patient_id_number": booking.patient_id_number, "status": booking.status_name,
            "booked_at": _time(booking.created_at), "cancelled_at": _time(booking.cancelled_at),
            "booked_by": KINDS.get(booking.actor_kind, booking.actor_kind)}


def _order(order: PaymentOrder) -> dict:
    return {"number": order.number, "item": order.item_name, "lines": order.lines,
            "amount_yuan": f"{order.amount_fen / 100:.2f}", "status": order.status_name,
            "created_at": _time(order.created_at), "paid_at": _time(order.paid_at),
            "receipt_no": order.receipt_no, "provider_transaction": order.provider_txn,
            "placed_by": KINDS.get(order.actor_kind, order.actor_kind)}


def _ratings(cases: list[Case]) -> list[dict]:
    numbers = {case.id: case.number for case in cases}
    ratings = db.session.scalars(select(Rating).where(Rating.case_id.in_(numbers)).order_by(Rating.id)) \
        if numbers else []
    return [{"case": numbers[r.case_id], "level": r.level_name,
             "scores": {DIMENSIONS.get(k, k): v for k, v in (r.scores or {}).items()},
             "comment": r.comment, "rated_at": _time(r.created_at),
             "channel": CHANNELS.get(r.actor_kind, r.actor_kind), "rated_by": r.actor_name} for r in ratings]


def _consents(person: Person) -> list[dict]:
    mandates = db.session.scalars(select(consent.Mandate).where(consent.Mandate.person_id == person.id)
                                  .order_by(consent.Mandate.id))
    rows = []
    for m in mandates:
        agent, item = consent.holder(m), _item(m.item_code)
        rows.append({"agent": agent["name"], "agent_role": agent["role"], "village": agent["village"],
                     "scope": item.name if item else "全部可代办事项" if m.item_code is None else m.item_code,
                     "method": consent.METHOD_NAMES.get(m.method, m.method), "status": m.status_name,
                     "valid_until": _day(m.valid_until), "asked_at": _time(m.created_at),
                     "code_sent_to": m.phone, "granted_at": _time(m.granted_at),
                     "confirmed_by": m.confirmed_by_name or None, "confirmed_at": _time(m.confirmed_at),
                     "refused_reason": m.refused_reason or None, "withdrawn_at": _time(m.withdrawn_at),
                     "withdrawn_by": m.withdrawn_by or None,
                     "paper_evidence": bool(m.signature_key or m.letter_key)})
    return rows


def _organisations(person: Person) -> dict:
    if not person.is_verified:
        return {"acting_for_now": [], "authorisations": []}
    Authorisation, Organisation = organisations.Authorisation, organisations.Organisation
    held = db.session.execute(select(Authorisation, Organisation).join(Organisation)
                              .where(Authorisation.id_number == person.id_number).order_by(Authorisation.id)).all()
    return {
        "acting_for_now": [{"name": a.organisation.name, "uscc": a.organisation.uscc, "role": a.role_name}
                           for a in organisations.organisations_of(person)],
        "authorisations": [{"organisation": o.name, "uscc": o.uscc, "name_on_it": a.name,
                            "valid_until": _day(a.valid_until), "granted_by": a.granted_by,
                            "granted_at": _time(a.granted_at), "ended_at": _time(a.ended_at),
                            "ended_by": a.ended_by} for a, o in held],
    }


def _sms(person: Person) -> list[dict]:
    if not person.phone:
        return []
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms",
                                                              OutboxMessage.recipient == person.phone)
                                  .order_by(OutboxMessage.id))
    return [{"text": _without_code(m.payload or {}), "queued_at": _time(m.created_at), "sent_at": _time(m.sent_at),
             "status": SMS_STATUS.get(m.status, m.status), "delivery": SMS_DELIVERY.get(m.delivery or "")}
            for m in messages]


def _without_code(payload: dict) -> str:
    """A message's text, its one-time code hidden: a file kept on a phone should not hold a live code."""
    text, code = str(payload.get("text", "")), (payload.get("params") or {}).get("code")
    return text.replace(code, "******") if code else text


def _access_log(person: Person, cases, bookings, orders) -> list[dict]:
    """Who read or handled this person's data: entries naming the person, their cases, bookings
    and orders, and the department queries made for them; their own actions are left out."""
    targets = [f"person:{person.id}", *(f"case:{c.number}" for c in cases), *(f"booking:{b.code}" for b in bookings),
               *(f"order:{o.number}" for o in orders)]
    about = or_(AuditEntry.target.in_(targets),
                (AuditEntry.action == "query") & (AuditEntry.detail["person"].as_integer() == person.id))
    mine = AuditEntry.actor_kind.in_(("citizen", "person")) & (AuditEntry.actor_id == person.id)
    entries = list(db.session.scalars(select(AuditEntry).where(about, ~mine)
                                      .order_by(AuditEntry.id.desc()).limit(AUDIT_CAP)))
    staff = _staff_of({e.actor_id for e in entries if e.actor_kind == "staff" and e.actor_id})
    nobody = {"role": None, "unit": None}
    return [{"at": _time(e.at), "action": ACTION_NAMES.get(e.action, e.action), "case_action": _case_action(e),
             "about": _target_name(e.target), "by_kind": KINDS.get(e.actor_kind, e.actor_kind), "by": e.actor_name,
             **(staff.get(e.actor_id, nobody) if e.actor_kind == "staff" else nobody)} for e in reversed(entries)]


def _case_action(entry: AuditEntry) -> str | None:
    """What a clerk did to the case (受理, 办结 …), for a case_action entry."""
    name = (entry.detail or {}).get("action") if entry.action == "case_action" else None
    return TRANSITIONS[name].label if name in TRANSITIONS else name


TARGET_NAMES = {"person": "您的个人信息", "case": "办件", "booking": "预约", "order": "缴费订单", "item": "查询"}


def _target_name(target: str) -> str:
    """case:ZY… as 办件 ZY…; the person's own record by name, not by its row number."""
    kind, _, ref = target.partition(":")
    if kind == "person":
        return TARGET_NAMES[kind]
    if kind == "item":
        item = _item(ref)
        ref = item.name if item else ref
    return f"{TARGET_NAMES.get(kind, kind)} {ref}".strip()


def _staff_of(ids: set[int]) -> dict[int, dict]:
    """The role and unit of each staff member named, as the person reading the log needs them."""
    from services.appointments import Hospital
    from services.people.staff import StaffUser

    if not ids:
        return {}
    rows = {}
    for user in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids))):
        hospital = db.session.get(Hospital, user.hospital_id) if user.hospital_id else None
        unit = user.department or township_name(user.township_id) or (hospital.name if hospital else "")
        rows[user.id] = {"role": user.role_name, "unit": unit or None}
    return rows

