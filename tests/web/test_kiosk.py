"""The kiosk front end through its pages: registration and binding, identifying by card or
keypad, what a visit may see, leaving, the scanner, payments by QR, and the console's view."""
import re
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from services import kiosks
from services.attempts import Attempt
from services.cases.drafts import Draft
from services.kiosks import SIMULATED_CARD, Kiosk, KioskVisit
from services.people.identity import Person
from tests.conftest import (
    DEMO_CODE,
    bind_kiosk,
    csrf_token_from,
    form_post,
    register_kiosk,
    sign_in,
    staff_sign_in,
)

BIRTH = "621027-BM-004"
SEED_PHONE = "13900000001"  # 张桂兰, whose card the simulated reader reads


def _seed(app):
    result = app.test_cli_runner().invoke(args=["seed", "--without-cases"])
    assert result.exit_code == 0, result.output
    return result.output


def _submitted(app, phone_client) -> str:
    """A birth registration submitted on the phone: its case number."""
    from tests.web.test_apply import apply_fully

    location, _ = apply_fully(app, phone_client)
    return location.split("/")[-2]


def _card(name: str, number: str, born: str, sex: str, until: str = "长期") -> dict:
    return {"name": name, "id_number": number, "born": born, "sex": sex, "valid_until": until}


def test_an_unregistered_browser_sees_not_registered(app, client):
    response = client.get("/kiosk/")
    assert response.status_code == 403
    assert "本机未登记" in response.get_data(as_text=True)
    assert client.get(f"/kiosk/apply/{BIRTH}").status_code == 403


def test_the_setup_link_binds_one_browser_once_and_a_preview_binds_nothing(app, client, kiosk):
    _seed(app)
    kiosk_id, token = register_kiosk(app)
    assert client.get(f"/kiosk/setup/{token}").status_code == 200  # a link preview: nothing bound
    assert client.get(f"/kiosk/setup/{token}").status_code == 200
    assert client.get("/kiosk/").status_code == 403
    bind_kiosk(client, token)
    assert client.get("/kiosk/").status_code == 200
    other = app.test_client()
    page = other.get(f"/kiosk/setup/{token}")
    assert page.status_code == 404 and "已用过或已过期" in page.get_data(as_text=True)
    cookie = client.get_cookie("kiosk_device", path="/kiosk")
    assert cookie.http_only and cookie.same_site == "Strict"
    with app.app_context():
        kiosk = db.session.get(Kiosk, kiosk_id)
        assert kiosk.device_hash and cookie.value not in (kiosk.device_hash, kiosk.setup_hash)


def test_a_disabled_kiosk_stops_at_once_and_comes_back_when_enabled(app, client, kiosk):
    _seed(app)
    kiosk_id = kiosk.register()
    assert kiosk.identify().status_code == 303
    admin = app.test_client()
    staff_sign_in(app, admin, "admin", "Admin-demo-2026")
    assert form_post(admin, "/office/kiosks", {"active": "0"}, post_url=f"/office/kiosks/{kiosk_id}/active").status_code == 303
    stopped = client.get("/kiosk/my")
    assert stopped.status_code == 403 and "本机已停用" in stopped.get_data(as_text=True)
    form_post(admin, "/office/kiosks", {"active": "1"}, post_url=f"/office/kiosks/{kiosk_id}/active")
    assert client.get("/kiosk/").status_code == 200
    log = admin.get("/office/audit").get_data(as_text=True)
    assert "停用自助终端" in log and "启用自助终端" in log


def test_kiosk_pages_are_never_stored_and_may_call_the_reader(app, client, kiosk):
    _seed(app)
    kiosk.register(reader="huashi", reader_url="http://127.0.0.1:19196/readcard")
    response = client.get("/kiosk/identify")
    assert response.headers["Cache-Control"] == "no-store"
    assert "connect-src 'self' http://127.0.0.1:19196" in response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_a_reader_outside_the_kiosk_pc_is_refused(app):
    import pytest

    from services.errors import DomainError

    with pytest.raises(DomainError, match="本机地址"):
        register_kiosk(app, reader="huashi", reader_url="http://evil.example/readcard")


