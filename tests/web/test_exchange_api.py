import json
from pathlib import Path
import time

import pytest
from sqlalchemy import func, select

from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case, CaseEvent, submit_case
from services.exchange.http import sign, verify
from services.outbox import OutboxMessage
from tests import factories

SECRET = "sandbox-wjj"  # the sandbox secret of 卫健局's system (demo only)


def signed(client, method, path, payload=None, secret=SECRET, timestamp=None):
    body = json.dumps(payload).encode() if payload is not None else b""
    timestamp = timestamp or str(int(time.time()))
    signature = sign(secret, timestamp, f"{method} {path}\n".encode() + body)
    return client.open(path, method=method, data=body, content_type="application/json",
                       headers={"X-Timestamp": timestamp, "X-Signature": signature})


@pytest.fixture
def case_number(app, catalog):
    with app.app_context():
        person = factories.person()
        return submit_case(catalog.get("621027-BM-004"), person, {"wife_name": "张桂兰"}, factories.key()).number


def test_the_department_pulls_its_new_cases_with_a_signed_answer(client, case_number):
    response = signed(client, "GET", "/api/v1/exchange/wjj/cases?after=0")
    assert response.status_code == 200
    assert verify(SECRET, response.headers["X-Timestamp"], response.headers["X-Signature"], response.data)
    data = response.get_json()
    [case] = data["cases"]
    assert case["number"] == case_number and case["applicant"]["name"] == "张桂兰"
    assert signed(client, "GET", f"/api/v1/exchange/wjj/cases?after={data['next_after']}").get_json()["cases"] == []


def test_another_department_does_not_see_the_case(client, case_number):
    assert signed(client, "GET", "/api/v1/exchange/mzj/cases?after=0", secret="sandbox-mzj").get_json()["cases"] == []
    response = signed(client, "POST", f"/api/v1/exchange/mzj/cases/{case_number}/events",
                      {"request_id": "r1", "action": "accept"}, secret="sandbox-mzj")
    assert response.status_code == 404


@pytest.mark.parametrize("secret,age", [("wrong-secret", 0), (SECRET, 301)])
def test_bad_or_stale_signatures_are_refused_and_logged(app, client, case_number, secret, age):
    response = signed(client, "GET", "/api/v1/exchange/wjj/cases?after=0", secret=secret,
                      timestamp=str(int(time.time()) - age))
    assert response.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action)) == "exchange_refused"


def test_a_pushed_result_is_an_event_and_an_sms_once_even_when_retried(app, client, case_number):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    first = signed(client, "POST", path, {"request_id": "push-1", "action": "accept", "note": "系统受理"})
    again = signed(client, "POST", path, {"request_id": "push-1", "action": "accept", "note": "系统受理"})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and first.get_json()["status"] == "accepted"
    done = signed(client, "POST", path, {"request_id": "push-2", "action": "complete", "decision": "approved"})
    assert done.get_json()["status"] == "completed"
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert [e.action for e in case.events] == ["submit", "accept", "complete"]
        assert case.events[1].actor_kind == "department" and "卫生健康局" in case.events[1].actor_name
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel == "sms")) == 3
    page = client.get(f"/t/{case.number}?k={case.track_token}").get_data(as_text=True)
    assert "办结：准予" in page and "部门系统" in page


def test_an_illegal_push_is_refused_with_a_reason(client, case_number):
    response = signed(client, "POST", f"/api/v1/exchange/wjj/cases/{case_number}/events",
                      {"request_id": "r9", "action": "deliver"})
    assert response.status_code == 409 and "不能送达" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("payload,status", [({"action": "accept"}, 400), ({"request_id": "x", "action": "withdraw"}, 400)])
def test_malformed_pushes_are_refused(app, client, case_number, payload, status):
    response = signed(client, "POST", f"/api/v1/exchange/wjj/cases/{case_number}/events", payload)
    assert response.status_code == status
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 1


