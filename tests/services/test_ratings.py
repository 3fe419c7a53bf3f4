"""好差评: one rating per case, only by its applicant or their agent, only after 办结; a 差评 opens a
rectification due in 15 working days, answered, then closed by a 回访."""
from datetime import date

import pytest
from sqlalchemy import func, select, update

from extensions import db
from services.cases.lifecycle import act, submit_case
from services.cases.ratings import (
    Rating,
    Rectification,
    answer,
    may_rate,
    rate,
    rating_of,
    record_callback,
    rectifications,
)
from services.errors import DomainError, IllegalTransition, NotFound
from services.outbox import OutboxMessage
from services.people.actors import Actor, citizen
from services.people.identity import Person
from services.places import township_id_by_name
from tests import factories

ELDER = "621027-BM-005"  # 高龄津贴, 镇原县民政局


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def done(ctx, catalog):
    """A case of 城关镇, 办结."""
    person = factories.person()
    case = submit_case(catalog.get(ELDER), person, {}, factories.key(), township_id=township_id_by_name("城关镇"))
    window = clerk("window")
    act(case, "accept", window)
    act(case, "complete", window, data={"decision": "approved"})
    return case


def clerk(role: str, township: str = "城关镇", department: str | None = None) -> Actor:
    return Actor("staff", 7, "李娜", role=role, township_id=township_id_by_name(township) if role in (
        "window", "town_admin") else None, department=department)


def test_the_applicant_rates_once_after_the_case_is_done(done):
    applicant = Actor("citizen", done.applicant_id, "张桂兰")
    assert may_rate(applicant, done)
    rating = rate(done, applicant, "4", {"efficiency": "5", "guide": "3", "platform": ""}, "挺快的")
    assert (rating.level, rating.scores, rating.actor_kind) == (4, {"overall": 4, "efficiency": 5, "guide": 3},
                                                                "citizen")
    assert rating.rectification is None  # not a 差评
    with pytest.raises(IllegalTransition, match="评价过了"):
        rate(done, applicant, "5")
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_nobody_else_rates_and_nobody_before_it_is_done(done, catalog):
    stranger = factories.person("13900000099", "王建国", seq="456")
    for actor in (citizen(stranger), clerk("window"), clerk("admin"), Actor("department", None, "民政系统")):
        assert not may_rate(actor, done)
        with pytest.raises(NotFound):
            rate(done, actor, "5")
    applicant = Actor("citizen", done.applicant_id, "张桂兰")
    open_case = submit_case(catalog.get(ELDER), db.session.get(Person, done.applicant_id), {}, factories.key())
    with pytest.raises(IllegalTransition, match="办结以后"):
        rate(open_case, applicant, "5")
    for level in ("0", "6", "满意", None, "3.5"):
        with pytest.raises(DomainError):
            rate(done, applicant, level)
    assert rating_of(done) is None and rating_of(open_case) is None


def test_a_bad_rating_needs_a_reason_and_opens_a_rectification_due_in_15_working_days(done):
    applicant = Actor("citizen", done.applicant_id, "张桂兰")
    with pytest.raises(DomainError, match="哪里不满意"):
        rate(done, applicant, "2")
    # Opened Thursday 24 September 2026: 中秋 and 国庆 (25–27 September, 1–7 October) are not
    # counted and Saturday 10 October is worked, so the 15th working day is 22 October.
    rating = rate(done, applicant, "1", {}, "窗口让我跑了三趟", today=date(2026, 9, 24))
    fix = rating.rectification
    assert (fix.status, fix.opened_on, fix.due_on) == ("open", date(2026, 9, 24), date(2026, 10, 22))
    assert not fix.overdue(date(2026, 10, 22)) and fix.overdue(date(2026, 10, 23))
    sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"rating:{rating.id}:sms")).one()
    assert "2026年10月22日前" in sms.payload["text"] and sms.recipient == done.applicant_phone


