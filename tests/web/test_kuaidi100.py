"""一键物流 through 快递100 (kuaidi100), offline: a local server plays kuaidi100. Posting a result
orders an electronic waybill and subscribes to its tracking, both signed as documented; the
tracking pushes, signed UPPER(MD5(param + salt)), become stages on the timeline once each; a
push with a wrong signature is refused and logged."""
import hashlib
import json
import urllib.parse

import pytest
from sqlalchemy import select

from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case, submit_case
from services.kuaidi100 import Kuaidi100
from services.outbox import OutboxMessage
from services.people.identity import Person
from services.places import Township
from services.registry import registry
from tests.capture import serve
from tests.conftest import form_post, sign_in
from tests.web.test_apply import ID_A
from tests.web.test_office import ADDRESS, login, staff  # noqa: F401  (the staff fixture)

SALT, KEY, SECRET = "push-salt-2026", "kd-key", "kd-secret"
NUMBER = "1151234567890"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


@pytest.fixture
def kuaidi(app):
    capture, stop = serve()
    capture.routes = {"/label/order": {"success": True, "code": 200, "message": "success",
                                       "data": {"taskId": "T1", "kuaidinum": NUMBER, "kuaidicom": "ems"}},
                      "/poll": {"result": True, "returnCode": "200", "message": "提交成功"}}
    carrier = Kuaidi100(KEY, SECRET, "CUST01", SALT, "http://localhost/api/v1/logistics/kuaidi100",
                        {"name": "镇原县政务服务中心", "mobile": "09348622415", "printAddr": "甘肃省庆阳市镇原县城关镇南环路"},
                        endpoint=capture.url, poll_endpoint=capture.url)
    with app.app_context():
        sandbox, registry().carrier = registry().carrier, carrier
    yield capture
    with app.app_context():
        registry().carrier = sandbox
    stop()


def push(client, state: str, sign: str | None = None, context: str = "【庆阳市】已收寄"):
    param = json.dumps({"status": "polling", "message": "", "lastResult": {
        "message": "ok", "state": state, "status": "200", "ischeck": "1" if state == "3" else "0", "com": "ems",
        "nu": NUMBER, "data": [{"context": context, "time": "2026-11-27 09:00:00", "status": "在途"}]}},
        ensure_ascii=False)
    return client.post("/api/v1/logistics/kuaidi100", data={"param": param, "sign": sign or md5(param + SALT)})


def posted_case(app, client, key: str) -> int:
    """户籍证明开具 (it may be posted), approved at the window and posted with 一键物流."""
    sign_in(client, "13900000001", "李秀英", ID_A)
    with app.app_context():
        item = app.extensions["catalog"].get("621027-BM-008")
        township = db.session.scalar(select(Township.id).where(Township.name == "城关镇"))
        case_id = submit_case(item, db.session.scalar(select(Person)), {"purpose": "继承"}, key,
                              township_id=township).id
    clerk = login(app, "chengguan")
    for name, data in (("accept", {}), ("complete", {"decision": "approved"}), ("deliver", {"method": "post", **ADDRESS})):
        response = form_post(clerk, f"/office/cases/{case_id}", data, post_url=f"/office/cases/{case_id}/act/{name}")
        assert response.status_code == 303
    return case_id


@pytest.mark.usefixtures("staff")
def test_a_posted_result_goes_by_kuaidi100_and_its_pushes_become_stages_once(app, client, kuaidi):
    case_id = posted_case(app, client, "k-kd")
    order, poll = kuaidi.seen
    form = dict(urllib.parse.parse_qsl(order.body.decode()))
    assert form["sign"] == md5(form["param"] + form["t"] + KEY + SECRET) and form["key"] == KEY
    label = json.loads(form["param"])
    assert label["recMan"] == {"name": "李秀英", "mobile": "13900000001",
                               "printAddr": "甘肃省庆阳市镇原县城关镇东关村三组 12 号"}
    subscription = json.loads(dict(urllib.parse.parse_qsl(poll.body.decode()))["param"])
    assert subscription["number"] == NUMBER and subscription["parameters"]["salt"] == SALT

    refused = push(client, "1", sign="0" * 32)
    assert refused.status_code == 400
    assert push(client, "1").get_json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert push(client, "3", context="已签收，签收人：本人").status_code == 200  # 签收: the stages between too
    assert push(client, "3").status_code == 200  # sent again: nothing twice
    with app.app_context():
        case = db.session.get(Case, case_id)
        notes = [e.note for e in case.events if e.action == "logistics"]
        assert [n.split("（")[0] for n in notes] == ["已揽收", "运输中", "派送中", "已签收"]
        assert f"EMS {NUMBER}" in notes[-1]
        sms = db.session.scalars(select(OutboxMessage.payload).where(OutboxMessage.channel == "sms")).all()
        assert sum("邮件已签收" in m["text"] for m in sms) == 1
        assert "logistics_push_refused" in db.session.scalars(select(AuditEntry.action)).all()


@pytest.mark.usefixtures("staff")
def test_a_parcel_in_trouble_is_told_to_the_applicant(app, client, kuaidi):
    case_id = posted_case(app, client, "k-kd2")
    assert push(client, "2", context="收件人电话无法接通").status_code == 200
    assert push(client, "2", context="收件人电话无法接通").status_code == 200  # pushed again
    assert push(client, "2", context="第二次派送，收件人仍未接听").status_code == 200  # a new line, the same problem
    with app.app_context():
        events = db.session.get(Case, case_id).events
        assert "异常：疑难件：收件人电话无法接通" in events[-1].note
        assert sum("疑难件" in e.note for e in events) == 1
