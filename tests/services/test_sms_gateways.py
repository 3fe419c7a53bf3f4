"""The real SMS gateways, offline: the official SDKs (test-only dependencies) send to a local
capture server, and our signatures must equal theirs over the very same request; our adapters'
requests must pass the SDKs' own signers; refusals and outages are retried by the outbox with
no phone number or code kept; delivery receipts land on the message."""
import json
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from extensions import db
from services.outbox import OutboxMessage, drain, enqueue
from services.sms import PARAMETERS, message
from services.sms_gateways import (
    AliyunSms,
    GatewayError,
    TencentSms,
    acs3_authorization,
    parse_receipts,
    tc3_authorization,
)
from tests.capture import serve

TEMPLATES = {kind: f"SMS_{100000 + n}" for n, kind in enumerate(sorted(PARAMETERS))}
PHONE, CODE = "13900000001", "482913"
ALIYUN_OK = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5-B967-440B"}
TENCENT_OK = {"Response": {"SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber":
                                              f"+86{PHONE}", "Fee": 1, "SessionContext": "", "Code": "Ok",
                                              "Message": "send success", "IsoCode": "CN"}],
                           "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}


@pytest.fixture
def capture():
    found, stop = serve()
    yield found
    stop()


def _aliyun_sdk(capture):
    from alibabacloud_dysmsapi20170525 import models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi

    client = Client(openapi.Config(access_key_id="LTAI-test", access_key_secret="secret-ali", endpoint=capture.host,
                                   protocol="http"))
    return client, models


def test_our_acs3_signature_equals_the_alibaba_sdks_over_the_same_request(capture):
    capture.reply = ALIYUN_OK
    client, models = _aliyun_sdk(capture)
    client.send_sms(models.SendSmsRequest(phone_numbers=PHONE, sign_name="镇原县政务服务", template_code="SMS_1",
                                          template_param=json.dumps({"code": CODE})))
    seen = capture.seen[0]
    sdk = seen.header("Authorization")
    signed = sdk.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {name: seen.header(name) for name in signed}
    query = dict(parse_qsl(urlsplit(seen.path).query, keep_blank_values=True))
    assert acs3_authorization("LTAI-test", "secret-ali", "POST", "/", query, headers, seen.body) == sdk


def test_our_aliyun_request_passes_the_sdks_own_signer_and_the_answer_is_kept(capture):
    from alibabacloud_tea_openapi.utils import Utils

    capture.reply = ALIYUN_OK
    gateway = AliyunSms("LTAI-test", "secret-ali", "镇原县政务服务", TEMPLATES, endpoint=capture.url)
    answer = gateway.send(PHONE, message("signin_code", code=CODE), "signin:7")
    assert answer == {"gateway": "aliyun", "id": ALIYUN_OK["BizId"], "request_id": ALIYUN_OK["RequestId"]}
    seen = capture.seen[0]
    query = dict(parse_qsl(urlsplit(seen.path).query, keep_blank_values=True))
    assert query["TemplateCode"] == TEMPLATES["signin_code"] and json.loads(query["TemplateParam"]) == {"code": CODE}
    assert query["PhoneNumbers"] == PHONE and query["SignName"] == "镇原县政务服务" and query["OutId"] == "signin:7"
    signed = seen.header("Authorization").split("SignedHeaders=")[1].split(",")[0].split(";")
    request = SimpleNamespace(method="POST", pathname="/", query=query,
                              headers={n: seen.header(n) for n in signed})
    official = Utils.get_authorization(request, "ACS3-HMAC-SHA256", seen.header("x-acs-content-sha256"),
                                       "LTAI-test", "secret-ali")
    assert official == seen.header("Authorization")


def _tencent_sdk(capture):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=capture.host))
    return sms_client.SmsClient(credential.Credential("AKID-test", "secret-tc"), "ap-guangzhou", profile), models


def test_our_tc3_signature_equals_the_tencent_sdks_over_the_same_request(capture):
    capture.reply = TENCENT_OK
    client, models = _tencent_sdk(capture)
    request = models.SendSmsRequest()
    request.from_json_string(json.dumps({"PhoneNumberSet": [f"+86{PHONE}"], "SmsSdkAppId": "1400000001",
                                         "SignName": "镇原县政务服务", "TemplateId": "100001",
                                         "TemplateParamSet": [CODE]}))
    client.SendSms(request)
    seen = capture.seen[0]
    ours = tc3_authorization("AKID-test", "secret-tc", "sms", seen.header("Host"), seen.header("Content-Type"),
                             int(seen.header("X-TC-Timestamp")), seen.body)
    assert ours == seen.header("Authorization")


def test_our_tencent_request_is_signed_as_the_sdk_signs_and_the_answer_is_kept(capture):
    from tencentcloud.common.sign import Sign

    capture.reply = TENCENT_OK
    gateway = TencentSms("AKID-test", "secret-tc", "1400000001", "镇原县政务服务", TEMPLATES, endpoint=capture.url)
    sent = message("case_accept", "ZY2611260001", item="生育登记", number="ZY2611260001", due="2026年12月1日",
                   link="https://zwfw.example/t/x", by="")
    answer = gateway.send(PHONE, sent, "case-event:9:sms")
    assert answer["id"] == TENCENT_OK["Response"]["SendStatusSet"][0]["SerialNo"]
    seen = capture.seen[0]
    body = json.loads(seen.body)
    assert body["TemplateId"] == TEMPLATES["case_accept"] and body["PhoneNumberSet"] == [f"+86{PHONE}"]
    assert body["TemplateParamSet"] == ["生育登记", "ZY2611260001", "2026年12月1日", "https://zwfw.example/t/x", ""]
    # The SDK's signer (tencentcloud.common.sign) over the canonical request of what we sent
    import hashlib
    from datetime import datetime, timezone

    stamp = int(seen.header("X-TC-Timestamp"))
    date = datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = (f"POST\n/\n\ncontent-type:{seen.header('Content-Type')}\nhost:{seen.header('Host')}\n\n"
                 f"content-type;host\n{hashlib.sha256(seen.body).hexdigest()}")
    to_sign = f"TC3-HMAC-SHA256\n{stamp}\n{date}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    assert seen.header("Authorization").endswith("Signature=" + Sign.sign_tc3("secret-tc", date, "sms", to_sign))


