import html
import io
from datetime import date

import pytest
from sqlalchemy import select

from commands import DATA, seed_demo_staff
from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case
from services.cases.materials import Upload
from services.places import Township
from services.people.staff import create_account
from tests import images
from tests.conftest import form_post, sign_in, staff_sign_in
from tests.web.test_apply import ID_A, apply_fully

PASSWORDS = {"admin": "Admin-demo-2026", "chengguan": "Window-demo-2026", "weijian": "Review-demo-2026",
             "minzheng": "Review-demo-2026", "shichang": "Review-demo-2026", "ducha": "Supervise-demo-2026"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def staff(app):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        other = db.session.scalar(select(Township.id).where(Township.name == "屯字镇"))
        create_account("tunzi", "Window-demo-2026", "赵强", "window", other)


def login(app, username, password=None):
    client = app.test_client()
    response = staff_sign_in(app, client, username, password or PASSWORDS.get(username, "Window-demo-2026"))
    assert response.status_code == 303, text(response)
    return client


@pytest.fixture
def case(app, client, staff):
    sign_in(client, "13900000001", "李秀英", ID_A)
    apply_fully(app, client)  # 生育登记 at 城关镇
    with app.app_context():
        return db.session.scalar(select(Case.id)), db.session.scalar(select(Case.number))


def actions(app, username):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.actor_name != "demo data"))]


def test_passwords_are_hashed(app, staff):
    with app.app_context():
        from services.people.staff import StaffUser
        stored = db.session.scalar(select(StaffUser.password_hash).where(StaffUser.username == "admin"))
    assert PASSWORDS["admin"] not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_queue_shows_only_the_staff_members_own_cases(app, case):
    case_id, number = case
    assert number in text(login(app, "chengguan").get("/office/"))  # 城关镇 window
    assert number in text(login(app, "weijian").get("/office/"))  # 卫健局 reviewer
    for outsider in ("tunzi", "minzheng"):
        client = login(app, outsider)
        assert number not in text(client.get("/office/"))
        assert client.get(f"/office/cases/{case_id}").status_code == 404
        with app.app_context():
            key = db.session.scalar(select(Upload.key))
        assert client.get(f"/office/files/{key}").status_code == 404


def test_the_queue_pages_through_many_cases(app, case, monkeypatch):
    from services.cases import handling
    from services.cases.lifecycle import submit_case
    from services.places import township_id_by_name
    from tests import factories

    case_id, number = case
    with app.app_context():  # a second case at 城关镇, submitted later
        later = submit_case(app.extensions["catalog"].get("621027-BM-005"), factories.person(),
                            {"elder_name": "李秀英"}, factories.key(), township_id=township_id_by_name("城关镇")).number
    monkeypatch.setattr(handling, "QUEUE_PAGE", 1)
    clerk = login(app, "chengguan")
    first = text(clerk.get("/office/?status=open"))
    assert "共 2 件" in first and "第 1 页" in first and "下一页" in first and "上一页" not in first
    second = text(clerk.get("/office/?status=open&page=2"))
    assert "上一页" in second and "下一页" not in second
    assert {number, later} == {n for n in (number, later) if n in first or n in second}
    assert (number in first) != (number in second)  # each case on one page only
    assert later in text(clerk.get("/office/?status=open&page=99"))  # past the end: the last page
    bad = clerk.get("/office/?status=open&page=abc")  # a bad page number: the first page, never a 500
    assert bad.status_code == 200 and "第 1 页" in text(bad)
    only_accepted = text(clerk.get("/office/?status=accepted&page=0"))  # ...and the filter beside it stays
    assert "共 0 件" in only_accepted and 'value="accepted" selected' in only_accepted