def test_a_card_identifies_a_verified_person_with_the_code_sent_to_their_phone(app, client, kiosk):
    _seed(app)
    kiosk.register()
    response = form_post(client, "/kiosk/identify", SIMULATED_CARD, post_url="/kiosk/identify/card")
    assert "/kiosk/identify/code" in response.headers["Location"]  # no phone to type: it is on file
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "139****0001" in page
    code = DEMO_CODE.search(page).group(1)
    assert form_post(client, "/kiosk/identify/code", {"code": code}).status_code == 303
    assert "我的办件" in client.get("/kiosk/my").get_data(as_text=True)
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.phone == SEED_PHONE))
        assert person.verified_via == "id_card"  # the chip upgraded a typed real name


def test_a_first_real_name_comes_from_the_card_with_a_rare_character(app, client, kiosk):
    _seed(app)
    kiosk.register()
    card = _card("王𠈌", "110101199003070011", "19900307", "男", "20350101")
    response = kiosk.identify(card, phone="13700000011")
    assert response.status_code == 303
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.phone == "13700000011"))
        assert (person.name, person.id_number, person.verified_via) == ("王𠈌", "110101199003070011", "id_card")


def test_a_typed_number_identifies_only_someone_already_verified(app, client, kiosk):
    _seed(app)
    kiosk.register()
    # Not verified yet: a typed number cannot make a first real name.
    form_post(client, "/kiosk/identify/number", {"id_number": "110101199003070011"})
    response = form_post(client, "/kiosk/identify/phone", {"phone": "13700000012"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    refused = form_post(client, "/kiosk/identify/code", {"code": DEMO_CODE.search(page).group(1)})
    assert refused.status_code == 422 and "请把身份证放在读卡器上" in refused.get_data(as_text=True)
    assert client.get("/kiosk/my").status_code == 302  # not identified
    # Verified: the number and the code to the phone on file are enough.
    other = kiosk.another(name="测试终端 B").client
    form_post(other, "/kiosk/identify/number", {"id_number": SIMULATED_CARD["id_number"]})
    response = form_post(other, "/kiosk/identify/phone", {"phone": SEED_PHONE})
    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert form_post(other, "/kiosk/identify/code", {"code": DEMO_CODE.search(page).group(1)}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Person.verified_via).where(Person.phone == SEED_PHONE)) == "typed"


def test_someone_elses_phone_does_not_identify_a_card(app, client, kiosk):
    _seed(app)
    kiosk.register()
    card = _card("李䶮", "110101199003070038", "19900307", "男")
    response = kiosk.identify(card, phone=SEED_PHONE)  # 张桂兰's phone
    assert response.status_code == 422
    assert "已实名为其他人" in response.get_data(as_text=True)


def test_cards_the_server_does_not_believe_are_refused(app, client, kiosk):
    _seed(app)
    kiosk.register()
    expired = _card("赵大海", "110101199003070011", "19900307", "男", "20200101")
    forged_birth = _card("赵大海", "110101199003070011", "19900308", "男")
    wrong_sex = _card("赵大海", "110101199003070011", "19900307", "女")
    bad_number = _card("赵大海", "110101199003070012", "19900307", "男")
    for card, message in ((expired, "已于 2020年01月01日 过期"), (forged_birth, "读卡信息不一致"),
                          (wrong_sex, "读卡信息不一致"), (bad_number, "身份证号")):
        response = form_post(client, "/kiosk/identify", card, post_url="/kiosk/identify/card")
        assert response.status_code == 422, card
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert all(v.card is None for v in db.session.scalars(select(KioskVisit)))


def test_codes_asked_at_a_kiosk_count_against_the_kiosk_not_its_address(app, client, kiosk):
    _seed(app)
    kiosk_id = kiosk.register()
    kiosk.identify()
    with app.app_context():
        keys = set(db.session.scalars(select(Attempt.key)))
    assert f"signin-send:kiosk:{kiosk_id}" in keys
    assert not any("127.0.0.1" in k for k in keys)


def test_a_kiosk_visit_sees_only_the_identified_persons_cases(app, client, kiosk):
    _seed(app)
    phone = app.test_client()
    sign_in(phone, "13900000002")  # 王建国 has a case
    number = _submitted(app, phone)
    kiosk.register()
    kiosk.identify()  # 张桂兰
    assert client.get(f"/kiosk/my/{number}").status_code == 404
    assert client.get(f"/kiosk/cases/{number}/receipt").status_code == 404
    assert number not in client.get("/kiosk/my").get_data(as_text=True)


def test_leaving_ends_the_visit_and_drafts_go_unless_kept(app, client, kiosk):
    _seed(app)
    kiosk_id = kiosk.register()
    kiosk.identify(next_url=f"/kiosk/apply/{BIRTH}")
    assert client.get(f"/kiosk/apply/{BIRTH}").status_code == 200
    asked = form_post(client, "/kiosk/my", {"reason": "exit"}, post_url="/kiosk/leave")
    assert asked.status_code == 200 and "要保留吗" in asked.get_data(as_text=True)
    token = csrf_token_from(asked.get_data(as_text=True))
    gone = client.post("/kiosk/leave", data={"csrf_token": token, "reason": "exit", "keep": "0"})
    assert gone.status_code == 303 and gone.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/kiosk/my").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Draft).where(Draft.actor_kind == "kiosk")) is None
        visit = db.session.scalar(select(KioskVisit).where(KioskVisit.kiosk_id == kiosk_id))
        assert visit.ended_at is not None and visit.card is None and visit.phone is None
    # Kept: the draft goes on on the phone, with what was typed at the kiosk (the next kiosk along:
    # a phone gets one code a minute from each place).
    kiosk = kiosk.another(name="测试终端 B")
    client = kiosk.client
    kiosk.identify(next_url=f"/kiosk/apply/{BIRTH}")
    form_post(client, f"/kiosk/apply/{BIRTH}", {"husband_name": "阿卜杜·热合曼"})
    asked = form_post(client, "/kiosk/my", {"reason": "exit"}, post_url="/kiosk/leave")
    client.post("/kiosk/leave", data={"csrf_token": csrf_token_from(asked.get_data(as_text=True)),
                                      "reason": "exit", "keep": "1"})
    phone = app.test_client()
    sign_in(phone, SEED_PHONE)
    assert "阿卜杜·热合曼" in phone.get(f"/apply/{BIRTH}").get_data(as_text=True)


def test_a_visit_left_idle_ends_on_the_server_too(app, client, kiosk):
    _seed(app)
    kiosk.register()
    kiosk.identify()
    with app.app_context():
        visit = db.session.scalar(select(KioskVisit))
        visit.seen_at = visit.seen_at - kiosks.VISIT_IDLE - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/kiosk/my").status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(select(KioskVisit)).ended_at is not None


def test_the_scanner_opens_a_receipts_timeline_and_a_bookings_state(app, client, kiosk):
    _seed(app)
    phone = app.test_client()
    sign_in(phone, "13900000002")
    number = _submitted(app, phone)
    with app.app_context():
        from services.cases.lifecycle import Case, track_link

        link = track_link(db.session.scalar(select(Case).where(Case.number == number)))
    kiosk.register()
    opened = client.get("/kiosk/scan", query_string={"code": link}, follow_redirects=True)
    assert opened.status_code == 200 and "办理进度" in opened.get_data(as_text=True)
    assert opened.request.path == "/kiosk/shown"  # the address holds nothing of the case
    token = csrf_token_from(opened.get_data(as_text=True))
    client.post("/kiosk/leave", data={"csrf_token": token, "reason": "idle"})
    assert client.get("/kiosk/shown").headers["Location"] == "/kiosk/"  # back, after a reset: nothing
    by_number = client.get("/kiosk/scan", query_string={"code": number}, follow_redirects=True)
    assert by_number.request.path == "/kiosk/shown" and f'value="{number}"' in by_number.get_data(as_text=True)
    junk = client.get("/kiosk/scan", query_string={"code": "<script>"}, follow_redirects=True)
    assert "没有认出这个码" in junk.get_data(as_text=True)


def test_the_console_registers_kiosks_and_shows_their_state(app, client):
    _seed(app)
    admin = app.test_client()
    staff_sign_in(app, admin, "admin", "Admin-demo-2026")
    with app.app_context():
        from services.places import township_id_by_name

        tunzi = str(township_id_by_name("屯字镇"))  # ids differ by database: look it up
    page = form_post(admin, "/office/kiosks", {"name": "大厅 2 号机", "township_id": tunzi, "reader": "huashi",
                                               "reader_url": "http://127.0.0.1:19196/readcard"})
    html = page.get_data(as_text=True)
    link = re.search(r'data-setup-link>([^<]+)<', html).group(1)
    assert "/kiosk/setup/" in link and "待绑定" in html
    bind_kiosk(client, link.rsplit("/", 1)[1])
    client.post("/kiosk/health", data={"csrf_token": csrf_token_from(client.get("/kiosk/identify").get_data(as_text=True)),
                                       "device": "reader", "ok": "0", "message": "读卡服务无响应"})
    html = admin.get("/office/kiosks").get_data(as_text=True)
    assert "设备故障" in html and "身份证阅读器：故障 读卡服务无响应" in html
    window = app.test_client()
    staff_sign_in(app, window, "chengguan", "Window-demo-2026")
    assert window.get("/office/kiosks").status_code == 403


def test_make_run_prints_a_setup_link_for_the_demo_kiosk(app, client):
    output = _seed(app)
    link = re.search(r"http://\S+/kiosk/setup/(\S+)", output)
    assert link and "城关镇" in output
    bind_kiosk(client, link.group(1))
    assert "生育登记" in client.get("/kiosk/").get_data(as_text=True)


def test_read_aloud_audio_comes_from_the_server(app, client, kiosk):
    _seed(app)
    kiosk.register()
    response = client.get("/kiosk/speech", query_string={"text": "请把身份证放在读卡器上"})
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data[:4] == b"RIFF" and len(response.data) > 10000
    refused = client.get("/kiosk/speech", query_string={"text": ""})
    assert refused.status_code == 422 and "朗读" in refused.get_json()["error"]["message"]


def test_scanning_a_booking_slip_shows_its_state_without_the_patients_name(app, client, kiosk):
    _seed(app)
    phone = app.test_client()
    sign_in(phone, SEED_PHONE)
    with app.app_context():
        from services.appointments import ClinicSession

        session_id = db.session.scalar(select(ClinicSession.id).order_by(ClinicSession.day.desc()))
    booked = form_post(phone, f"/book/session/{session_id}", {"who": "self"})
    code = booked.headers["Location"].rsplit("/", 1)[1]
    kiosk.register()
    page = client.get("/kiosk/scan", query_string={"code": code}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert code not in page.request.url
    assert page.status_code == 200 and "已预约" in html
    assert "张**" in html and "张桂兰" not in html


def test_a_person_can_say_the_receipt_did_not_print_and_the_console_shows_it(app, client, kiosk):
    _seed(app)
    kiosk_id = kiosk.register()
    kiosk.identify()
    token = csrf_token_from(client.get("/kiosk/my").get_data(as_text=True))
    home = client.post("/kiosk/leave", data={"csrf_token": token, "reason": "printed"}, follow_redirects=True)
    page = home.get_data(as_text=True)
    assert "回执没打出来" in page
    with app.app_context():
        assert db.session.get(Kiosk, kiosk_id).health["printer"]["ok"] is True
    told = client.post("/kiosk/health", data={"csrf_token": csrf_token_from(page), "device": "printer", "ok": "0",
                                              "message": "群众反映回执没有打出来", "from": "person"}, follow_redirects=True)
    assert "已告诉工作人员" in told.get_data(as_text=True)
    with app.app_context():
        kiosk = db.session.get(Kiosk, kiosk_id)
        assert kiosk.state == "设备故障" and kiosk.health["printer"]["message"] == "群众反映回执没有打出来"


def test_kiosk_pages_are_rendered_for_each_visit_never_from_a_page_cache(app, client, kiosk):
    """A guide or a progress page cached for one kiosk would carry its 退出 and tokens to another."""
    _seed(app)
    kiosk.register(name="甲机")
    other = kiosk.another(name="乙机").client
    assert "乙机" in other.get(f"/kiosk/items/{BIRTH}").get_data(as_text=True)
    kiosk.identify()
    page = client.get(f"/kiosk/items/{BIRTH}").get_data(as_text=True)
    assert "甲机" in page and 'name="reason" value="exit"' in page


def test_kept_drafts_join_the_persons_own_draft_on_the_phone(app, client, kiosk):
    _seed(app)
    phone = app.test_client()
    sign_in(phone, SEED_PHONE)
    form_post(phone, f"/apply/{BIRTH}", {"address": "城关镇东关村三组"})
    kiosk.register()
    kiosk.identify(next_url=f"/kiosk/apply/{BIRTH}")
    form_post(client, f"/kiosk/apply/{BIRTH}", {"husband_name": "阿卜杜·热合曼"})
    asked = form_post(client, "/kiosk/my", {"reason": "exit"}, post_url="/kiosk/leave")
    client.post("/kiosk/leave", data={"csrf_token": csrf_token_from(asked.get_data(as_text=True)),
                                      "reason": "exit", "keep": "1"})
    page = phone.get(f"/apply/{BIRTH}").get_data(as_text=True)
    assert "阿卜杜·热合曼" in page and "城关镇东关村三组" in page
    with app.app_context():
        assert len(list(db.session.scalars(select(Draft).where(Draft.case_id.is_(None))))) == 1


def test_a_relative_who_scans_the_pay_qr_may_pay_but_not_cancel(app, client, kiosk):
    _seed(app)
    kiosk.register()
    kiosk.identify(next_url="/kiosk/pay/621027-BM-012")
    page = client.get("/kiosk/pay/621027-BM-012").get_data(as_text=True)
    member = re.search(r'name="members" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    order = client.post("/kiosk/pay/621027-BM-012", data={"csrf_token": csrf_token_from(page), "members": member,
                                                           "key": key}, follow_redirects=True)
    html = order.get_data(as_text=True)
    number = order.request.path.rsplit("/", 1)[1]
    with app.app_context():
        from services.registry import registry

        link = registry().tax_channel.scan_path(number)  # 医保: collected by the tax bureau
    relative = app.test_client()
    sign_in(relative, "13900000002")  # signed in as someone else: the QR is still theirs to pay
    refused = form_post(relative, link, {"choice": "cancel"})
    assert refused.status_code == 422 and "扫码只能付款" in refused.get_data(as_text=True)
    paid = form_post(relative, link, {"choice": "pay"}, follow_redirects=True)
    assert paid.status_code == 200 and "已支付" in paid.get_data(as_text=True)
    assert "缴费成功" in client.get(f"/kiosk/pay/orders/{number}").get_data(as_text=True)
    assert "演示环境" in html and "请用手机微信或支付宝扫码支付" in html
    assert relative.get(link.replace("?t=", "?t=x")).status_code == 404


def test_a_kiosk_is_registered_only_for_a_real_township_and_a_simulated_reader_never_in_production(app):
    import pytest

    from services.errors import DomainError
    from services.registry import registry

    _seed(app)
    with pytest.raises(DomainError, match="请选择乡镇"):
        register_kiosk(app, township="没有这个镇")
    with app.app_context():
        registry().production = True
    try:
        with pytest.raises(DomainError, match="正式环境不能使用模拟读卡"):
            register_kiosk(app)
    finally:
        with app.app_context():
            registry().production = False


def test_what_a_scan_showed_is_gone_once_a_visit_would_have_ended(app, client, kiosk):
    _seed(app)
    kiosk.register()
    client.get("/kiosk/scan", query_string={"code": "ZY261126000010"})  # a receipt's barcode
    assert client.get("/kiosk/shown").status_code == 200
    with client.session_transaction() as session:
        session["kiosk_shown"][-1] -= kiosks.VISIT_IDLE.total_seconds() + 1
        session.modified = True
    assert client.get("/kiosk/shown").headers["Location"] == "/kiosk/"


def test_going_home_forgets_what_was_scanned(app, client, kiosk):
    _seed(app)
    kiosk.register()
    client.get("/kiosk/scan", query_string={"code": "ZY261126000010"})
    client.get("/kiosk/")
    assert client.get("/kiosk/shown").headers["Location"] == "/kiosk/"


def test_every_question_is_asked_once_even_an_optional_one_and_a_clash_shows_where_it_is_typed(app, client, kiosk):
    _seed(app)
    kiosk.register()
    kiosk.identify(next_url="/kiosk/apply/621027-BM-007")  # 残疾人证申领: 监护人 is optional
    asked = []
    for _ in range(6):
        page = client.get("/kiosk/apply/621027-BM-007", follow_redirects=True)
        html = page.get_data(as_text=True)
        if "/materials" in page.request.path:
            break
        field = re.search(r'/kiosk/apply/621027-BM-007\?field=(\w+)', html).group(1)
        asked.append(field)
        options = re.findall(r'name="(\w+)" value="([^"]+)"', html)
        data = {name: value for name, value in options if name != "csrf_token"}
        client.post(f"/kiosk/apply/621027-BM-007?field={field}",
                    data={"csrf_token": csrf_token_from(html), **data})
    assert "guardian" in asked and len(asked) == len(set(asked))
