"""并联审批: 投资项目审批 is decided by 县发改局 after 自然资源, 住建 and 生态环境 have each given an
opinion in the console — at the same time, one of them asking for 补正 on the way; the deadline
is counted once; the timeline shows each opinion."""
import html

import pytest
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.people.actors import Actor
from services.people.staff import create_account
from tests import factories
from tests.conftest import form_post
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

pytestmark = pytest.mark.usefixtures("staff")
PROJECT = "621027-SP-001"
PASSWORD = "Review-test-2026"
REVIEWERS = {"fagai": "镇原县发展和改革局", "ziran": "镇原县自然资源局", "zhujian": "镇原县住房和城乡建设局",
             "huanjing": "庆阳市生态环境局镇原分局"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def case_id(app):
    with app.app_context():
        for username, department in REVIEWERS.items():
            create_account(username, PASSWORD, "审查员", "reviewer", department=department)
        person = factories.person()
        return submit_case(app.extensions["catalog"].get(PROJECT), person, {}, factories.key()).id


def _act(client, case_id: int, name: str, **data):
    return form_post(client, f"/office/cases/{case_id}", data, post_url=f"/office/cases/{case_id}/act/{name}")


def _case(app, case_id: int) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def test_three_departments_give_opinions_one_asks_for_supplement_then_the_lead_decides(app, case_id):
    lead, land, building, environment = (login(app, u, PASSWORD) for u in REVIEWERS)
    assert _act(lead, case_id, "accept").status_code == 303
    assert _act(lead, case_id, "review").status_code == 303
    due = _case(app, case_id).due_on
    page = text(land.get(f"/office/cases/{case_id}"))
    assert "并联审查" in page and "待出具" in page and "act/opinion" in page and "act/complete" not in page
    assert _act(land, case_id, "opinion", decision="approved", note="用地符合国土空间规划").status_code == 303
    again = _act(land, case_id, "opinion", decision="approved")
    assert again.status_code == 409 and "已经出具过" in text(again)
    refused = _act(lead, case_id, "complete", decision="approved")
    assert refused.status_code == 409 and "镇原县住房和城乡建设局、庆阳市生态环境局镇原分局" in text(refused)
    assert _act(building, case_id, "complete", decision="approved").status_code == 409  # not the lead's call
    assert _act(lead, case_id, "opinion", decision="approved").status_code == 409  # the lead decides instead
    # 住建 asks for 补正; the applicant sends it; the other opinion stays given.
    response = _act(building, case_id, "supplement", materials="project_documents", note="缺少初步设计文件")
    assert response.status_code == 303, text(response)
    with app.app_context():
        case = db.session.get(Case, case_id)
        act(case, "resubmit", Actor("citizen", case.applicant_id, "张桂兰"))
    assert _act(lead, case_id, "review").status_code == 303
    # After the 补正 a department may look again: its latest opinion counts.
    assert _act(land, case_id, "opinion", decision="approved", note="补正后复核，用地符合规划").status_code == 303
    assert _act(building, case_id, "opinion", decision="approved", note="设计方案符合要求").status_code == 303
    missing = _act(environment, case_id, "opinion", decision="denied")
    assert missing.status_code == 422 and "不同意须写明理由" in text(missing)
    assert _act(environment, case_id, "opinion", decision="approved", note="环评报告表已批复").status_code == 303
    assert _act(lead, case_id, "complete", decision="approved", note="同意核准").status_code == 303
    case = _case(app, case_id)
    assert case.status == "completed" and case.due_on >= due  # one clock, paused only by the 补正
    page = text(lead.get(f"/office/cases/{case_id}"))
    for opinion in ("镇原县自然资源局：同意。用地符合国土空间规划", "镇原县自然资源局：同意。补正后复核，用地符合规划",
                    "镇原县住房和城乡建设局：同意。设计方案符合要求",
                    "庆阳市生态环境局镇原分局：同意。环评报告表已批复"):
        assert opinion in page


def test_a_department_not_named_sees_nothing_and_an_item_without_parallel_review_takes_no_opinion(app, case_id):
    assert login(app, "weijian").get(f"/office/cases/{case_id}").status_code == 404
    with app.app_context():
        person = factories.person()
        elder = submit_case(app.extensions["catalog"].get("621027-BM-005"), person, {}, factories.key())
        elder_id = elder.id
    county = login(app, "minzheng")
    _act(county, elder_id, "accept")
    _act(county, elder_id, "review")
    assert "act/opinion" not in text(county.get(f"/office/cases/{elder_id}"))
    assert _act(county, elder_id, "opinion", decision="approved").status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Case.status).where(Case.id == elder_id)) == "reviewing"


def test_a_parallel_departments_own_system_pulls_the_case_and_gives_its_opinion(app, client, case_id):
    """生态环境局's system (hbj, named by its own item 环评审批) is told of the project's events,
    pulls the case, and pushes its opinion — as that department, through the same rules; it may
    not decide for the lead department."""
    import json
    import time

    from services.exchange.http import sign
    from services.outbox import OutboxMessage

    def signed(method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else b""
        stamp = str(int(time.time()))
        return client.open(path, method=method, data=body, content_type="application/json",
                           headers={"X-Timestamp": stamp,
                                    "X-Signature": sign("sandbox-hbj", stamp, f"{method} {path}\n".encode() + body)})

    lead = login(app, "fagai", PASSWORD)
    _act(lead, case_id, "accept")
    _act(lead, case_id, "review")
    with app.app_context():
        told = [m.payload["action"] for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "department", OutboxMessage.recipient == "hbj").order_by(OutboxMessage.id))]
    assert told == ["submit", "accept", "review"]
    pulled = signed("GET", "/api/v1/exchange/hbj/cases?after=0")
    number = _case(app, case_id).number
    assert pulled.status_code == 200 and [c["number"] for c in pulled.get_json()["cases"]] == [number]
    assert pulled.get_json()["cases"][0]["organisation"] is None  # a person's case (submitted directly here)
    path = f"/api/v1/exchange/hbj/cases/{number}/events"
    refused = signed("POST", path, {"request_id": "hbj-1", "action": "complete", "decision": "approved"})
    assert refused.status_code == 409 and "并联审查的部门只能出具审查意见" in refused.get_json()["error"]["message"]
    given = signed("POST", path, {"request_id": "hbj-2", "action": "opinion", "note": "环评报告表已批复",
                                  "decision": "approved"})
    assert given.status_code == 200, given.get_json()
    page = text(lead.get(f"/office/cases/{case_id}"))
    assert "庆阳市生态环境局镇原分局：同意。环评报告表已批复" in page
    assert "庆阳市生态环境局镇原分局业务系统" in page
    with app.app_context():  # its own push is not echoed back to it
        sent = db.session.scalars(select(OutboxMessage.payload).where(OutboxMessage.recipient == "hbj"))
        assert "opinion" not in [payload["action"] for payload in sent]  # (sealed: looked at here, not in SQL)
