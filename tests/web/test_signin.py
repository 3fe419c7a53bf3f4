import html
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from services.people.identity import Person
from services.outbox import OutboxMessage
from services.clock import utcnow
from services.people.signin import SmsCode
from tests import factories
from tests.conftest import DEMO_CODE, form_post, sign_in

ELDER_ID = factories.id_number("19500303", "221")
YOUNG_ID = factories.id_number("19900303", "221")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def request_code(client, phone="13900000001"):
    response = form_post(client, "/signin", {"phone": phone})
    page = client.get("/signin/code").get_data(as_text=True)
    return response, DEMO_CODE.search(page).group(1)


def test_sandbox_shows_the_code_and_queues_the_sms(app, client):
    response, code = request_code(client)
    assert response.status_code == 303
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.recipient == "13900000001" and code in message.payload["text"]
        assert db.session.scalar(select(SmsCode.code_hash)) != code  # only a keyed hash is stored


def test_sign_in_then_real_name_then_back_where_the_person_was_going(app, client):
    response = sign_in(client, next_url="/places")
    assert response.headers["Location"].startswith("/me/verify?next=/places")
    response = form_post(client, "/me/verify?next=/places", {"name": "王建国", "id_number": YOUNG_ID})
    assert response.status_code == 303 and response.headers["Location"] == "/places"
    with app.app_context():
        person = db.session.scalar(select(Person))
        assert person.name == "王建国" and person.id_number == YOUNG_ID and person.is_verified


def test_people_of_sixty_and_over_are_offered_elder_mode_once(app, client):
    sign_in(client)
    response = form_post(client, "/me/verify?next=/", {"name": "张桂兰", "id_number": ELDER_ID})
    assert response.headers["Location"].startswith("/me/elder")
    page = text(client.get(response.headers["Location"]))
    assert "要不要用长辈版" in page and "/elder?on=1" in page
    with app.app_context():
        assert db.session.scalar(select(Person.elder_offered)) is True


def test_younger_people_are_not_offered_elder_mode(client):
    sign_in(client)
    response = form_post(client, "/me/verify?next=/", {"name": "王建国", "id_number": YOUNG_ID})
    assert response.headers["Location"] == "/"


def test_wrong_code_says_so_next_to_the_field(client):
    request_code(client)
    response = form_post(client, "/signin/code", {"code": "000000"})
    body = text(response)
    assert response.status_code == 422
    assert "验证码不对" in body and 'value="000000"' in body


def test_a_code_is_spent_after_five_wrong_tries(client):
    _, code = request_code(client)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        form_post(client, "/signin/code", {"code": wrong})
    response = form_post(client, "/signin/code", {"code": code})
    assert "验证码已过期或已使用" in text(response)


def test_an_expired_code_is_refused(app, client):
    _, code = request_code(client)
    with app.app_context():
        row = db.session.scalar(select(SmsCode))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = form_post(client, "/signin/code", {"code": code})
    assert response.status_code == 422 and "验证码已过期或已使用" in text(response)


def test_a_code_works_once(app, client):
    _, code = request_code(client)
    assert form_post(client, "/signin/code", {"code": code}).status_code == 303
    other = app.test_client()
    with other.session_transaction() as session:
        session["signin_phone"] = "13900000001"
    response = form_post(other, "/signin/code", {"code": code})
    assert "验证码已过期或已使用" in text(response)


def test_a_new_code_replaces_the_old_one(client):
    from extensions import limiter

    _, first = request_code(client, "13900000002")
    limiter.reset()  # as if a minute had passed
    _, second = request_code(client, "13900000002")
    if first != second:  # one in a million they are equal
        assert form_post(client, "/signin/code", {"code": first}).status_code == 422
    assert form_post(client, "/signin/code", {"code": second}).status_code == 303


def test_asking_for_codes_too_often_is_limited_per_phone(app, client):
    _, code = request_code(client, "13900000003")
    assert form_post(client, "/signin/code", {"code": code}).status_code == 303  # that code is used up
    response = form_post(app.test_client(), "/signin", {"phone": "13900000003"})  # within the minute
    assert response.status_code == 429
    assert "这个手机号获取验证码太频繁" in text(response)


def test_asking_for_codes_too_often_is_limited_per_device(client):
    for n in range(30):
        assert form_post(client, "/signin", {"phone": f"1390000{n:04d}"}).status_code == 303
    response = form_post(client, "/signin", {"phone": "13900009999"})
    assert response.status_code == 429 and "这台设备" in text(response)


def test_a_wrong_phone_number_is_explained_and_kept(app, client):
    response = form_post(client, "/signin", {"phone": "1390000"})
    body = text(response)
    assert response.status_code == 422
    assert "请输入 11 位手机号码" in body and 'value="1390000"' in body
    with app.app_context():
        assert db.session.scalar(select(SmsCode)) is None


def test_a_wrong_id_number_is_explained_kept_and_not_stored(app, client):
    sign_in(client)
    bad = YOUNG_ID[:-1] + ("0" if YOUNG_ID[-1] != "0" else "1")
    response = form_post(client, "/me/verify", {"name": "王建国", "id_number": bad})
    body = text(response)
    assert response.status_code == 422
    assert "身份证号有误" in body and f'value="{bad}"' in body and 'value="王建国"' in body
    with app.app_context():
        assert db.session.scalar(select(Person.verified_at)) is None


def test_real_name_page_needs_sign_in(client):
    response = client.get("/me/verify")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_a_double_tap_on_get_code_goes_on_to_the_code_page(client):
    assert form_post(client, "/signin", {"phone": "13900000005"}).status_code == 303
    again = form_post(client, "/signin", {"phone": "139 0000 0005"})
    assert again.status_code == 303 and "/signin/code" in again.headers["Location"]