@pytest.mark.parametrize("reply,status", [
    ({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": f"触发号码天级流控Permits:10 {PHONE}"}, 200),
    ({"Code": "ServiceUnavailable", "Message": "The request has failed due to a temporary failure."}, 503),
])
def test_a_refusing_gateway_is_retried_by_the_outbox_and_no_number_or_code_is_kept(app, capture, reply, status):
    capture.reply, capture.status = reply, status
    gateway = AliyunSms("LTAI-test", "secret-ali", "镇原县政务服务", TEMPLATES, endpoint=capture.url)
    with app.app_context():
        enqueue("sms", PHONE, message("signin_code", code=CODE), "signin:1")
        db.session.commit()
        assert drain({"sms": gateway}) == (0, 1)
        row = db.session.scalar(select(OutboxMessage))
        assert row.status == "pending" and row.attempts == 1 and PHONE not in row.last_error
        assert CODE not in row.last_error and "阿里云短信拒绝" in row.last_error
        capture.reply, capture.status = ALIYUN_OK, 200
        row.available_at = row.created_at  # the pause is over
        db.session.commit()
        assert drain({"sms": gateway}) == (1, 0)
        row = db.session.scalar(select(OutboxMessage))
        assert (row.status, row.gateway_id) == ("sent", ALIYUN_OK["BizId"])


def test_an_unreachable_gateway_is_a_retry_not_a_crash(app):
    gateway = TencentSms("AKID-test", "secret-tc", "1400000001", "镇原县政务服务", TEMPLATES,
                         endpoint="http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(GatewayError, match="网关无法连接"):
        gateway.send(PHONE, message("signin_code", code=CODE), "signin:2")


def test_a_gateway_without_a_template_for_every_message_refuses_to_start():
    with pytest.raises(RuntimeError, match="SMS_TEMPLATES 缺少.*signin_code"):
        AliyunSms("LTAI-test", "secret-ali", "镇原县政务服务", {k: v for k, v in TEMPLATES.items() if k != "signin_code"})


def test_receipts_of_both_gateways_are_read_without_keeping_numbers():
    aliyun = parse_receipts("aliyun", json.dumps([{"phone_number": PHONE, "success": False, "biz_id": "900^0",
                                                   "err_code": "MK:0100", "err_msg": f"停机 {PHONE}"}]).encode())
    assert aliyun == [("900^0", False, "MK:…  停机 …".replace("  ", " "))]
    tencent = parse_receipts("tencent", json.dumps([{"mobile": PHONE, "report_status": "SUCCESS", "sid": "5000:1",
                                                     "errmsg": "DELIVRD", "description": "用户短信送达成功"}]).encode())
    assert tencent == [("5000:1", True, "DELIVRD 用户短信送达成功")]
    with pytest.raises(GatewayError):
        parse_receipts("aliyun", b"{not json")


def test_a_receipt_pushed_to_the_secret_address_lands_on_its_message(app, capture):
    from services.audit import AuditEntry
    from services.registry import registry

    capture.reply = ALIYUN_OK
    gateway = AliyunSms("LTAI-test", "secret-ali", "镇原县政务服务", TEMPLATES, endpoint=capture.url)
    app.config["SMS_RECEIPT_TOKEN"] = "r3ceipt-token"
    with app.app_context():
        real, registry().sms = registry().sms, gateway
        try:
            enqueue("sms", PHONE, message("signin_code", code=CODE), "signin:3")
            db.session.commit()
            drain({"sms": gateway})
            client = app.test_client()
            push = [{"phone_number": PHONE, "success": True, "biz_id": ALIYUN_OK["BizId"], "err_code": "DELIVERED",
                     "err_msg": "用户接收成功", "send_time": "2026-11-26 10:00:00"}]
            wrong = client.post("/api/v1/sms/receipts/aliyun/guess", json=push)
            right = client.post("/api/v1/sms/receipts/aliyun/r3ceipt-token", json=push)
            assert wrong.status_code == 404 and right.get_json() == {"code": 0, "msg": "成功"}
            row = db.session.scalar(select(OutboxMessage))
            db.session.refresh(row)
            assert (row.delivery, row.delivery_note) == ("delivered", "DELIVERED 用户接收成功")
            assert "sms_receipt_refused" in db.session.scalars(select(AuditEntry.action)).all()
        finally:
            registry().sms = real
            app.config["SMS_RECEIPT_TOKEN"] = ""


def test_a_misconfigured_endpoint_keeps_no_number_or_code_in_the_error():
    gateway = AliyunSms("LTAI-test", "secret-ali", "镇原县政务服务", TEMPLATES, endpoint="dysmsapi.aliyuncs.com")
    with pytest.raises(GatewayError) as refused:
        gateway.send(PHONE, message("signin_code", code=CODE), "signin:4")
    assert PHONE not in str(refused.value) and CODE not in str(refused.value) and "SMS_ENDPOINT" in str(refused.value)
