import html
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commands import DATA, seed_demo_people
from extensions import db
from services.audit import AuditEntry
from services.clock import utcnow
from services.outbox import OutboxMessage
from services.payments import PaymentOrder
from tests.conftest import form_post, sign_in

PENSION, MEDICAL = "621027-BM-011", "621027-BM-012"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def villager(app, client):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    sign_in(client, "13900000001")  # 张桂兰, known to the sandbox 医保 system with her household
    return client


def start(client, code, data):
    page = client.get(f"/pay/{code}").get_data(as_text=True)
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    return form_post(client, f"/pay/{code}", {"key": key, **data}), key


def order(app) -> PaymentOrder:
    with app.app_context():
        return db.session.scalar(select(PaymentOrder))


def test_pension_amount_comes_from_the_catalog_not_the_form(app, villager):
    response, _ = start(villager, PENSION, {"grade": "第五档", "amount": "1", "amount_fen": "1"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/pay/sandbox/PO")
    assert order(app).amount_fen == 100000  # 第五档 1,000 元


def test_medical_insurance_for_the_household_skips_who_has_paid(app, villager):
    page = text(villager.get(f"/pay/{MEDICAL}"))
    assert "李德福" in page and "已缴" in page and "演示数据：家庭成员和缴费情况来自演示接口" in page
    ids = re.findall(r'name="members" value="([0-9X]+)"(?! disabled)', villager.get(f"/pay/{MEDICAL}").get_data(as_text=True))
    response, _ = start(villager, MEDICAL, {"members": ["622827195803150023", "62282719560102001X"]})
    assert response.status_code == 303 and order(app).amount_fen == 80000
    assert len(ids) >= 2


@pytest.mark.parametrize("code,data,message", [
    (PENSION, {}, "请选择缴费档次"),
    (PENSION, {"grade": "第九十档"}, "请选择缴费档次"),
    (MEDICAL, {}, "请勾选要缴费的人"),
    (MEDICAL, {"members": ["62102720120506003X"]}, "请勾选要缴费的人"),  # already paid
    (MEDICAL, {"members": ["110105194912310021"]}, "请勾选要缴费的人"),  # not of this household
])
def test_bad_choices_are_explained_and_no_order_is_made(app, villager, code, data, message):
    response, _ = start(villager, code, data)
    assert response.status_code == 422 and message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentOrder)) == 0


def test_the_same_form_twice_is_one_order(app, villager):
    page = villager.get(f"/pay/{PENSION}").get_data(as_text=True)
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    first = form_post(villager, f"/pay/{PENSION}", {"key": key, "grade": "第一档"})
    second = form_post(villager, f"/pay/{PENSION}", {"key": key, "grade": "第一档"})
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentOrder)) == 1


def test_paying_on_the_sandbox_page_gives_an_electronic_receipt_and_an_sms(app, villager):
    response, _ = start(villager, PENSION, {"grade": "第三档"})
    checkout = response.headers["Location"]
    assert "500 元" in text(villager.get(checkout))
    done = form_post(villager, checkout, {"choice": "pay"})
    receipt = text(villager.get(done.headers["Location"]))
    paid = order(app)
    assert paid.status == "paid" and paid.receipt_no in receipt and "缴费成功" in receipt
    assert '<svg class="qr"' in receipt
    with app.app_context():
        sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("payment:%")))
    assert paid.receipt_no in sms.payload["text"]


def callback(app, client, number, amount_fen, secret=None, txn="T1"):
    provider = app.extensions["payment_provider"]
    if secret:
        from services.payment_provider import SandboxProvider
        provider = SandboxProvider(secret)
    body, headers = provider.notification(number, amount_fen, txn)
    return client.post("/api/v1/payments/sandbox/notify", data=body, headers=headers, content_type="application/json")


def test_five_parallel_callbacks_mark_the_order_paid_once(app, villager):
    start(villager, PENSION, {"grade": "第一档"})
    pending = order(app)
    answers = []

    def notify():
        with app.test_client() as provider_client:
            answers.append(callback(app, provider_client, pending.number, pending.amount_fen).status_code)

    threads = [threading.Thread(target=notify) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers)[0] == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.dedupe_key.like("payment:%"))) == 1
        assert db.session.scalar(select(PaymentOrder.status)) == "paid"


