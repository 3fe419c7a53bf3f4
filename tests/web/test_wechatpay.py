"""WeChat Pay API v3, offline: the test makes its own merchant and platform key pairs and plays
WeChat Pay on a local server. Our requests carry the documented WECHATPAY2-SHA256-RSA2048
signature; answers are accepted only when WeChat Pay signed them; a payment notice is verified,
its resource decrypted (AEAD_AES_256_GCM), and confirms the order once — tampered, stale,
replayed or foreign notices are refused and audit-logged; an order whose notice never came is
asked after and settled."""
import base64
import json
import re
import secrets
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from extensions import db
from services.audit import AuditEntry
from services.exchange.keys import remember_nonce
from services.payments import PaymentOrder, create_order, settle_unnotified
from services.registry import registry
from services.wechatpay import PaymentProviderError, WechatPay, parse_bill
from tests import factories
from tests.capture import serve
from tests.web.test_office import staff  # noqa: F401  (the staff fixture)

APIV3 = "0123456789abcdefghijklmnopqrstuv"  # 32 characters
MCHID, APPID, KEY_ID = "1900000109", "wxd678efh567hg6787", "PUB_KEY_ID_0114232134912410000000000000"


def _pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, private, public


MERCHANT, MERCHANT_PEM, MERCHANT_PUBLIC = _pair()
PLATFORM, _, PLATFORM_PUBLIC = _pair()
STRANGER, _, _ = _pair()


def wechat_signed(body: bytes, key=PLATFORM, serial=KEY_ID, timestamp=None, nonce=None) -> dict:
    timestamp, nonce = timestamp or str(int(time.time())), nonce or secrets.token_hex(16)
    signature = key.sign(f"{timestamp}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial,
            "Wechatpay-Signature": base64.b64encode(signature).decode()}


@pytest.fixture
def wechat(app, monkeypatch):
    capture, stop = serve()
    capture.signer = wechat_signed
    provider = WechatPay(MCHID, APPID, MERCHANT_PEM, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", PLATFORM_PUBLIC,
                         KEY_ID, APIV3, "http://localhost/api/v1/payments/wechat/notify", endpoint=capture.url,
                         nonces=remember_nonce)
    with app.app_context():
        sandbox, registry().payment_provider = registry().payment_provider, provider
    # The catalog's two contributions are collected by the tax bureau: here, as for any fee the
    # county collects itself, our provider takes the money.
    monkeypatch.setattr("services.payments.provider_for", lambda code: provider)
    monkeypatch.setattr("pwa.pay.provider_for", lambda code: provider)
    yield provider, capture
    with app.app_context():
        registry().payment_provider = sandbox
    stop()


def _order(app, key="k1") -> tuple[str, int]:
    with app.app_context():
        person = factories.person()
        item = app.extensions["catalog"].get("621027-BM-011")  # 城乡居民养老保险缴费, by grade
        order = create_order(item, person, {"grade": item.fee_schedule[0].label}, [], key)
        return order.number, order.amount_fen


def transaction(number: str, amount: int, state="SUCCESS", mchid=MCHID) -> dict:
    return {"mchid": mchid, "appid": APPID, "out_trade_no": number, "transaction_id": "4200000985202611260000000001",
            "trade_type": "NATIVE", "trade_state": state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
            "success_time": "2026-11-26T10:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": amount, "payer_total": amount, "currency": "CNY", "payer_currency": "CNY"}}


def notice(number: str, amount: int, **changes) -> bytes:
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay sends
    plain = json.dumps(changes.pop("transaction", None) or transaction(number, amount)).encode()
    ciphertext = AESGCM(APIV3.encode()).encrypt(nonce.encode(), plain, b"transaction")
    return json.dumps({"id": "EV-2018022511223320873", "create_time": "2026-11-26T10:00:05+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功", "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                                       "ciphertext": base64.b64encode(ciphertext).decode(),
                                                       "associated_data": "transaction", "nonce": nonce}}).encode()


