import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from commands import DATA
from extensions import db
from services.appointments import (Booking, ClinicSession, book, cancel, load_hospitals, next_free,
                                   open_coming_week)
from services.clock import CHINA
from services.errors import DomainError
from services.people.identity import Person
from tests import factories


@pytest.fixture
def ctx(app):
    with app.app_context():
        load_hospitals(DATA / "hospitals.toml")
        open_coming_week()
        yield


@pytest.fixture
def person(ctx):
    return factories.person()


def a_session(capacity=None) -> ClinicSession:
    session = db.session.scalar(select(ClinicSession).order_by(ClinicSession.day.desc(), ClinicSession.id))
    if capacity is not None:
        session.capacity = capacity
        db.session.commit()
    return session


def test_the_coming_week_is_opened_once(ctx):
    before = db.session.scalar(select(func.count()).select_from(ClinicSession))
    assert before > 0 and open_coming_week() == 0


def test_booking_takes_a_place_and_sends_an_sms(person):
    session = a_session()
    booking = book(session.id, person, "张桂兰", person.id_number)
    db.session.refresh(session)
    assert session.booked == 1 and booking.status == "booked" and len(booking.code) >= 20
    from services.outbox import OutboxMessage
    text = db.session.scalar(select(OutboxMessage.payload))["text"]
    assert "张桂兰" in text and session.department.hospital.name in text


def test_one_active_booking_per_patient_per_session(person):
    session = a_session()
    book(session.id, person, "张桂兰", person.id_number)
    with pytest.raises(DomainError, match="已经预约了这个时段"):
        book(session.id, person, "张桂兰", person.id_number)
    db.session.refresh(session)
    assert session.booked == 1  # the refused attempt took no place
    book(session.id, person, "王小宝", factories.id_number("20180101", "555"))  # a family member
    db.session.refresh(session)
    assert session.booked == 2


def test_a_full_session_says_so_and_offers_the_next_free_ones(person):
    session = a_session(capacity=1)
    book(session.id, person, "张桂兰", person.id_number)
    with pytest.raises(DomainError, match="约满"):
        book(session.id, person, "王小宝", factories.id_number("20180101", "555"))
    assert all(s.left > 0 for s in next_free(session))


def test_fifty_people_at_once_for_the_last_place_make_exactly_one_booking(app, person):
    session_id = a_session(capacity=1).id
    ids = [factories.id_number("19800101", f"{n:03d}") for n in range(50)]
    results, barrier = [], threading.Barrier(50)
    person_id = person.id

    def attempt(id_number):
        with app.app_context():
            someone = db.session.get(Person, person_id)
            db.session.expunge(someone)
            db.session.close()
            barrier.wait()
            try:
                book(session_id, someone, "测试", id_number)
                results.append("ok")
            except DomainError as exc:
                results.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and results.count("这个时段已经约满了") == 49
    db.session.expire_all()
    assert db.session.get(ClinicSession, session_id).booked == 1
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_cancelling_before_the_cutoff_frees_the_place_once(person):
    session = a_session()
    booking = book(session.id, person, "张桂兰", person.id_number)
    day_before = datetime.combine(session.day - timedelta(days=1), datetime.min.time(), tzinfo=CHINA)
    cancel(booking, now=day_before.replace(hour=16, minute=59))
    db.session.refresh(session)
    assert booking.status == "cancelled" and session.booked == 0
    with pytest.raises(DomainError, match="不能取消"):
        cancel(booking, now=day_before)
    db.session.refresh(session)
    assert session.booked == 0
    book(session.id, person, "张桂兰", person.id_number)  # the same patient may book again


def test_no_cancelling_after_17_00_the_day_before(person):
    session = a_session()
    booking = book(session.id, person, "张桂兰", person.id_number)
    late = datetime.combine(session.day - timedelta(days=1), datetime.min.time(), tzinfo=CHINA).replace(hour=17, minute=1)
    with pytest.raises(DomainError, match="已过取消时间"):
        cancel(booking, now=late)


@pytest.mark.parametrize("name,id_number,message", [("", None, "就诊人姓名"), ("王小宝", "123", "身份证号")])
def test_bad_patient_details_are_refused(person, name, id_number, message):
    with pytest.raises(DomainError, match=message):
        book(a_session().id, person, name, id_number or person.id_number)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_past_sessions_cannot_be_booked(person):
    session = a_session()
    db.session.execute(update(ClinicSession).where(ClinicSession.id == session.id)
                       .values(day=session.day - timedelta(days=30)))
    db.session.commit()
    with pytest.raises(DomainError, match="已经不能预约"):
        book(session.id, person, "张桂兰", person.id_number)


def test_a_half_day_closes_for_booking_once_it_is_under_way(person):
    from services.appointments import bookable

    session = a_session()
    morning = datetime.combine(session.day, datetime.min.time(), tzinfo=CHINA)
    session.period = "am"
    assert bookable(session, now=morning.replace(hour=11, minute=29))
    assert not bookable(session, now=morning.replace(hour=11, minute=31))