def test_staff_actions_are_sent_to_the_departments_system_and_its_own_pushes_are_not_echoed(app, client, case_number):
    from services import outbox
    from services.cases.lifecycle import Actor, act
    from services.exchange import DepartmentSender
    from services.exchange.http import HttpAdapter
    from services.sms import SandboxSmsSender
    from tests.fake_department import FakeDepartment, Running

    fake = FakeDepartment("wjj-secret")
    running = Running(fake)
    try:
        with app.app_context():
            case = db.session.scalar(select(Case))
            act(case, "accept", Actor("staff", 1, "李娜"))
        signed(client, "POST", f"/api/v1/exchange/wjj/cases/{case_number}/events",
               {"request_id": "d-1", "action": "complete", "decision": "approved"})
        with app.app_context():
            senders = {"sms": SandboxSmsSender(),
                       "department": DepartmentSender({"wjj": HttpAdapter("wjj", running.url, "wjj-secret")})}
            outbox.drain(senders, limit=50)
            assert outbox.drain(senders, limit=50) == (0, 0)
    finally:
        running.stop()
    assert [e["action"] for e in fake.events.values()] == ["submit", "accept"]  # not the department's own complete
    assert all(e["number"] == case_number for e in fake.events.values())


@pytest.mark.parametrize("materials", [[99], "abc", [-1], [], [None], [1.5], ["0"], ["no_such_key"],
                                       ["couple_id_cards"], {"key": "pregnancy_proof"}, None, [["pregnancy_proof"]]])
def test_a_supplement_push_names_existing_non_waived_materials_or_changes_nothing(app, client, case_number,
                                                                                   materials):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    assert signed(client, "POST", path, {"request_id": "a1", "action": "accept"}).status_code == 200
    payload = {"request_id": "s1", "action": "supplement", "note": "请补正"}
    if materials is not None:
        payload["materials"] = materials
    response = signed(client, "POST", path, payload)
    assert response.status_code == 422 and "补正的材料" in response.get_json()["error"]["message"]
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert case.status == "accepted" and [e.action for e in case.events] == ["submit", "accept"]
    # The same request id may come again, right this time: it was not remembered as done.
    fixed = signed(client, "POST", path, {**payload, "materials": ["pregnancy_proof"]})
    assert fixed.status_code == 200 and fixed.get_json()["status"] == "supplement"


def test_a_supplement_push_is_one_the_villager_can_read_and_answer(app, client, case_number):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    signed(client, "POST", path, {"request_id": "a1", "action": "accept"})
    response = signed(client, "POST", path, {"request_id": "s1", "action": "supplement",
                                             "materials": ["pregnancy_proof"]})
    assert response.status_code == 200
    with app.app_context():
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.action == "supplement"))
        # Stored by key, with the note the clerk's form would have written.
        assert event.data == {"materials": ["pregnancy_proof"]} and "妊娠诊断证明" in event.note


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b"{" * 5000, b"not json", b"[]", b'"a"',
                                  json.dumps({"request_id": ["r"], "action": "accept"}).encode(),
                                  json.dumps({"request_id": {"a": 1}, "action": "accept"}).encode(),
                                  json.dumps({"request_id": "r", "action": ["accept"]}).encode(),
                                  json.dumps({"request_id": "r", "action": "explode"}).encode(),
                                  json.dumps({"request_id": "r", "action": "accept", "note": "x" * 300_000}).encode()])
def test_bodies_no_department_should_send_get_400_json_never_500(app, client, case_number, body):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    timestamp = str(int(time.time()))
    signature = sign(SECRET, timestamp, f"POST {path}\n".encode() + body)
    response = client.post(path, data=body, content_type="application/json",
                           headers={"X-Timestamp": timestamp, "X-Signature": signature})
    assert response.status_code == 400 and response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 1


@pytest.mark.parametrize("after", ["³", "-1", "1e9", "NaN", "99999999999999999999", "①"])
def test_a_pull_with_a_strange_cursor_is_refused_with_a_message(client, case_number, after):
    response = signed(client, "GET", f"/api/v1/exchange/wjj/cases?after={after}")
    assert response.status_code == 400 and "after" in response.get_json()["error"]["message"]


def test_a_strange_timestamp_header_is_a_refused_signature_not_a_crash(client, case_number):
    response = client.get("/api/v1/exchange/wjj/cases?after=0", headers={"X-Timestamp": "³", "X-Signature": "x"})
    assert response.status_code == 401