def test_case_page_masks_the_id_until_revealed_and_logs_both(app, case):
    case_id, number = case
    client = login(app, "chengguan")
    page = text(client.get(f"/office/cases/{case_id}"))
    assert ID_A not in page and ID_A[-4:] in page
    assert "13900000001" not in page and "139****0001" in page
    revealed = form_post(client, f"/office/cases/{case_id}", {}, post_url=f"/office/cases/{case_id}/reveal")
    assert ID_A in text(revealed) and "13900000001" in text(revealed)
    assert {"view_case", "reveal_id"} <= set(actions(app, "chengguan"))


def do(client, case_id, name, data=None, **kwargs):
    return form_post(client, f"/office/cases/{case_id}", data or {}, post_url=f"/office/cases/{case_id}/act/{name}", **kwargs)


def test_accept_supplement_approve_deliver_with_notices(app, case, client):
    case_id, number = case
    staff_client = login(app, "chengguan")
    assert do(staff_client, case_id, "accept").status_code == 303
    notice = text(staff_client.get(f"/office/cases/{case_id}/notice/accept"))
    assert "受理通知书" in notice and "李秀英" in notice and "1 个工作日" in notice
    missing = do(staff_client, case_id, "supplement", {"note": "看不清"})
    assert missing.status_code == 422 and "请勾选所有需要补正的材料" in text(missing)
    assert do(staff_client, case_id, "supplement", {"materials": "pregnancy_proof", "note": "照片模糊"}).status_code == 303
    notice = text(staff_client.get(f"/office/cases/{case_id}/notice/supplement"))
    assert "补正材料通知书" in notice and "妊娠诊断证明或孕产妇保健手册首页" in notice
    with app.app_context():
        assert db.session.get(Case, case_id).due_on is None  # the clock is paused
    # the villager uploads and resubmits
    from tests.web.test_apply import upload
    assert upload(client, material="pregnancy_proof", url=f"/my/{number}").status_code == 303
    assert form_post(client, f"/my/{number}", {}, post_url=f"/my/{number}/resubmit").status_code == 303
    denied = do(staff_client, case_id, "complete", {"decision": "denied"})
    assert denied.status_code == 422 and "不予办理须写明理由" in text(denied)
    assert do(staff_client, case_id, "complete", {"decision": "approved"}).status_code == 303
    no_file = do(staff_client, case_id, "deliver", {"method": "electronic"})
    assert "请上传电子结果文件" in text(no_file)
    delivered = do(staff_client, case_id, "deliver", {"method": "electronic", "result": (io.BytesIO(images.pdf()), "登记卡.pdf")},
                   content_type="multipart/form-data")
    assert delivered.status_code == 303
    timeline = text(client.get(f"/my/{number}"))
    for step in ("提交申请", "已受理", "需要补正材料", "补正材料已提交", "办结：准予", "结果已送达"):
        assert step in timeline
    assert "办理结果：登记卡.pdf" in timeline  # the electronic result, for the applicant to open
    assert actions(app, "chengguan").count("case_action") == 4


def test_illegal_actions_are_refused_with_a_message(app, case):
    case_id, _ = case
    client = login(app, "chengguan")
    response = do(client, case_id, "deliver", {"method": "window"})
    assert response.status_code == 409 and "不能送达" in text(response)
    assert do(client, case_id, "withdraw").status_code == 404
    assert client.get(f"/office/cases/{case_id}/notice/reject").status_code == 404


def test_reject_needs_a_reason_and_prints_a_notice(app, case):
    case_id, _ = case
    client = login(app, "chengguan")
    assert "请写明不予受理的原因" in text(do(client, case_id, "reject"))
    assert do(client, case_id, "reject", {"note": "不属于本乡镇受理范围"}).status_code == 303
    notice = text(client.get(f"/office/cases/{case_id}/notice/reject"))
    assert "不予受理通知书" in notice and "不属于本乡镇受理范围" in notice and "行政复议" in notice


