import html
import re

import pytest
from sqlalchemy import func, select

from commands import DATA
from extensions import db
from services.appointments import Booking, ClinicSession, load_hospitals, open_coming_week
from tests import factories
from tests.conftest import form_post, sign_in, staff_sign_in

ME = factories.id_number("19900303", "221")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def session_id(app):
    with app.app_context():
        load_hospitals(DATA / "hospitals.toml")
        open_coming_week()
        return db.session.scalar(select(ClinicSession.id).order_by(ClinicSession.day.desc(), ClinicSession.id))


@pytest.fixture
def villager(client, session_id):
    sign_in(client, "13900000001", "李秀英", ME)
    return client


def test_hospitals_and_their_half_days_are_listed(client, session_id):
    page = text(client.get("/book"))
    assert "镇原县人民医院" in page and "城关镇卫生院" in page and "妇产科" in page
    dept = re.search(r'/book/dept/(\d+)', page).group(1)
    assert "还剩" in text(client.get(f"/book/dept/{dept}"))


def test_booking_for_oneself_then_a_double_tap_keeps_one(app, villager, session_id):
    first = form_post(villager, f"/book/session/{session_id}", {"who": "self"})
    again = form_post(villager, f"/book/session/{session_id}", {"who": "self"})
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    page = text(villager.get(first.headers["Location"]))
    assert "预约成功" in page and '<svg class="qr"' in page and "李秀英" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        assert db.session.get(ClinicSession, session_id).booked == 1


def test_booking_for_a_family_member_checks_the_id_and_keeps_what_was_typed(app, villager, session_id):
    response = form_post(villager, f"/book/session/{session_id}",
                         {"who": "family", "patient_name": "王小宝", "patient_id_number": "12345"})
    page = text(response)
    assert response.status_code == 422 and "身份证号应为 18 位" in page and 'value="王小宝"' in page
    ok = form_post(villager, f"/book/session/{session_id}", {"who": "family", "patient_name": "王小宝",
                                                             "patient_id_number": factories.id_number("20180101", "555")})
    assert ok.status_code == 303


def test_a_full_half_day_offers_others(app, villager, session_id):
    with app.app_context():
        session = db.session.get(ClinicSession, session_id)
        session.booked = session.capacity
        db.session.commit()
    response = form_post(villager, f"/book/session/{session_id}", {"who": "self"})
    page = text(response)
    assert response.status_code == 422 and "这个时段已经约满了" in page


def test_cancelling_frees_the_place(app, villager, session_id):
    url = form_post(villager, f"/book/session/{session_id}", {"who": "self"}).headers["Location"]
    response = form_post(villager, url, {})  # the session is days away: before the cutoff
    assert response.status_code == 303 and "已取消" in text(villager.get(url))
    with app.app_context():
        assert db.session.get(ClinicSession, session_id).booked == 0


def test_another_person_cannot_see_a_booking(app, villager, session_id):
    url = form_post(villager, f"/book/session/{session_id}", {"who": "self"}).headers["Location"]
    other = app.test_client()
    sign_in(other, "13900000002", "赵大海", factories.id_number("19850505", "132"))
    assert other.get(url).status_code == 404
    assert "李秀英" not in text(other.get("/bookings"))


def test_hospital_staff_see_the_days_bookings_and_check_in_once(app, villager):
    from datetime import timedelta

    from commands import seed_demo_staff
    from services.appointments import ClinicDepartment, Hospital
    from services.clock import today

    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        dept = db.session.scalar(select(ClinicDepartment).join(Hospital).where(Hospital.code == "ZYXRMYY"))
        session = ClinicSession(department_id=dept.id, day=today() + timedelta(days=1), period="pm", capacity=5)
        db.session.add(session)
        db.session.commit()
        session_id = session.id
    url = form_post(villager, f"/book/session/{session_id}", {"who": "self"}).headers["Location"]
    code = url.rsplit("/", 1)[1]
    with app.app_context():  # the visit is tomorrow: move the clock by moving the session
        db.session.get(ClinicSession, session_id).day = today()
        db.session.commit()
    staff = app.test_client()
    staff_sign_in(app, staff, "yiyuan", "Hospital-demo-2026")
    assert "李秀英" in text(staff.get("/office/bookings"))
    done = form_post(staff, "/office/bookings", {"code": code})
    assert done.status_code == 200 and "已取号：李秀英" in text(done)
    again = form_post(staff, "/office/bookings", {"code": code})
    assert again.status_code == 422 and "已取号，不能再取号" in text(again)
    assert staff.get("/office/").headers["Location"].endswith("/office/bookings")
    window = app.test_client()
    staff_sign_in(app, window, "chengguan", "Window-demo-2026")
    assert window.get("/office/bookings").status_code == 403