def test_the_department_answers_then_a_callback_closes_it_and_the_applicant_is_told(done):
    applicant = Actor("citizen", done.applicant_id, "张桂兰")
    fix = rate(done, applicant, "2", {}, "要的材料太多", today=date(2026, 11, 2)).rectification
    other_town, supervisor = clerk("window", "屯字镇"), clerk("supervisor")
    assert rectifications(other_town) == [] and rectifications(supervisor) == [fix]
    assert rectifications(clerk("reviewer", department="镇原县民政局")) == [fix]
    with pytest.raises(DomainError):
        answer(fix, other_town, "已核实，改进了材料清单和告知方式。")
    with pytest.raises(DomainError):
        answer(fix, supervisor, "已核实，改进了材料清单和告知方式。")
    with pytest.raises(IllegalTransition, match="答复整改以后"):
        record_callback(fix, supervisor, "satisfied", "")
    with pytest.raises(DomainError, match="至少 10 个字"):
        answer(fix, clerk("window"), "已改")
    answer(fix, clerk("reviewer", department="镇原县民政局"), "已核实：户口簿可由系统共享核验，已从材料清单中删去。",
           today=date(2026, 11, 10))
    assert (fix.status, fix.answered_on, fix.answered_late()) == ("answered", date(2026, 11, 10), False)
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"rectification:{fix.id}:answer"))
    assert "已答复" in told.one().payload["text"]
    with pytest.raises(IllegalTransition):
        answer(fix, clerk("window"), "再答复一次，内容不同。")
    with pytest.raises(DomainError, match="回访结果"):
        record_callback(fix, supervisor, "great", "")
    with pytest.raises(DomainError, match="督查人员"):  # the department rated badly does not close it itself
        record_callback(fix, clerk("reviewer", department="镇原县民政局"), "satisfied", "")
    record_callback(fix, supervisor, "basically", "电话回访，申请人表示理解")
    assert (fix.status, fix.callback_name, fix.callback_by) == ("closed", "基本满意", "李娜")
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 1


def test_two_clerks_answering_at_once_one_is_refused(done):
    fix = rate(done, Actor("citizen", done.applicant_id, "张桂兰"), "1", {}, "没人接电话").rectification
    db.session.execute(update(Rectification).where(Rectification.id == fix.id).values(status="answered"),
                       execution_options={"synchronize_session": False})
    with pytest.raises(IllegalTransition, match="刚被其他人处理过"):  # this clerk's page still said 待整改
        answer(fix, clerk("window"), "已核实并整改，窗口电话已安排专人接听。")


def test_the_residents_own_rating_replaces_the_one_their_agent_collected(done, monkeypatch):
    from services.people import consent

    agent, resident = Actor("agent", 3, "赵红梅"), Actor("citizen", done.applicant_id, "张桂兰")
    # The agent's consent covers the case (consents themselves: tests/web/test_agent.py).
    monkeypatch.setattr(consent, "covers", lambda actor, case: actor.kind == "agent")
    rating = rate(done, agent, "5")
    monkeypatch.undo()
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"rating:{rating.id}:agent"))
    assert "村代办员赵红梅为您的高龄津贴申请" in told.one().payload["text"]
    assert may_rate(resident, done, rating)
    rate(done, resident, "2", {}, "其实等了很久")
    again = rating_of(done)
    assert (again.id, again.level, again.actor_kind) == (rating.id, 2, "citizen") and again.rectification
    with pytest.raises(IllegalTransition):  # now it is the resident's own: once
        rate(done, resident, "5")


def test_a_case_turned_away_may_be_rated(ctx, catalog):
    person = factories.person()
    case = submit_case(catalog.get(ELDER), person, {}, factories.key())
    act(case, "reject", clerk("window"), note="不是本乡镇户籍")
    assert rate(case, Actor("citizen", person.id, person.name), "2", {}, "户籍可以网上核验").rectification