def test_post_delivery_needs_a_tracking_number(app, client, staff):
    from services.cases.lifecycle import submit_case
    from services.people.identity import Person

    sign_in(client, "13900000001", "李秀英", ID_A)
    with app.app_context():
        item = app.extensions["catalog"].get("621027-BM-008")  # 户籍证明开具: may be posted
        township = db.session.scalar(select(Township.id).where(Township.name == "城关镇"))
        case_id = submit_case(item, db.session.scalar(select(Person)), {"purpose": "继承"}, "k-post",
                              township_id=township).id
    staff_client = login(app, "chengguan")
    do(staff_client, case_id, "accept")
    do(staff_client, case_id, "complete", {"decision": "approved"})
    assert "请填写快递单号" in text(do(staff_client, case_id, "deliver", {"method": "post", "tracking_number": "12"}))
    assert do(staff_client, case_id, "deliver", {"method": "post", "tracking_number": "SF1234567890"}).status_code == 303
    with app.app_context():
        event = db.session.get(Case, case_id).events[-1]
        assert event.data["tracking_number"] == "SF1234567890" and "SF1234567890" in event.note


def test_delivery_only_by_the_items_own_methods(app, case):
    case_id, _ = case
    client = login(app, "chengguan")
    do(client, case_id, "accept")
    do(client, case_id, "complete", {"decision": "approved"})
    response = do(client, case_id, "deliver", {"method": "post", "tracking_number": "SF1234567890"})
    assert response.status_code == 422 and "这个事项不能邮寄" in text(response)


def test_administrator_pages_are_for_administrators(app, staff):
    window = login(app, "chengguan")
    for url in ("/office/accounts", "/office/audit", "/office/calendar"):
        assert window.get(url).status_code == 403
    admin = login(app, "admin")
    assert "工作人员账号" in text(admin.get("/office/accounts"))
    assert "登录" in text(admin.get("/office/audit"))


def test_administrator_creates_accounts_with_checked_passwords(app, staff):
    with app.app_context():
        xinji = str(db.session.scalar(select(Township.id).where(Township.name == "新集乡")))
    admin = login(app, "admin")
    nowhere = form_post(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                     "township_id": "999999", "password": "Xinji-2026-pass"})
    assert nowhere.status_code == 422 and "乡镇窗口人员须指定乡镇" in text(nowhere)
    weak = form_post(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                  "township_id": xinji, "department": "", "password": "zhenyuan123456"})
    assert weak.status_code == 422 and "这个密码太常见或太好猜" in text(weak) and 'value="xinji"' in text(weak)
    short = form_post(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                   "township_id": xinji, "department": "", "password": "Kx9#mQ2!vL"})
    assert short.status_code == 422 and "密码至少 12 位" in text(short)
    ok = form_post(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                "township_id": xinji, "department": "", "password": "Xinji-2026-pass"},
                   follow_redirects=True)
    assert ok.status_code == 200 and "data-enrolment-code" in text(ok)  # the code to hand over, in person
    assert login(app, "xinji", "Xinji-2026-pass").get("/office/").status_code == 200


def test_loading_a_years_arrangement_recomputes_open_deadlines(app, case):
    case_id, _ = case
    with app.app_context():
        c = db.session.get(Case, case_id)
        from services.cases.lifecycle import Actor, act
        c.promised_days = 20
        db.session.commit()
        act(c, "accept", Actor("staff", 1, "x"), today=date(2026, 12, 15))
        assert (c.due_on, c.due_estimated) == (date(2027, 1, 13), True)
    admin = login(app, "admin")
    response = form_post(admin, "/office/calendar", {"year": "2027", "source": "国办发明电〔2026〕X号",
                                                     "arrangement": "2027-01-01 至 2027-01-04 休 元旦"})
    assert response.status_code == 200 and "1 个办件的承诺时限已重新计算" in text(response)
    with app.app_context():
        c = db.session.get(Case, case_id)
        assert (c.due_on, c.due_estimated) == (date(2027, 1, 14), False)
    bad = form_post(admin, "/office/calendar", {"year": "2027", "source": "x", "arrangement": "2027-13-01 休"})
    assert bad.status_code == 422 and "第 1 行" in text(bad)


