"""好差评 through the pages: the applicant (or their agent) rates once after 办结; a 差评 goes to
the department, which answers in the console; the applicant sees the answer; a 回访 closes it."""
import html
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.audit import AuditEntry
from services.cases.ratings import Rating, Rectification
from services.people.actors import Actor
from services.people.identity import Person
from services.places import township_id_by_name
from tests import factories
from tests.conftest import csrf_token_from, form_post, sign_in
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

ELDER = "621027-BM-005"  # 高龄津贴, 镇原县民政局
WINDOW = Actor("staff", 1, "李娜", role="window")
ID = factories.id_number("19400101", "128")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_of(client, url: str) -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _case(app, phone="13900000001", name="张桂兰", id_number=ID, done=True) -> str:
    """A case of 城关镇, 办结 when `done`: its number."""
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.phone == phone)) or factories.person(
            phone, name, "19400101", "128")
        case = submit_case(app.extensions["catalog"].get(ELDER), person, {}, factories.key(),
                           township_id=township_id_by_name("城关镇"))
        if done:
            act(case, "accept", WINDOW)
            act(case, "complete", WINDOW, data={"decision": "approved"})
        return case.number


@pytest.fixture
def applicant(client):
    sign_in(client, "13900000001", "张桂兰", ID)
    return client