def test_our_requests_carry_the_documented_signature_and_only_signed_answers_count(app, wechat):
    provider, capture = wechat
    capture.routes = {"/v3/pay/transactions/native": {"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}}
    number, amount = _order(app)
    with app.app_context():
        order = db.session.scalar(select(PaymentOrder))
        assert provider.code_url(order) == "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    seen = capture.seen[0]
    fields = dict(re.findall(r'(\w+)="([^"]*)"', seen.header("Authorization")))
    assert seen.header("Authorization").startswith("WECHATPAY2-SHA256-RSA2048 ") and fields["mchid"] == MCHID
    message = f"POST\n/v3/pay/transactions/native\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode() + \
        seen.body + b"\n"
    MERCHANT.public_key().verify(base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256())
    body = json.loads(seen.body)
    assert (body["out_trade_no"], body["amount"], body["mchid"]) == (number, {"total": amount, "currency": "CNY"}, MCHID)
    assert body["time_expire"].endswith("+08:00")  # China time, whatever the server's zone
    capture.signer = lambda out: wechat_signed(out, key=STRANGER)  # someone in between answers
    with app.app_context(), pytest.raises(PaymentProviderError, match="签名不对"):
        provider.code_url(db.session.scalar(select(PaymentOrder)))


def test_a_kiosk_shows_wechats_code_for_the_order_and_asks_for_it_once(app, wechat):
    from services.payments import scan_to_pay_url

    provider, capture = wechat
    capture.routes = {"/v3/pay/transactions/native": {"code_url": "weixin://wxpay/bizpayurl?pr=once"}}
    _order(app)
    with app.app_context():
        order = db.session.scalar(select(PaymentOrder))
        assert scan_to_pay_url(provider, order) == scan_to_pay_url(provider, order) == "weixin://wxpay/bizpayurl?pr=once"
    assert len(capture.seen) == 1


def test_a_verified_notice_pays_the_order_once_and_forged_stale_or_replayed_ones_are_refused(app, client, wechat):
    number, amount = _order(app)
    url = "/api/v1/payments/wechat/notify"
    body = notice(number, amount)

    def post(data, headers):
        return client.post(url, data=data, headers={**headers, "Content-Type": "application/json"})

    assert post(body, wechat_signed(body, key=STRANGER)).status_code == 401  # not WeChat Pay's key
    assert post(body, wechat_signed(body, serial="PUB_KEY_ID_OTHER")).status_code == 401
    assert post(body, wechat_signed(body, timestamp=str(int(time.time()) - 301))).status_code == 401  # stale
    tampered = body.replace(b'"summary"', b'"Summary"')
    assert post(tampered, wechat_signed(body)).status_code == 401
    foreign = notice(number, amount, transaction=transaction(number, amount, mchid="1900000999"))
    assert post(foreign, wechat_signed(foreign)).status_code == 401  # another merchant's payment
    headers = wechat_signed(body)
    paid = post(body, headers)
    assert paid.status_code == 204 and paid.data == b""
    assert post(body, headers).status_code == 401  # the very same notice again: a replay
    with app.app_context():
        order = db.session.scalar(select(PaymentOrder))
        assert (order.status, order.provider_txn) == ("paid", "4200000985202611260000000001")
        refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment_refused")).all()
        assert len(refused) == 6
    again = notice(number, amount)  # WeChat Pay retrying with a fresh nonce: answered, changes nothing
    assert post(again, wechat_signed(again)).status_code == 204
    cheaper = notice(number, amount - 100)
    assert post(cheaper, wechat_signed(cheaper)).status_code == 409


def test_an_order_whose_notice_never_came_is_asked_after_and_settled(app, wechat):
    from datetime import timedelta

    from services.clock import utcnow

    provider, capture = wechat
    number, amount = _order(app)
    capture.routes = {f"/v3/pay/transactions/out-trade-no/{number}": transaction(number, amount)}
    with app.app_context():
        assert settle_unnotified(provider) == 0  # too soon to ask
        assert settle_unnotified(provider, now=utcnow() + timedelta(minutes=4)) == 0  # not at 4 minutes: at 2, 3, 5 …
        assert settle_unnotified(provider, now=utcnow() + timedelta(minutes=3, seconds=10)) == 1
        order = db.session.scalar(select(PaymentOrder))
        assert order.status == "paid" and order.receipt_no
    assert capture.seen[-1].path == f"/v3/pay/transactions/out-trade-no/{number}?mchid={MCHID}"


def test_a_trade_bill_is_read_row_by_row_without_its_summary():
    bill = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
            "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
            "手续费,费率,订单金额,申请退款金额,费率备注\n"
            "`2026-11-25 10:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000985202611250000000001,"
            "`PO26112500001,`oUpF8u,`NATIVE,`SUCCESS,`OTHERS,`CNY,`200.00,`0.00,`0,`0,`0.00,`0.00,`,`,"
            "`城乡居民养老保险缴费,`,`0.00,`0.60%,`200.00,`0.00,`\n"
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n"
            "`1,`200.00,`0.00,`0.00,`0.00,`200.00,`0.00\n")
    from datetime import datetime

    from services.clock import CHINA

    assert parse_bill(bill) == [{"order": "PO26112500001", "txn": "4200000985202611250000000001",
                                 "status": "SUCCESS", "amount_fen": 20000,
                                 "paid_at": datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)}]


