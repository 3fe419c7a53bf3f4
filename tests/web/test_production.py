"""The production start, with every outside system real and run locally: the app starts with
APP_ENV=production only when no sandbox is configured, then a villager signs in through the
province's OpenID provider (oidc-provider-mock), applies with a photo (kept in a local S3 server,
moto), the SMS goes out through Alibaba Cloud's API and the department is told (local servers
playing them), the window hands over the electronic result, and a contribution is paid through
WeChat Pay v3 (a local server signing with keys made here). Posting through 快递100 is walked in
tests/web/test_kuaidi100.py."""
import base64
import io
import json
import re
import secrets
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case
from services.outbox import OutboxMessage, drain
from services.payments import PaymentOrder
from services.people.staff import create_account
from services.places import township_id_by_name
from services.registry import install
from services.sms import PARAMETERS
from tests import images
from tests.capture import serve
from tests.conftest import csrf_token_from, staff_sign_in
from tests.web.test_apply import FIELDS, ID_A
from tests.web.test_wechatpay import (
    APIV3,
    KEY_ID,
    MCHID,
    MERCHANT_PEM,
    PLATFORM_PUBLIC,
    transaction,
    wechat_signed,
)
from wsgi import create_app

SYSTEMS = ("clj", "czj", "gaj", "gjj", "hbj", "mzj", "rsj", "wjj", "ybj")


def _signed_by_department(body: bytes) -> dict:
    """Department systems answer signed, as every one does."""
    import time

    from services.exchange.http import sign

    stamp = str(int(time.time()))
    return {"X-Timestamp": stamp, "X-Signature": sign("dept-secret", stamp, body)}