def test_the_same_push_sent_five_times_at_once_is_done_once_and_answered_alike(app, case_number):
    import threading

    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    answers = []

    def push():
        with app.test_client() as department:
            response = signed(department, "POST", path, {"request_id": "same-1", "action": "accept"})
            answers.append((response.status_code, (response.get_json() or {}).get("event_id")))

    threads = [threading.Thread(target=push) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(answers)) == 1 and answers[0][0] == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "accept")) == 1


@pytest.mark.parametrize("payload,field", [({"action": "deliver"}, "送达方式"),
                                           ({"action": "deliver", "method": "post"}, "不能邮寄"),
                                           ({"action": "deliver", "method": "electronic"}, "电子结果文件")])
def test_a_department_hands_over_a_result_by_the_rules_a_clerk_follows(app, client, case_number, payload, field):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    for n, action in enumerate(("accept", "complete")):
        signed(client, "POST", path, {"request_id": f"r{n}", "action": action, "decision": "approved"})
    response = signed(client, "POST", path, {"request_id": "d1", **payload})
    assert response.status_code == 422 and field in response.get_json()["error"]["message"]
    done = signed(client, "POST", path, {"request_id": "d1", "action": "deliver", "method": "window"})
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"


def test_a_department_hands_over_an_electronic_result_with_the_file(app, client, case_number):
    import base64

    from services.cases.materials import Upload

    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    for n, action in enumerate(("accept", "complete")):
        signed(client, "POST", path, {"request_id": f"r{n}", "action": action, "decision": "approved"})
    broken = {"name": "card.pdf", "base64": base64.b64encode(b"%PDF-1.4 no end").decode()}
    refused = signed(client, "POST", path, {"request_id": "e1", "action": "deliver", "method": "electronic",
                                            "result": broken})
    assert refused.status_code == 400 and "PDF" in refused.get_json()["error"]["message"]
    pdf = {"name": "生育服务登记卡.pdf", "base64": base64.b64encode(b"%PDF-1.4\n1 0 obj\n%%EOF\n").decode()}
    done = signed(client, "POST", path, {"request_id": "e1", "action": "deliver", "method": "electronic",
                                         "result": pdf})
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"
    with app.app_context():
        [upload] = db.session.scalars(select(Upload)).all()
        assert upload.material_key == "_result" and upload.actor_kind == "department"
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.action == "deliver"))
        assert event.data == {"method": "electronic", "file": upload.key}
    assert len(list(Path(app.config["UPLOAD_DIR"]).rglob("*"))) == 2  # one folder, one file


@pytest.mark.parametrize("result", ["x", {"name": "a.pdf"}, {"name": "a.pdf", "base64": "***"}, [1]])
def test_a_malformed_result_file_is_a_400(client, case_number, result):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    response = signed(client, "POST", path, {"request_id": "e1", "action": "deliver", "method": "electronic",
                                             "result": result})
    assert response.status_code == 400 and "result" in response.get_json()["error"]["message"]


def test_the_department_acknowledges_a_case_once_and_nothing_else_changes(app, client, case_number):
    path = f"/api/v1/exchange/wjj/cases/{case_number}/events"
    first = signed(client, "POST", path, {"request_id": "ack-1", "action": "acknowledge"}).get_json()
    again = signed(client, "POST", path, {"request_id": "ack-2", "action": "acknowledge"}).get_json()
    assert first["label"] == "部门系统已接收" and first["status"] == "submitted" and again["event_id"] == first["event_id"]
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == case_number))
        assert [e.action for e in case.events] == ["submit", "acknowledge"] and case.status == "submitted"
        texts = [m.payload.get("text", "") for m in db.session.scalars(select(OutboxMessage))]
        assert not any("接收" in t for t in texts)  # nobody is messaged about it


def test_pulled_times_carry_their_offset_whatever_the_database(app, client, case_number):
    """RFC 3339, as the published contract says (SQLite hands back times without a zone)."""
    with app.app_context():
        db.session.expire_all()
    [case] = signed(client, "GET", "/api/v1/exchange/wjj/cases?after=0").get_json()["cases"]
    assert case["submitted_at"].endswith("+00:00")
