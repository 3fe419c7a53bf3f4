"""Limits that stop guessing without locking anyone out, counted in the database so that two
gunicorn workers (here: two app instances on one database) see one count."""
import pytest
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, submit_case
from tests import factories
from tests.conftest import form_post
from wsgi import create_app

STRANGER, VILLAGER = {"REMOTE_ADDR": "10.0.0.66"}, {"REMOTE_ADDR": "10.0.0.7"}


@pytest.fixture
def second_worker(app):
    """Another process serving the same database, with its own memory."""
    return create_app({key: app.config[key] for key in
                       ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "PUBLIC_BASE_URL")})


@pytest.fixture
def case(app, catalog):
    with app.app_context():
        person = factories.person()
        case = submit_case(catalog.get("621027-BM-004"), person, {}, factories.key())
        return case.number, person.phone[-4:]


def lookup(app, number, last4, environ):
    client = app.test_client()
    client.environ_base.update(environ)
    return form_post(client, "/track", {"case_number": number, "last4": last4})


def test_a_strangers_guesses_never_lock_the_villager_out(app, case):
    number, right = case
    for guess in range(12):
        lookup(app, number, f"{guess:04d}" if f"{guess:04d}" != right else "9999", STRANGER)
    assert lookup(app, number, "1234", STRANGER).status_code == 429
    assert lookup(app, number, right, STRANGER).status_code == 429  # the guesser is stopped, right or not
    assert lookup(app, number, right, VILLAGER).status_code == 303  # the villager is not


def test_the_count_holds_across_workers(app, second_worker, case):
    number, right = case
    wrong = "9999" if right != "9999" else "8888"
    for worker in (app, second_worker, app, second_worker, app):
        assert lookup(worker, number, wrong, STRANGER).status_code == 422
    assert lookup(second_worker, number, wrong, STRANGER).status_code == 429
    assert lookup(app, number, wrong, STRANGER).status_code == 429


def test_codes_asked_for_from_one_device_are_counted_across_workers(app, second_worker):
    for n in range(30):
        worker = app if n % 2 else second_worker
        client = worker.test_client()
        client.environ_base.update(VILLAGER)
        assert form_post(client, "/signin", {"phone": f"1390000{n:04d}"}).status_code == 303
    client = app.test_client()
    client.environ_base.update(VILLAGER)
    response = form_post(client, "/signin", {"phone": "13900009999"})
    assert response.status_code == 429 and "这台设备" in response.get_data(as_text=True)


def test_mistyped_phone_numbers_do_not_use_up_the_next_persons_tries(app):
    shared = app.test_client()  # one kiosk, one village's address
    shared.environ_base.update(VILLAGER)
    for n in range(60):
        assert form_post(shared, "/signin", {"phone": f"139{n}"}).status_code == 422
    assert form_post(shared, "/signin", {"phone": "13900000001"}).status_code == 303


def test_wrong_codes_from_one_device_are_limited_across_workers(app, second_worker):
    from services.people.signin import WRONG_CODES_PER_REQUESTER

    limit, _ = WRONG_CODES_PER_REQUESTER
    statuses = []
    for n in range(limit + 1):
        worker = app if n % 2 else second_worker
        client = worker.test_client()
        client.environ_base.update(STRANGER)
        form_post(client, "/signin", {"phone": f"1391111{n:04d}"})
        statuses.append(form_post(client, "/signin/code", {"code": "000000"}).status_code)
    assert statuses[:limit] == [422] * limit and statuses[limit] == 429
    with app.app_context():
        assert db.session.scalar(select(Case)) is None


def test_strangers_asking_for_someones_codes_never_lock_the_owner_out(app):
    from datetime import timedelta

    from services.clock import utcnow
    from services.people.signin import SmsCode

    owner = app.test_client()
    owner.environ_base.update(VILLAGER)
    for n in range(12):  # from many addresses, past every per-phone cap
        stranger = app.test_client()
        stranger.environ_base.update({"REMOTE_ADDR": f"10.9.0.{n}"})
        form_post(stranger, "/signin", {"phone": "13900000001"})
    # The owner is sent on to type the code the strangers' requests put on their phone.
    response = form_post(owner, "/signin", {"phone": "13900000001"})
    assert response.status_code == 303 and "/signin/code" in response.headers["Location"]
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "验证码刚刚已发到这个手机" in page and "演示环境：验证码" not in page
    with app.app_context():
        from extensions import db as _db

        latest = _db.session.scalars(select(SmsCode).order_by(SmsCode.id.desc())).first()
        assert latest.expires_at is not None and latest.used_at is None
        # With no good code left on the phone, the owner is told to wait, not silently sent on.
        _db.session.execute(SmsCode.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1)))
        _db.session.commit()
    refused = form_post(owner, "/signin", {"phone": "13900000001"})
    assert refused.status_code == 429 and "太频繁" in refused.get_data(as_text=True)


def test_simultaneous_wrong_guesses_are_all_counted(app, case):
    import threading

    number, right = case
    wrong = "9999" if right != "9999" else "8888"
    statuses = []

    def guess():
        statuses.append(lookup(app, number, wrong, STRANGER).status_code)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(422) <= 5 and statuses.count(429) >= 3


def test_an_ipv6_household_counts_as_one_requester(app, case):
    number, right = case
    wrong = "9999" if right != "9999" else "8888"
    for n in range(5):  # a phone rotating the low 64 bits of its address
        assert lookup(app, number, wrong, {"REMOTE_ADDR": f"2408:8456:1:2::{n + 1:x}"}).status_code == 422
    assert lookup(app, number, wrong, {"REMOTE_ADDR": "2408:8456:1:2::99"}).status_code == 429
    assert lookup(app, number, right, {"REMOTE_ADDR": "2408:8456:1:3::1"}).status_code == 303  # next door