def _bill(rows: list[tuple[str, int]], day) -> bytes:
    """A day's trade bill as WeChat Pay sends it: every trade that day (China time)."""
    header = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
              "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
              "手续费,费率,订单金额,申请退款金额,费率备注\n")
    lines = [f"`{day:%Y-%m-%d} 10:00:00,`{APPID},`{MCHID},`0,`,`42000{n:023d},`{number},`o,`NATIVE,`SUCCESS,`OTHERS,`CNY,"
             f"`{fen / 100:.2f},`0.00,`0,`0,`0.00,`0.00,`,`,`缴费,`,`0.00,`0.60%,`{fen / 100:.2f},`0.00,`\n"
             for n, (number, fen) in enumerate(rows)]
    return (header + "".join(lines) + "总交易单数,应结订单总金额\n`1,`0.00\n").encode()


@pytest.mark.usefixtures("staff")
def test_the_days_bill_is_reconciled_lost_notices_settled_and_differences_listed(app, wechat):
    import hashlib

    from services.clock import today
    from services.payments import confirm_paid
    from services.reconciliation import reconcile
    from tests.web.test_office import login

    provider, capture = wechat
    paid, _ = _order(app, "k-a")
    lost, _ = _order(app, "k-b")
    only_here, _ = _order(app, "k-d")
    with app.app_context():
        amount = db.session.scalar(select(PaymentOrder.amount_fen))
        confirm_paid(paid, amount, "T-A", "wechat")
        confirm_paid(only_here, amount, "T-D", "wechat")
    bill = _bill([(paid, amount), (lost, amount), ("PO-NOT-OURS", 5000)], today())
    capture.routes = {"/v3/bill/tradebill": {"hash_type": "SHA1", "hash_value": hashlib.sha1(bill).hexdigest(),
                                             "download_url": capture.url + "/v3/billdownload/file?token=T"},
                      "/v3/billdownload/file": bill}
    with app.app_context():
        report = reconcile(provider, today())
        kinds = {d["order"]: d["kind"] for d in report.differences}
        assert kinds == {lost: "settled_now", "PO-NOT-OURS": "unknown", only_here: "missing_there"}
        assert db.session.scalar(select(PaymentOrder.status).where(PaymentOrder.number == lost)) == "paid"
        assert (report.bill_count, report.our_count) == (3, 3) and len(report.open_differences) == 2
    page = login(app, "admin").get("/office/reconciliation").get_data(as_text=True)
    assert "PO-NOT-OURS" in page and "本站已支付、账单没有：请核查" in page and "已按账单补记为已支付" in page
    assert login(app, "chengguan").get("/office/reconciliation").status_code == 403