def test_forged_or_tampered_callbacks_are_refused_and_logged(app, villager):
    start(villager, PENSION, {"grade": "第一档"})
    pending = order(app)
    forged = callback(app, app.test_client(), pending.number, pending.amount_fen, secret="not-the-provider")
    tampered = callback(app, app.test_client(), pending.number, 1)  # signed, but the amount is wrong
    assert forged.status_code == 401 and tampered.status_code == 409
    with app.app_context():
        reasons = [e.detail["reason"] for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment_refused").order_by(AuditEntry.id))]
        assert reasons == ["signature", "amount"] and db.session.scalar(select(PaymentOrder.status)) == "pending"


def test_an_unpaid_order_expires_and_can_no_longer_be_paid(app, villager):
    start(villager, PENSION, {"grade": "第一档"})
    with app.app_context():
        pending = db.session.scalar(select(PaymentOrder))
        pending.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        number, amount = pending.number, pending.amount_fen
    assert "已过期" in text(villager.get(f"/pay/orders/{number}"))
    assert callback(app, app.test_client(), number, amount).status_code == 409


def test_a_pending_order_can_be_cancelled_and_a_paid_one_cannot(app, villager):
    start(villager, PENSION, {"grade": "第一档"})
    number = order(app).number
    assert "已取消" in text(form_post(villager, f"/pay/orders/{number}", {}))
    start(villager, PENSION, {"grade": "第二档"})
    with app.app_context():
        paid = db.session.scalar(select(PaymentOrder).where(PaymentOrder.status == "pending"))
        number2, amount2 = paid.number, paid.amount_fen
    callback(app, app.test_client(), number2, amount2)
    refused = form_post(villager, f"/pay/{PENSION}", {}, post_url=f"/pay/orders/{number2}")
    assert "不能取消" in text(refused) and order_status(app, number2) == "paid"


def order_status(app, number):
    with app.app_context():
        return db.session.scalar(select(PaymentOrder.status).where(PaymentOrder.number == number))


def test_another_person_cannot_see_the_order(app, villager):
    start(villager, PENSION, {"grade": "第一档"})
    other = app.test_client()
    sign_in(other, "13900000002")
    assert other.get(f"/pay/orders/{order(app).number}").status_code == 404


def test_when_the_insurance_system_is_down_the_page_says_so_and_stores_nothing(app, villager, monkeypatch):
    from services.exchange.http import HttpAdapter

    monkeypatch.setitem(app.extensions["exchange"], "ybj", HttpAdapter("ybj", "http://127.0.0.1:9", "s", timeout=0.5))
    response = villager.get(f"/pay/{MEDICAL}")
    assert response.status_code == 503 and "部门系统暂时无法访问，请稍后再试" in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentOrder)) == 0


def test_contributions_the_tax_bureau_collects_go_to_its_channel_not_ours(app, villager, monkeypatch):
    """养老保险 and 医保 are collected by 税务: the money goes through the tax bureau's channel (in the
    demo, its marked sandbox), never our payment provider; without a link to that channel the page
    says where to pay instead."""
    from services.payment_provider import NoTaxChannel
    from services.registry import registry

    guide = text(villager.get(f"/items/{PENSION}"))
    assert "由税务部门征收" in guide
    response, _ = start(villager, PENSION, {"grade": "第一档"})
    checkout = text(villager.get(response.headers["Location"]))
    assert "演示税务缴费渠道" in checkout and "由税务部门征收" in checkout
    with app.app_context():
        assert registry().tax_channel.scan_token_ok(order(app).number,
                                                   registry().tax_channel._scan_token(order(app).number))
        assert not registry().payment_provider.scan_token_ok(order(app).number,
                                                            registry().tax_channel._scan_token(order(app).number))
    paid = form_post(villager, response.headers["Location"], {"choice": "pay"})
    assert paid.status_code == 303 and order(app).status == "paid"
    with app.app_context():
        monkeypatch.setattr(registry(), "tax_channel", NoTaxChannel())
    handoff = text(villager.get(f"/pay/{MEDICAL}"))
    assert "还没有接入税务部门的缴费渠道" in handoff and "甘肃税务" in handoff and 'name="members"' not in handoff