def test_the_applicant_rates_once_after_it_is_done(app, applicant):
    number = _case(app)
    page = text(applicant.get(f"/my/{number}"))
    assert "评价这次办理" in page and f"/my/{number}/rate" in page
    response = form_post(applicant, f"/my/{number}/rate", {"comment": "服务好"})
    assert response.status_code == 422 and "请选择一个评价等级" in text(response) and "服务好" in text(response)
    response = form_post(applicant, f"/my/{number}/rate", {"overall": "5", "efficiency": "4", "comment": "服务好"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/my/{number}#rating")
    page = text(applicant.get(f"/my/{number}"))
    assert "我的评价" in page and "非常满意" in page and "服务好" in page
    # A double tap, or the link opened again: the same one rating, shown.
    again = form_post(applicant, "/my", {"overall": "1", "comment": "改主意了"}, post_url=f"/my/{number}/rate")
    assert again.status_code == 303
    with app.app_context():
        ratings = db.session.scalars(select(Rating)).all()
        assert [(r.level, r.scores, r.actor_kind) for r in ratings] == [(5, {"overall": 5, "efficiency": 4}, "citizen")]


def test_not_before_it_is_done_and_not_by_anyone_else(app, client, applicant):
    number = _case(app, done=False)
    assert "以后才能评价" in text(applicant.get(f"/my/{number}/rate"))
    response = form_post(applicant, "/my", {"overall": "5"}, post_url=f"/my/{number}/rate")
    assert response.status_code == 409 and "以后才能评价" in text(response)
    done = _case(app)
    other = app.test_client()
    sign_in(other, "13900000002", "王建国", factories.id_number("19650820", "113"))
    assert other.get(f"/my/{done}/rate").status_code == 404
    forged = form_post(other, "/my", {"overall": "1", "comment": "伪造"}, post_url=f"/my/{done}/rate")
    assert forged.status_code == 404
    assert applicant.post(f"/my/{done}/rate", data={"overall": "5"}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(select(Rating)) is None


def test_the_tracking_page_and_the_sms_at_completion_lead_to_the_rating(app, client):
    number = _case(app)
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        from services.outbox import OutboxMessage

        sms = [m.payload["text"] for m in db.session.scalars(select(OutboxMessage)) if m.channel == "sms" and "已办结" in m.payload["text"]]
        token = case.track_token
    assert sms and "详情和评价" in sms[0] and f"/t/{number}?k={token}" in sms[0]
    page = text(client.get(f"/t/{number}?k={token}"))
    assert f"/my/{number}/rate" in page and "评价" in page
    assert client.get(f"/my/{number}/rate").status_code == 302  # sign in first


@pytest.mark.usefixtures("staff")
def test_a_bad_rating_is_answered_by_the_department_and_closed_by_a_callback(app, applicant):
    number = _case(app)
    response = form_post(applicant, f"/my/{number}/rate", {"overall": "2"})
    assert response.status_code == 422 and "哪里不满意" in text(response)
    assert form_post(applicant, f"/my/{number}/rate", {"overall": "2", "comment": "让我跑了两趟"}).status_code == 303
    assert "已转镇原县民政局核实整改" in text(applicant.get(f"/my/{number}"))
    with app.app_context():
        fix_id = db.session.scalar(select(Rectification.id))
    # 民政局's reviewer answers; another township's window does not even see it.
    assert "让我跑了两趟" not in text(login(app, "tunzi").get("/office/rectifications"))
    assert login(app, "tunzi").get(f"/office/rectifications/{fix_id}").status_code == 404
    reviewer = login(app, "minzheng")
    assert number in text(reviewer.get("/office/rectifications"))
    url = f"/office/rectifications/{fix_id}"
    short = form_post(reviewer, url, {"step": "answer", "answer": "已改"})
    assert short.status_code == 422 and "至少 10 个字" in text(short)
    answer = "已核实：户口簿可共享核验，已从材料清单删去，窗口人员已培训。"
    assert form_post(reviewer, url, {"step": "answer", "answer": answer}).status_code == 303
    page = text(applicant.get(f"/my/{number}"))
    assert "整改答复" in page and answer in page
    assert reviewer.post(url, data={"csrf_token": csrf_of(reviewer, url)}).status_code == 400  # no step
    assert "记录回访" not in text(reviewer.get(url))  # the department does not close its own 差评
    # The supervisor calls the applicant back (the number shown on asking, logged) and records it.
    supervisor = login(app, "ducha")
    assert "139****0001" in text(supervisor.get(url))
    assert "13900000001" in text(form_post(supervisor, url, {"step": "reveal"}))
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "reveal_phone")) is not None
    assert "提交答复" not in text(supervisor.get(url))
    assert form_post(supervisor, url, {"step": "callback", "result": "satisfied", "note": "电话回访"}).status_code == 303
    assert "回访结果：满意" in text(applicant.get(f"/my/{number}"))
    with app.app_context():
        assert db.session.get(Rectification, fix_id).status == "closed"


@pytest.mark.usefixtures("staff")
def test_an_overdue_rectification_is_flagged_in_the_console(app, applicant):
    number = _case(app)
    form_post(applicant, f"/my/{number}/rate", {"overall": "1", "comment": "态度不好"})
    with app.app_context():
        db.session.execute(update(Rectification).values(due_on=date.today() - timedelta(days=2)))
        db.session.commit()
    window = login(app, "chengguan")
    assert "1 条差评整改已超过 15 个工作日未答复" in text(window.get("/office/"))
    assert "已超期" in text(window.get("/office/rectifications"))
    assert "已超期" in text(login(app, "ducha").get("/office/supervision"))


@pytest.mark.usefixtures("staff")
def test_the_window_shows_a_code_to_rate_after_service(app):
    number = _case(app)
    window = login(app, "chengguan")
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    page = text(window.get(f"/office/cases/{case_id}"))
    assert "请申请人用手机扫码" in page and "<svg" in page


def test_an_agent_collects_a_rating_for_the_resident_marked_as_such(app, agents):
    agent = agents.signed_in("daiban2")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ID, "13900000001")
    number = _case(app)
    base = f"/agent/r/{mandate_id}/my/{number}"
    assert "代 张** 评价" in text(agent.get(base + "/rate"))
    assert form_post(agent, base + "/rate", {"overall": "4"}).status_code == 303
    assert "代办员赵红梅代为评价" in text(agent.get(base))
    with app.app_context():
        rating = db.session.scalar(select(Rating))
        assert (rating.actor_kind, rating.actor_name, rating.mandate_id) == ("agent", "赵红梅", mandate_id)


def test_at_a_kiosk_the_person_identified_rates_their_case(app, client, kiosk):
    from tests.web.test_kiosk import _seed

    _seed(app)  # 张桂兰, whom the demo card identifies
    number = _case(app)
    kiosk.register()
    kiosk.identify()
    assert "去评价" in text(client.get(f"/kiosk/my/{number}"))
    response = form_post(client, f"/kiosk/my/{number}/rate", {"overall": "5"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/kiosk/my/{number}#rating")
    with app.app_context():
        assert db.session.scalar(select(Rating.actor_kind)) == "kiosk"