@pytest.fixture
def outside(tmp_path):
    """Every outside system, running on this machine."""
    from moto.server import ThreadedMotoServer
    from oidc_provider_mock import User, run_server_in_thread

    servers = {name: serve() for name in ("sms", "wechat", "kuaidi100", "department")}
    sms, wechat, kuaidi, department = (servers[n][0] for n in ("sms", "wechat", "kuaidi100", "department"))
    sms.reply = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R1"}
    wechat.signer = wechat_signed
    department.signer = _signed_by_department
    wechat.routes = {"/v3/pay/transactions/h5": {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"}}
    kuaidi.routes = {"/label/order": {"success": True, "code": 200, "data": {"kuaidinum": "1151234567890"}},
                     "/poll": {"result": True, "returnCode": "200", "message": "提交成功"}}
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    (tmp_path / "merchant.pem").write_text(MERCHANT_PEM)
    (tmp_path / "platform.pem").write_text(PLATFORM_PUBLIC)
    users = [User(sub="gs-9", claims={"name": "李秀英", "id_number": ID_A, "phone_number": "13900000001",
                                      "phone_number_verified": True})]
    with run_server_in_thread(user_claims=users) as provider:
        yield {"servers": {n: s[0] for n, s in servers.items()}, "s3": f"http://{host}:{port}",
               "oidc": f"http://localhost:{provider.server_port}", "keys": tmp_path}
    s3.stop()
    for _, stop in servers.values():
        stop()


def production_config(outside, database_url) -> dict:
    s = outside["servers"]
    return {
        "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "AUDIT_KEY": secrets.token_hex(32),
        "PERSONAL_DATA_KEYS": "2:" + secrets.token_hex(16), "BLIND_INDEX_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": "https://localhost",
        "SMS_SENDER": "aliyun", "SMS_SIGN_NAME": "镇原县政务服务", "SMS_ENDPOINT": s["sms"].url,
        "SMS_TEMPLATES": json.dumps({kind: f"SMS_{n}" for n, kind in enumerate(PARAMETERS)}),
        "ALIYUN_ACCESS_KEY_ID": "LTAI-prod", "ALIYUN_ACCESS_KEY_SECRET": "secret",
        "PAYMENT_PROVIDER": "wechat", "WECHATPAY_MCHID": MCHID, "WECHATPAY_APPID": "wxd678efh567hg6787",
        "WECHATPAY_PRIVATE_KEY_FILE": str(outside["keys"] / "merchant.pem"), "WECHATPAY_CERT_SERIAL": "5157F09E",
        "WECHATPAY_PUBLIC_KEY_FILE": str(outside["keys"] / "platform.pem"), "WECHATPAY_PUBLIC_KEY_ID": KEY_ID,
        "WECHATPAY_APIV3_KEY": APIV3, "WECHATPAY_ENDPOINT": s["wechat"].url,
        "CARRIER": "kuaidi100", "KUAIDI100_KEY": "kd", "KUAIDI100_SECRET": "kds", "KUAIDI100_CUSTOMER": "C1",
        "KUAIDI100_SALT": "salt", "KUAIDI100_ENDPOINT": s["kuaidi100"].url, "KUAIDI100_POLL_ENDPOINT": s["kuaidi100"].url,
        "KUAIDI100_SENDER": json.dumps({"name": "镇原县政务服务中心", "mobile": "09348622415", "printAddr": "镇原县"}),
        "IDENTITY_PROVIDER": "oidc", "OIDC_ISSUER": outside["oidc"], "OIDC_CLIENT_ID": "zhenyuan",
        "OIDC_CLIENT_SECRET": "s3cret", "BUSINESS_REGISTRY": "none", "TAX_CHANNEL": "none",
        "STORAGE": "s3", "S3_BUCKET": "zhenyuan-prod", "S3_ENDPOINT_URL": outside["s3"], "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test",
        "EXCHANGE": json.dumps({system: {"kind": "http", "url": s["department"].url + f"/{system}",
                                         "secret": "dept-secret"} for system in SYSTEMS}),
    }


def test_production_refuses_any_sandbox_and_names_it(outside, database_url):
    config = production_config(outside, database_url)
    for setting, sandbox, named in (("SMS_SENDER", "sandbox", "SMS_SENDER"), ("PAYMENT_PROVIDER", "sandbox", "PAYMENT_PROVIDER"),
                                    ("CARRIER", "sandbox", "CARRIER"), ("BUSINESS_REGISTRY", "sandbox", "BUSINESS_REGISTRY"),
                                    ("TAX_CHANNEL", "sandbox", "TAX_CHANNEL")):
        with pytest.raises(RuntimeError, match=named):
            create_app({**config, setting: sandbox})
    with pytest.raises(RuntimeError, match="部门系统 wjj 的演示接口"):
        exchange = json.loads(config["EXCHANGE"])
        del exchange["wjj"]
        create_app({**config, "EXCHANGE": json.dumps(exchange)})


def _post(client, page: str, data: dict, url: str | None = None, **kwargs):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url or page, data={"csrf_token": token, **data}, **kwargs)


def test_a_production_start_walks_sign_in_apply_deliver_and_pay(app, outside, database_url, monkeypatch):
    production = create_app(production_config(outside, database_url))
    servers = outside["servers"]
    try:
        with production.app_context():
            production.extensions["storage"].client.create_bucket(Bucket="zhenyuan-prod")
            create_account("chengguan", "Window-prod-2026", "李娜", "window", township_id_by_name("城关镇"))
        villager = production.test_client()
        villager.environ_base["wsgi.url_scheme"] = "https"  # cookies are Secure in production

        # 一点登录 at the province
        start = villager.get("/signin/province?next=/my")
        back = requests.post(start.headers["Location"], data={"sub": "gs-9"}, allow_redirects=False, timeout=10)
        callback = urlsplit(back.headers["Location"])
        assert villager.get(f"{callback.path}?{callback.query}").status_code == 303

        # Apply for 生育登记 with a photo: kept in the object store
        code = "621027-BM-004"
        with production.app_context():
            township = township_id_by_name("城关镇")
        assert _post(villager, f"/apply/{code}", {**FIELDS, "township_id": str(township)}).status_code == 303
        assert _post(villager, f"/apply/{code}/materials", {"material": "pregnancy_proof",
                                                            "files": (io.BytesIO(images.photo_with_gps()), "b.jpg")},
                     content_type="multipart/form-data").status_code == 303
        page = villager.get(f"/apply/{code}/check").get_data(as_text=True)
        key = re.search(r'name="draft_key" value="([0-9a-f]+)"', page).group(1)
        assert _post(villager, f"/apply/{code}/check", {"draft_key": key}, url=f"/apply/{code}/submit").status_code == 303
        with production.app_context():
            case = db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
            case_id, number = case.id, case.number
            stored = production.extensions["storage"].client.list_objects_v2(Bucket="zhenyuan-prod")["KeyCount"]
            assert stored == 1
            assert drain(production.extensions["senders"]) == (2, 0)  # the SMS and the department's notice
        assert servers["sms"].seen[0].header("Authorization").startswith("ACS3-HMAC-SHA256 ")
        assert servers["department"].seen[0].path == "/wjj/events"

        # The window accepts, approves and hands over the electronic result: kept in the store too
        clerk = production.test_client()
        clerk.environ_base["wsgi.url_scheme"] = "https"
        assert staff_sign_in(production, clerk, "chengguan", "Window-prod-2026", post=_post).status_code == 303
        for name, data, kwargs in (("accept", {}, {}), ("complete", {"decision": "approved"}, {}),
                                   ("deliver", {"method": "electronic", "result": (io.BytesIO(images.pdf()), "登记卡.pdf")},
                                    {"content_type": "multipart/form-data"})):
            response = _post(clerk, f"/office/cases/{case_id}", data, url=f"/office/cases/{case_id}/act/{name}", **kwargs)
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
        timeline = villager.get(f"/my/{number}").get_data(as_text=True)
        result = re.search(r'href="([^"]+)">办理结果：登记卡.pdf', timeline).group(1)
        assert villager.get(result).data == images.pdf()
        with production.app_context():
            assert production.extensions["storage"].client.list_objects_v2(Bucket="zhenyuan-prod")["KeyCount"] == 2

        # 养老保险 is collected by the tax bureau, whose channel is not linked: where to pay it, no order
        pension = "621027-BM-011"
        handoff = villager.get(f"/pay/{pension}").get_data(as_text=True)
        assert "由税务部门征收" in handoff and "甘肃税务" in handoff and 'name="grade"' not in handoff

        # A fee the county collects itself goes through WeChat Pay (H5), confirmed by its signed notice
        import pwa.pay
        import services.payments

        wechat = production.extensions["payment_provider"]
        monkeypatch.setattr(services.payments, "provider_for", lambda code: wechat)
        monkeypatch.setattr(pwa.pay, "provider_for", lambda code: wechat)
        form = villager.get(f"/pay/{pension}").get_data(as_text=True)
        grade = re.search(r'name="grade" value="([^"]+)"', form).group(1)
        key = re.search(r'name="key" value="([0-9a-f]+)"', form).group(1)
        ordered = _post(villager, f"/pay/{pension}", {"grade": grade, "key": key})
        assert ordered.status_code == 303 and ordered.headers["Location"].endswith("/wechat")
        to_wechat = villager.get(ordered.headers["Location"])
        assert to_wechat.headers["Location"].startswith("https://wx.tenpay.com/") and "redirect_url=" in to_wechat.headers["Location"]
        with production.app_context():
            order = db.session.scalar(select(PaymentOrder).order_by(PaymentOrder.id.desc()).limit(1))
            order_number, amount = order.number, order.amount_fen
        nonce = secrets.token_hex(6)
        ciphertext = AESGCM(APIV3.encode()).encrypt(nonce.encode(), json.dumps(transaction(order_number, amount)).encode(),
                                                    b"transaction")
        body = json.dumps({"id": "EV-1", "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",
                           "resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                                        "associated_data": "transaction", "nonce": nonce}}).encode()
        notified = production.test_client().post("/api/v1/payments/wechat/notify", data=body,
                                                  headers={**wechat_signed(body), "Content-Type": "application/json"},
                                                  base_url="https://localhost")
        assert notified.status_code == 204
        with production.app_context():
            assert db.session.scalar(select(PaymentOrder.status).where(PaymentOrder.number == order_number)) == "paid"
            sent = drain(production.extensions["senders"])
            assert sent[1] == 0 and db.session.scalar(select(OutboxMessage.status).where(
                OutboxMessage.dedupe_key == f"payment:{order_number}:paid")) == "sent"
    finally:
        install(app.extensions["registry"])  # the session's app serves the other tests