def test_cancelling_closes_the_order_at_wechat_first(app, client, wechat):
    from tests.conftest import form_post, sign_in

    provider, capture = wechat
    sign_in(client, "13900000001", "张桂兰", "622827195803150023")
    number, _ = _order(app, "k-c")
    with app.app_context():  # the order is hers
        from services.people.identity import Person

        order = db.session.scalar(select(PaymentOrder))
        order.person_id = db.session.scalar(select(Person.id).where(Person.phone == "13900000001"))
        db.session.commit()
    capture.routes = {f"/v3/pay/transactions/out-trade-no/{number}/close": b""}
    capture.status = 500  # WeChat Pay cannot be reached for a moment: the order stays open here too
    refused = form_post(client, f"/pay/orders/{number}", {})
    assert refused.status_code in (409, 422, 502) and "微信支付" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PaymentOrder.status)) == "pending"
    capture.status = 204
    form_post(client, f"/pay/orders/{number}", {})
    assert capture.seen[-1].path == f"/v3/pay/transactions/out-trade-no/{number}/close"
    assert json.loads(capture.seen[-1].body) == {"mchid": MCHID}
    with app.app_context():
        assert db.session.scalar(select(PaymentOrder.status)) == "cancelled"


def test_an_order_expired_here_is_paid_only_if_the_money_came_before_it_expired(app, wechat):
    from datetime import timedelta

    from services.clock import to_china, utcnow

    provider, capture = wechat
    number, amount = _order(app, "k-e")
    with app.app_context():
        order = db.session.scalar(select(PaymentOrder))
        expired_at = utcnow() - timedelta(minutes=5)
        order.created_at, order.expires_at, order.status = expired_at - timedelta(minutes=30), expired_at, "expired"
        db.session.commit()
    late = {**transaction(number, amount), "success_time": to_china(expired_at + timedelta(minutes=1)).isoformat()}
    capture.routes = {f"/v3/pay/transactions/out-trade-no/{number}": late}
    asked = expired_at - timedelta(minutes=30) + timedelta(minutes=45)  # 45 minutes after it was placed
    with app.app_context():
        assert settle_unnotified(provider, now=asked) == 0  # asked: paid after it expired, refused
        assert db.session.scalar(select(PaymentOrder.status)) == "expired"  # not revived, not paid
    in_time = {**late, "success_time": to_china(expired_at - timedelta(minutes=1)).isoformat(timespec="seconds")}
    capture.routes = {f"/v3/pay/transactions/out-trade-no/{number}": in_time}
    with app.app_context():
        settle_unnotified(provider, now=asked)
        order = db.session.scalar(select(PaymentOrder))
        assert order.status == "paid" and abs((to_china(order.paid_at) - to_china(expired_at)).total_seconds() + 60) < 2


def test_a_payment_early_in_the_china_morning_counts_on_that_china_day(app, wechat):
    """07:00 in China is 23:00 UTC the day before: the day's 对账 must still find it."""
    import hashlib
    from datetime import datetime, timedelta

    from services.clock import CHINA, today
    from services.payments import confirm_paid
    from services.reconciliation import reconcile

    provider, capture = wechat
    number, amount = _order(app, "k-m")
    morning = datetime.combine(today(), datetime.min.time(), CHINA) + timedelta(hours=7)
    with app.app_context():
        order = db.session.scalar(select(PaymentOrder))
        order.expires_at = morning + timedelta(minutes=30)
        db.session.commit()
        confirm_paid(number, amount, "T-M", "wechat", paid_at=morning)
    bill = _bill([(number, amount)], today())
    capture.routes = {"/v3/bill/tradebill": {"hash_type": "SHA1", "hash_value": hashlib.sha1(bill).hexdigest(),
                                             "download_url": capture.url + "/v3/billdownload/file?token=T"},
                      "/v3/billdownload/file": bill}
    with app.app_context():
        report = reconcile(provider, today())
        assert (report.our_count, report.open_differences) == (1, [])
