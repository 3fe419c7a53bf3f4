"""我的个人信息 (《个人信息保护法》第四十五条): a verified person reads what is held about them and
downloads a copy — their record, cases, bookings, payments, consents, organisations, messages, and
who read their data — and nothing of anyone else's; the download is logged, never cached, limited."""
import html
import json

import pytest
from sqlalchemy import select

from commands import DATA
from extensions import db
from services.appointments import ClinicSession, book, load_hospitals, open_coming_week
from services.audit import AuditEntry
from services.cases.handling import handle, open_case
from services.cases.lifecycle import Case, submit_case
from services.cases.materials import Upload
from services.cases.ratings import rate
from services.outbox import OutboxMessage
from services.payments import create_order
from services.people import actors, organisations
from services.people.identity import Person
from services.people.staff import create_account
from services.places import township_id_by_name
from services.registry import registry
from tests import factories
from tests.conftest import form_post, sign_in
from tests.web.test_apply import ID_A, ID_B, apply_fully, fill_form

A_PHONE, B_PHONE = "13900000001", "13900000002"
LEGAL_REP = ("王建国", "622827196508201136", "13900000003")  # the sandbox registry's legal representative
USCC = "91621027MA71A2B3C8"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def download(client):
    return form_post(client, "/me/data", {}, post_url="/me/data/download")


def person(phone: str) -> Person:
    return db.session.scalar(select(Person).where(Person.phone == phone))


@pytest.fixture
def villager(client):
    sign_in(client, A_PHONE, "李秀英", ID_A)
    return client


def a_session() -> int:
    """A half day far enough ahead to book."""
    return db.session.scalar(select(ClinicSession.id).order_by(ClinicSession.day.desc(), ClinicSession.id))


def b_applies_books_and_pays(app) -> dict:
    """Another person with a case, a booking and an order of their own: what must never show in A's copy."""
    with app.app_context():
        b = factories.person(B_PHONE, "赵大海", "19850505", "132")
        case = submit_case(registry().catalog.get("621027-BM-004"), b, {"address": "屯字镇"}, factories.key())
        load_hospitals(DATA / "hospitals.toml")
        open_coming_week()
        booking = book(a_session(), b, "赵大海", ID_B)
        order = create_order(registry().catalog.get("621027-BM-011"), b, {"grade": "第五档"}, [], factories.key())
        return {"name": "赵大海", "id": ID_B, "phone": B_PHONE, "case": case.number, "booking": booking.code,
                "order": order.number}


def a_is_read_authorised_and_served(app, agents, client_a) -> None:
    """A clerk opens A's case, accepts and approves it, and A rates it; an organisation authorises A as its 经办人; a village agent gets A's consent;
    A books a doctor and starts a payment."""
    with app.app_context():
        a = person(A_PHONE)
        clerk = actors.staff(create_account("lina", "Window-demo-2026", "李娜", "window", township_id_by_name("城关镇")))
        case = open_case(clerk, db.session.scalar(select(Case.id).where(Case.applicant_id == a.id)))
        handle(clerk, case, "accept")
        handle(clerk, case, "complete", decision="approved")
        rate(case, actors.citizen(a), 5, {"efficiency": 4}, "办得快")
        rep = factories.person(LEGAL_REP[2], LEGAL_REP[0], "19650820", "113")
        assert rep.id_number == LEGAL_REP[1]
        acting = organisations.register(rep, USCC)
        organisations.authorise(acting, rep, "李秀英", ID_A, "3")
        db.session.commit()
        book(a_session(), a, "李秀英", ID_A)
        create_order(registry().catalog.get("621027-BM-011"), a, {"grade": "第五档"}, [], factories.key())
    agent = agents.signed_in("zhaohm")
    agents.consent_by_sms(agent, "李秀英", ID_A, A_PHONE)
    fill_form(app, client_a, address="城关镇西关村")  # a new application, not sent yet


