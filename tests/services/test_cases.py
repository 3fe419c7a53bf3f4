import threading
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, select

from extensions import db
from services import outbox
from services.cases.numbers import format_case_number, normalise_case_number
from services.cases.lifecycle import (Actor, Case, CaseEvent, act, recompute_open_deadlines,
                            remaining_workdays, submit_case)
from services.errors import DomainError
from services.sms import messages_to
from services.workdays import WorkCalendar, load_calendar, store_arrangement
from tests import factories

BIRTH = "621027-BM-004"
STAFF = Actor("staff", 1, "城关镇窗口 李娜")
ANSWERS = {"wife_name": "张桂兰", "phone": "13900000001"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def applicant(ctx):
    return factories.person()


def submit(catalog, applicant, key=None, day=None, code=BIRTH):
    return submit_case(catalog.get(code), applicant, ANSWERS, key or factories.key(), today=day)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_submitting_creates_a_numbered_case_an_event_and_an_sms(catalog, applicant):
    case = submit(catalog, applicant, day=date(2026, 11, 25))
    assert case.number.startswith("ZY26112500001") and len(case.number) == 14
    assert normalise_case_number(case.number) == case.number
    assert case.status == "submitted" and case.applicant_id_number == applicant.id_number
    assert [e.action for e in case.events] == ["submit"]
    assert len(case.track_token) >= 40  # 32 random bytes, url-safe
    outbox.drain(current_app.extensions["senders"])
    [sms] = messages_to(applicant.phone)
    assert case.number in sms and f"/t/{case.number}?k={case.track_token}" in sms


def test_the_same_key_twice_makes_one_case(catalog, applicant):
    key = factories.key()
    assert submit(catalog, applicant, key).id == submit(catalog, applicant, key).id
    assert count(Case) == 1 and count(CaseEvent) == 1


def test_twenty_parallel_submissions_with_one_key_make_exactly_one_case(app, catalog, applicant):
    key, person_id, ids, errors = factories.key(), applicant.id, [], []
    barrier = threading.Barrier(20)

    def worker():
        with app.app_context():
            try:
                person = db.session.get(type(applicant), person_id)
                db.session.expunge(person)
                db.session.close()  # give the connection back while waiting at the barrier
                barrier.wait()
                ids.append(submit(catalog, person, key).id)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 1 and len(ids) == 20
    db.session.expire_all()
    assert count(Case) == 1 and count(CaseEvent) == 1
    assert db.session.scalar(select(func.count()).select_from(outbox.OutboxMessage)
                             .where(outbox.OutboxMessage.channel == "sms")) == 1


def test_numbers_are_unique_sortable_and_checked(catalog, applicant):
    numbers = [submit(catalog, applicant, day=date(2026, 11, d)).number for d in (24, 25, 25, 26)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert numbers[2][:13] == "ZY26112500002"
    typed = format_case_number(numbers[0]).lower()
    assert normalise_case_number(typed) == numbers[0]
    assert normalise_case_number(numbers[0][2:]) == numbers[0]  # a keypad has no letters: ZY left out
    with pytest.raises(DomainError, match="办件编号有误"):
        normalise_case_number(numbers[0][3:])
    wrong = numbers[0][:-1] + ("0" if numbers[0][-1] != "0" else "1")
    with pytest.raises(DomainError, match="办件编号有误"):
        normalise_case_number(wrong)


def test_accept_sets_the_deadline_in_working_days(catalog, applicant):
    case = submit(catalog, applicant, code="621027-BM-006")  # 低保: 25 working days
    act(case, "accept", STAFF, today=date(2026, 9, 24))
    # 中秋 9/25-27 and 国庆 10/1-7 off, Saturday 10/10 worked
    assert case.due_on == WorkCalendar().add_workdays(date(2026, 9, 24), 25)[0]
    assert case.due_on == date(2026, 11, 5) and case.due_estimated is False
    assert remaining_workdays(case, date(2026, 10, 9), WorkCalendar()) == 20


def test_supplement_pauses_the_deadline_until_resubmitted(catalog, applicant):
    case = submit(catalog, applicant, code="621027-BM-005")  # 高龄津贴: 10 working days
    act(case, "accept", STAFF, today=date(2026, 11, 2))  # Monday
    assert case.due_on == date(2026, 11, 16)
    act(case, "supplement", STAFF, note="一卡通照片看不清", data={"materials": ["bank_account"]},
        today=date(2026, 11, 5))  # 3 working days used
    assert case.status == "supplement" and case.due_on is None
    assert remaining_workdays(case, date(2026, 11, 20), WorkCalendar()) is None
    act(case, "resubmit", Actor("applicant", applicant.id, applicant.name), today=date(2026, 11, 16))
    assert case.workdays_used == 3
    assert case.due_on == date(2026, 11, 25)  # 7 more working days from 11/16


def test_twenty_working_day_case_accepted_2026_12_15_does_not_fail_and_is_estimated(catalog, applicant):
    item = catalog.get("621027-SP-003").model_copy(update={"promised_days": 20})
    case = submit_case(item, applicant, ANSWERS, factories.key())
    act(case, "accept", STAFF, today=date(2026, 12, 15))
    assert (case.due_on, case.due_estimated) == (date(2027, 1, 13), True)
    store_arrangement(2027, "2027-01-01 至 2027-01-04 休 元旦", "国办发明电", "admin")
    assert recompute_open_deadlines(load_calendar()) == 1
    db.session.commit()
    assert (case.due_on, case.due_estimated) == (date(2027, 1, 14), False)


def test_illegal_transitions_are_refused_and_leave_no_trace(catalog, applicant):
    case = submit(catalog, applicant)
    for name in ("deliver", "complete", "resubmit", "review"):
        with pytest.raises(DomainError, match="不能"):
            act(case, name, STAFF, data={"decision": "approved"})
    db.session.rollback()
    assert case.status == "submitted" and case.decision is None
    assert count(CaseEvent) == 1


@pytest.mark.parametrize("name,note,data,message", [
    ("reject", "", None, "请写明不予受理的原因"),
    ("supplement", " ", None, "请勾选所有需要补正的材料"),
    ("complete", "", {}, "请选择准予或不予"),
    ("complete", "", {"decision": "denied"}, "不予办理须写明理由"),
])
def test_actions_that_need_a_reason_ask_for_it(catalog, applicant, name, note, data, message):
    case = submit(catalog, applicant)
    if name != "reject":
        act(case, "accept", STAFF)
    with pytest.raises(DomainError, match=message):
        act(case, name, STAFF, note=note, data=data)


def test_the_whole_loop_is_a_timeline_of_events_each_with_an_sms(catalog, applicant):
    case = submit(catalog, applicant)
    act(case, "accept", STAFF)
    act(case, "review", STAFF)
    act(case, "supplement", STAFF, note="请补充妊娠诊断证明", data={"materials": ["pregnancy_proof"]})
    act(case, "resubmit", Actor("applicant", applicant.id, applicant.name))
    act(case, "complete", STAFF, data={"decision": "approved"})
    act(case, "deliver", STAFF, note="请到窗口领取", data={"method": "window"})
    steps = [(e.action, e.from_status, e.to_status) for e in case.events]
    assert steps == [("submit", None, "submitted"), ("accept", "submitted", "accepted"),
                     ("review", "accepted", "reviewing"), ("supplement", "reviewing", "supplement"),
                     ("resubmit", "supplement", "accepted"), ("complete", "accepted", "completed"),
                     ("deliver", "completed", "delivered")]
    senders = current_app.extensions["senders"]
    sent, failed = outbox.drain(senders, limit=50)
    assert (sent, failed) == (14, 0)  # each event: an SMS and a notice to the 卫健局 system
    assert outbox.drain(senders) == (0, 0)  # never sent twice
    texts = messages_to(applicant.phone)
    assert len(texts) == 7 and "准予" in texts[5]


def test_two_staff_acting_at_once_one_wins(app, catalog, applicant):
    case_id = submit(catalog, applicant).id
    other = db.session.get(Case, case_id)
    db.session.expunge(other)
    with app.app_context():  # a second request, its own session
        act(db.session.get(Case, case_id), "accept", STAFF)
        db.session.remove()
    db.session.add(other)
    with pytest.raises(DomainError, match="刚被其他人处理过"):
        act(other, "reject", STAFF, note="材料不全")


def test_flask_worker_sends_the_outbox_once(app, catalog, applicant):
    submit(catalog, applicant)
    phone = applicant.phone  # the worker ends the session it shares with this test
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--once"])
    assert "已发送 2 条" in result.output  # the SMS and the notice to the department's system
    assert runner.invoke(args=["worker", "--once"]).output == ""
    assert len(messages_to(phone)) == 1


class FlakyGateway:
    def __init__(self):
        self.calls = 0

    def send(self, phone, payload, key):
        self.calls += 1
        raise ConnectionError("gateway down")


def test_a_failed_send_is_retried_later_not_lost(catalog, applicant):
    submit(catalog, applicant)
    gateway = FlakyGateway()
    senders = {**current_app.extensions["senders"], "sms": gateway}
    assert outbox.drain(senders) == (1, 1)  # the department notice went; the SMS did not
    message = db.session.scalar(select(outbox.OutboxMessage).where(outbox.OutboxMessage.channel == "sms"))
    assert message.status == "pending" and "gateway down" in message.last_error
    assert outbox.drain(senders) == (0, 0)  # waits before the next try
    assert gateway.calls == 1