def test_citizens_and_staff_stay_on_their_own_side(app, client, staff):
    sign_in(client, "13900000001", "李秀英", ID_A)
    assert client.get("/office/").status_code == 302
    staff_client = login(app, "chengguan")
    response = staff_client.get("/my")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


ADDRESS = {"province": "甘肃省", "city": "庆阳市", "county": "镇原县", "township": "城关镇", "village": "东关村",
           "detail": "三组 12 号", "recipient": "李秀英", "phone": "13900000001"}


def test_one_click_post_ships_and_the_carriers_stages_reach_the_timeline(app, client, staff):
    from datetime import timedelta

    from services.cases.lifecycle import submit_case
    from services.clock import utcnow
    from services.people.identity import Person
    from services.logistics import Shipment, sync_shipments

    sign_in(client, "13900000001", "李秀英", ID_A)
    with app.app_context():
        item = app.extensions["catalog"].get("621027-BM-008")  # 户籍证明开具: may be posted
        township = db.session.scalar(select(Township.id).where(Township.name == "城关镇"))
        case = submit_case(item, db.session.scalar(select(Person)), {"purpose": "继承"}, "k-post2", township_id=township)
        case_id, number = case.id, case.number
    staff_client = login(app, "chengguan")
    do(staff_client, case_id, "accept")
    do(staff_client, case_id, "complete", {"decision": "approved"})
    missing = do(staff_client, case_id, "deliver", {"method": "post", **ADDRESS, "detail": ""})
    assert missing.status_code == 422 and "邮寄地址缺少：详细地址" in text(missing)
    assert do(staff_client, case_id, "deliver", {"method": "post", **ADDRESS}).status_code == 303
    with app.app_context():
        shipment = db.session.scalar(select(Shipment))
        tracking = shipment.tracking_number
        assert shipment.address["village"] == "东关村" and tracking.startswith("SBX")
        carrier = app.extensions["carrier"]
        assert sync_shipments(carrier, now=utcnow() + timedelta(minutes=5)) == 1
        assert sync_shipments(carrier, now=utcnow() + timedelta(days=3)) == 3
        assert sync_shipments(carrier, now=utcnow() + timedelta(days=4)) == 0
        from services.outbox import OutboxMessage
        texts = [m.payload["text"] for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))]
    page = text(client.get(f"/my/{number}"))
    for stage in ("已揽收", "运输中", "派送中", "已签收"):
        assert stage in page
    assert tracking in page
    assert sum("邮件已签收" in t for t in texts) == 1 and not any("邮件运输中" in t for t in texts)


def test_the_administrator_corrects_a_real_name_and_the_person_cannot(app, client, staff):
    from services.people.identity import Person

    sign_in(client, "13900000001", "李秀英", ID_A)
    again = form_post(client, "/items/621027-BM-004/feedback", {"name": "王五", "id_number": ID_A},
                      post_url="/me/verify")
    assert again.status_code == 422 and "已完成实名认证" in text(again)
    assert login(app, "chengguan").get("/office/people?q=13900000001").status_code == 403  # not every window
    staff_client = login(app, "admin")
    page = text(staff_client.get("/office/people?q=+86 139 0000 0001"))
    assert "李秀英" in page and ID_A not in page  # the number stays masked
    with app.app_context():
        person_id = db.session.scalar(select(Person.id))
    url = f"/office/people/{person_id}/real-name"
    refused = form_post(staff_client, "/office/people?q=13900000001", {"name": "李秀䶮", "id_number": ID_A,
                                                                     "reason": ""}, post_url=url)
    assert refused.status_code == 422 and "请填写更正原因" in text(refused)
    done = form_post(staff_client, "/office/people?q=13900000001",
                     {"name": "李秀䶮", "id_number": ID_A, "reason": "录入错误，已核对身份证原件"}, post_url=url)
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Person.name)) == "李秀䶮"
        actions = list(db.session.scalars(select(AuditEntry.action)))
        assert "view_person" in actions and "correct_real_name" in actions