def test_the_copy_holds_what_we_keep_about_the_person_and_nothing_of_anyone_else(app, villager, agents):
    apply_fully(app, villager)
    other = b_applies_books_and_pays(app)
    a_is_read_authorised_and_served(app, agents, villager)
    response = download(villager)
    assert response.status_code == 200, text(response)
    body = response.get_data(as_text=True)
    data = json.loads(body)
    assert "第四十五条" in data["说明"]["依据"] and set(data["说明"]["各部分"]) <= set(data)
    assert data["person"] | {"verified_at": None, "registered_at": None} == {
        "name": "李秀英", "id_number": ID_A, "phone": A_PHONE, "verified": True, "verified_at": None,
        "verified_via": "本人输入姓名和身份证号（校验码核验）", "registered_at": None}
    (case,) = data["cases"]
    with app.app_context():
        upload = db.session.scalar(select(Upload))
        assert case["number"] == db.session.scalar(select(Case.number).where(Case.applicant_id == person(A_PHONE).id))
    assert {"field": "女方身份证号", "value": ID_A} in case["answers"] and case["timeline"][0]["step"]
    assert case["materials"] == [{"material": "妊娠诊断证明或孕产妇保健手册首页", "file_name": "photo.jpg",
                                  "content_type": "image/jpeg", "size_bytes": upload.size, "sha256": upload.sha256,
                                  "uploaded_at": case["materials"][0]["uploaded_at"], "uploaded_by": "申请人",
                                  "deleted_on": None}]
    assert data["bookings"][0]["patient_id_number"] == ID_A and data["payments"][0]["amount_yuan"] == "1000.00"
    assert data["consents"][0]["agent"] == "赵红梅" and data["consents"][0]["status"] == "有效"
    assert data["organisations"]["acting_for_now"] == [{"name": data["organisations"]["authorisations"][0]
                                                        ["organisation"], "uscc": USCC, "role": "经办人"}]
    assert any(case["number"] in m["text"] for m in data["sms"])
    read = next(e for e in data["access_log"] if e["action"] == "查看办件")
    assert read | {"at": None} == {"at": None, "action": "查看办件", "case_action": None,
                                   "about": f"办件 {case['number']}", "by_kind": "工作人员", "by": "李娜",
                                   "role": "乡镇窗口人员", "unit": "城关镇"}
    assert any(e["by_kind"] == "代办员" and e["by"] == "赵红梅" for e in data["access_log"])
    assert [e["case_action"] for e in data["access_log"] if e["action"] == "办件操作"] == ["受理", "办结"]
    assert data["ratings"][0] | {"rated_at": None} == {"case": case["number"], "level": "非常满意",
                                                       "scores": {"整体满意度": 5, "办事效率": 4}, "comment": "办得快",
                                                       "rated_at": None, "channel": "网上评价", "rated_by": "李秀英"}
    assert data["drafts"][0]["item"] == "生育登记" and {"field": "现居住地址", "value": "城关镇西关村"} in \
        data["drafts"][0]["answers"]
    for value in other.values():
        assert value not in body, value
    assert LEGAL_REP[1] not in body and LEGAL_REP[2] not in body
    assert field_names(data) - set(data) <= set(data["说明"]["字段"])  # every field is explained in Chinese


def field_names(value) -> set[str]:
    """The English field names anywhere in the copy (Chinese ones, like an address's, explain themselves)."""
    if isinstance(value, dict):
        return {k for k in value if k.isascii()} | set().union(*(field_names(v) for k, v in value.items()
                                                                  if k != "说明"))
    if isinstance(value, list):
        return set().union(*(field_names(v) for v in value))
    return set()


def test_the_other_persons_copy_holds_only_theirs(app, villager):
    apply_fully(app, villager)
    other = b_applies_books_and_pays(app)
    b = app.test_client()
    sign_in(b, B_PHONE)
    data = json.loads(download(b).get_data(as_text=True))
    assert data["person"]["name"] == "赵大海" and [c["number"] for c in data["cases"]] == [other["case"]]
    assert [x["code"] for x in data["bookings"]] == [other["booking"]]
    assert [x["number"] for x in data["payments"]] == [other["order"]]
    assert ID_A not in json.dumps(data["person"]) and data["consents"] == [] and data["sms"]
    assert all("李秀英" not in m["text"] for m in data["sms"])


def test_one_time_codes_are_hidden_in_the_messages(app, villager):
    with app.app_context():
        codes = [m.payload["params"]["code"] for m in db.session.scalars(select(OutboxMessage))
                 if m.payload.get("kind") == "signin_code"]
    data = json.loads(download(villager).get_data(as_text=True))
    assert codes and any("验证码 ******" in m["text"] for m in data["sms"])
    assert not any(code in m["text"] for code in codes for m in data["sms"])


def test_the_download_is_an_attachment_never_kept_and_audit_logged(app, villager):
    response = download(villager)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=my-data-")
    assert response.headers["Content-Disposition"].endswith(".json")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "\n  " in response.get_data(as_text=True) and "李秀英" in response.get_data(as_text=True)  # pretty, not \\u escapes
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export_personal_data"))
        assert (entry.actor_kind, entry.actor_id, entry.target) == ("citizen", person(A_PHONE).id,
                                                                   f"person:{person(A_PHONE).id}")


def test_downloads_are_limited_per_person(app, villager):
    for _ in range(5):
        assert download(villager).status_code == 200
    limited = download(villager)
    assert limited.status_code == 429 and "下载太频繁" in text(limited)
    other = app.test_client()  # the same address, another person: their own count
    sign_in(other, B_PHONE, "赵大海", ID_B)
    assert download(other).status_code == 200


def test_the_page_says_what_is_held_and_is_reached_from_my_cases(app, villager):
    assert "/me/data" in text(villager.get("/my"))
    page = villager.get("/me/data")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for words in ("第四十五条", "谁查看、处理过您的信息", "代办委托", "1095 天", "下载我的个人信息"):
        assert words in text(page), words


def test_the_page_needs_a_signed_in_verified_person(app, client):
    assert "/signin" in client.get("/me/data").headers["Location"]
    sign_in(client, B_PHONE)  # a phone, no real name yet
    response = client.get("/me/data")
    assert response.status_code == 303 and "/me/verify" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export_personal_data")) is None
