"""Logs carry no ID number, phone number, SMS code or token in clear (等保三级, PIPL): a whole
flow runs with every logger at DEBUG, its links are opened through the dev server (werkzeug's
access log) and through gunicorn started as `make run` starts it (its access and error logs),
and every value the flow used is looked for in all that was logged."""
import logging
import os
import re
import subprocess
import threading
import urllib.error
import urllib.request
from urllib.parse import quote

from sqlalchemy import select
from werkzeug.serving import make_server

from bench._server import VENV, free_port, wait_ready
from commands import DATA, seed_demo_staff
from extensions import db
from kiosk.device import DEVICE_COOKIE
from services.cases.lifecycle import Case
from services.kiosks import SIMULATED_CARD
from services.sms import messages_to
from tests.conftest import (
    AGENT_PASSWORD,
    CONSENT_CODE,
    DEMO_CODE,
    ROOT,
    form_post,
    register_kiosk,
    staff_sign_in,
)
from tests.web.test_apply import BIRTH, FIELDS, ID_A, apply_fully

VILLAGER_PHONE = FIELDS["phone"]
KIOSK_PHONE = "13700000002"  # typed at the kiosk for the card's holder
RESIDENT = {"name": "王建国", "id_number": FIELDS["husband_id_number"], "phone": "13700000003"}
STAFF_PASSWORD = "Window-demo-2026"
# What a gateway, the province's sign-in and a kiosk's QR put in URLs this flow does not make.
RECEIPT_TOKEN, OIDC_CODE, OIDC_STATE, SCAN_TOKEN = "rcpt-Tok3n-0123456789", "oidc-c0de-abcdef", "st4te-xyz789", "scan-t0k-5678"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def open_links(base: str, links: list[tuple[str, str]], referer: str) -> None:
    """As a browser would, each with the tracking page as Referer (same-origin: sent whole)."""
    opener = urllib.request.build_opener(NoRedirects)
    for method, path in links:
        request = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"Referer": base + referer})
        try:
            opener.open(request, timeout=10).read()
        except urllib.error.HTTPError:
            pass  # a redirect, a refusal: the line is logged all the same


def start_gunicorn(database_url: str, upload_dir: str, folder):
    """gunicorn as `make run` and deploy/zhenyuan-web.service start it (--access-logfile -), at
    debug, on the test database; its standard output and error are the logs journald keeps."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "UPLOAD_DIR": upload_dir, "SECRET_KEY": "test-secret-key",
           "INSTANCE_PATH": str(folder / "instance"), "PUBLIC_BASE_URL": "http://localhost"}
    out, err = open(folder / "stdout.log", "wb"), open(folder / "stderr.log", "wb")
    process = subprocess.Popen(
        [str(VENV / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
         "--log-level", "debug", "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=err)
    return process, f"http://127.0.0.1:{port}", (out, err)


def dev_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def recording(used: list):
    """form_post, keeping what was typed (passwords, the second step's code)."""
    def post(client, url, data, **kwargs):
        used.extend(str(v) for v in data.values())
        return form_post(client, url, data, **kwargs)
    return post


def test_a_full_flow_logs_no_id_number_phone_code_or_token(app, client, agents, caplog, tmp_path, database_url):
    gunicorn, gunicorn_url, gunicorn_files = start_gunicorn(database_url, app.config["UPLOAD_DIR"], tmp_path)
    server = dev_server(app)
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):  # SQLAlchemy's echo too: statements, parameters, rows
            caplog.set_level(logging.DEBUG, logger=name)
    secrets = [VILLAGER_PHONE, KIOSK_PHONE, RESIDENT["phone"], ID_A, RESIDENT["id_number"],
               SIMULATED_CARD["id_number"], RECEIPT_TOKEN, OIDC_CODE, OIDC_STATE, SCAN_TOKEN]
    codes = []  # six digits each: looked for as a number of its own
    worker_output = []
    try:
        # A villager signs in by phone and SMS code, gives a real name, applies.
        response = form_post(client, "/signin", {"phone": VILLAGER_PHONE})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        codes.append(DEMO_CODE.search(page).group(1))
        response = form_post(client, "/signin/code", {"code": codes[-1]})
        assert "/me/verify" in response.headers["Location"]
        assert form_post(client, "/me/verify", {"name": "李秀英", "id_number": ID_A}).status_code == 303
        apply_fully(app, client)
        worker_output.append(app.test_cli_runner().invoke(args=["worker", "--once"]).output)
        with app.app_context():
            case = db.session.scalar(select(Case))
            number, case_id, track_token = case.number, case.id, case.track_token
            sms = "\n".join(messages_to(VILLAGER_PHONE))
        secrets.append(track_token)
        track = f"/t/{number}?k={track_token}"
        assert track in sms  # the tracking link, as the SMS carries it
        assert client.get(track).status_code == 200

        # Staff sign in (password, second step) and accept, then approve.
        with app.app_context():
            seed_demo_staff(DATA / "demo_staff.toml")
        staff, typed = app.test_client(), []
        assert staff_sign_in(app, staff, "chengguan", STAFF_PASSWORD, post=recording(typed)).status_code == 303
        codes.append(typed[-1])
        for action, data in (("accept", {}), ("complete", {"decision": "approved"})):
            response = form_post(staff, f"/office/cases/{case_id}", data, post_url=f"/office/cases/{case_id}/act/{action}")
            assert response.status_code == 303, action
        worker_output.append(app.test_cli_runner().invoke(args=["worker", "--once"]).output)
        assert "已发送" in worker_output[-1]

        # A kiosk: its one-time setup link, a card read, the code to a typed phone, a phone-upload QR.
        kiosk_id, setup_token = register_kiosk(app)
        secrets.append(setup_token)
        kiosk_client = app.test_client()
        form_post(kiosk_client, f"/kiosk/setup/{setup_token}", {})
        secrets.append(kiosk_client.get_cookie(DEVICE_COOKIE, path="/kiosk").value)  # the kiosk's device secret
        response = form_post(kiosk_client, "/kiosk/identify?next=/kiosk/", dict(SIMULATED_CARD),
                             post_url="/kiosk/identify/card?next=/kiosk/")
        response = form_post(kiosk_client, response.headers["Location"], {"phone": KIOSK_PHONE})
        page_url = response.headers["Location"]
        codes.append(DEMO_CODE.search(kiosk_client.get(page_url).get_data(as_text=True)).group(1))
        assert form_post(kiosk_client, page_url, {"code": codes[-1]}).status_code == 303
        assert kiosk_client.get(f"/kiosk/apply/{BIRTH}").status_code == 200  # opens a draft
        upload_token = phone_upload_token(app, kiosk_id, KIOSK_PHONE)
        secrets.append(upload_token)
        assert client.get(f"/up/{upload_token}").status_code == 200

        # A village agent records a resident, whose consent comes by SMS code.
        agent = agents.signed_in("zhaohm")
        consent_url = agents.start(agent, RESIDENT["name"], RESIDENT["id_number"], RESIDENT["phone"])
        codes.append(CONSENT_CODE.search(agent.get(consent_url).get_data(as_text=True)).group(1))
        assert form_post(agent, consent_url, {"code": codes[-1]}, post_url=consent_url + "/code").status_code == 303
        worker_output.append(app.test_cli_runner().invoke(args=["worker", "--once"]).output)

        # The links of this flow, opened as a browser, a gateway or a scanning phone would.
        links = [("GET", track), ("GET", f"/signin?phone={VILLAGER_PHONE}&next={quote(track, safe='')}"),
                 ("GET", f"/signin?next={track}"), ("GET", f"/kiosk/setup/{setup_token}"), ("GET", f"/up/{upload_token}"),
                 ("GET", f"/signin?next={quote('/up/' + upload_token, safe='')}"),
                 ("GET", f"/office/people?q={ID_A}"), ("GET", f"/office/people?q={VILLAGER_PHONE}"),
                 ("GET", "/office/people?q=" + quote(f"{VILLAGER_PHONE[:3]} {VILLAGER_PHONE[3:7]} {VILLAGER_PHONE[7:]}")),
                 ("GET", f"/signin/province/callback?code={OIDC_CODE}&state={OIDC_STATE}"),
                 ("POST", f"/api/v1/sms/receipts/aliyun/{RECEIPT_TOKEN}"), ("GET", f"/pay/sandbox/PO0001?t={SCAN_TOKEN}")]
        open_links(f"http://127.0.0.1:{server.server_port}", links, referer=track)
        wait_ready(gunicorn_url + "/healthz", 30)
        open_links(gunicorn_url, links, referer=track)
    finally:
        server.shutdown()
        gunicorn.terminate()
        gunicorn.wait(timeout=10)
        for file in gunicorn_files:
            file.close()
    secrets += [STAFF_PASSWORD, AGENT_PASSWORD]

    logs = {"app (every logger, DEBUG)": caplog.text, "flask worker": "\n".join(worker_output),
            "gunicorn stdout (access log)": (tmp_path / "stdout.log").read_text(encoding="utf-8", errors="replace"),
            "gunicorn stderr (error log)": (tmp_path / "stderr.log").read_text(encoding="utf-8", errors="replace")}
    # The flow did log: its links reached both access logs.
    assert '"GET /t/' in logs["gunicorn stdout (access log)"] and "GET /t/" in logs["app (every logger, DEBUG)"]
    assert "Booting worker" in logs["gunicorn stderr (error log)"] and "已发送" in logs["flask worker"]
    for where, text in logs.items():
        for value in secrets:
            assert value not in text, f"{value} in the {where}:\n" + "\n".join(
                line for line in text.splitlines() if value in line)[:2000]
        for code in codes:
            assert not re.search(rf"(?<![0-9]){code}(?![0-9])", text), f"code {code} in the {where}"
    # Masked, not dropped: what an operator needs to follow a request is still there.
    for where in ("gunicorn stdout (access log)", "app (every logger, DEBUG)"):
        for masked in ("k=***", "/kiosk/setup/***", "/up/***", "q=***"):
            assert masked in logs[where], (masked, where)


def phone_upload_token(app, kiosk_id: int, phone: str) -> str:
    """The token of the QR the kiosk shows for 手机扫码上传 (the QR itself is an SVG)."""
    from services import kiosks
    from services.cases import phone_upload
    from services.cases.drafts import Draft
    from services.people.identity import Person

    with app.app_context():
        draft = db.session.scalar(select(Draft).where(Draft.actor_kind == "kiosk"))
        person = db.session.scalar(select(Person).where(Person.phone == phone))
        actor = kiosks.actor_at(kiosks.get(kiosk_id), person)
        return phone_upload.issue(draft, app.extensions["catalog"].get(BIRTH), "pregnancy_proof", actor)


def test_what_is_masked_and_what_an_operator_still_sees():
    from web.logsafe import redact

    cases = {
        "+8613900000001 and 008613900000002": "+139****0001 and 139****0002",
        "id 62282719580315002x;": "id **************002x;",
        '{"phone": "13900000001", "code": "123456", "returncode": 1}': '{"phone": "***", "code": "***", "returncode": 1}',
        "{'nonce': 'n0nce', 'state': 'st4te', 'code': 123456}": "{'nonce': '***', 'state': '***', 'code': ***}",
        "/signin?next=%2Fkiosk%2Fsetup%2Fabc-DEF_1%3Fx%3D1": "/signin?next=%2Fkiosk%2Fsetup%2F***%3Fx%3D1",
        "/signin?next=%252Ft%252F1%253Fk%253Dtok%2526a": "/signin?next=%252Ft%252F1%253Fk%253D***%2526a",
        "Link(draft=1, token='abc.def')": "Link(draft=1, token=***)",
        # kept: case and order numbers, times, SQL placeholders, names that only end like ours
        "ZY26031500001X PO1A2B3C4D 1712345678901 13:45:12": "ZY26031500001X PO1A2B3C4D 1712345678901 13:45:12",
        "UPDATE persons SET id_number=?, phone=%(phone)s": "UPDATE persons SET id_number=?, phone=%(phone)s",
        "returncode=1 zipcode=5&k=abc": "returncode=1 zipcode=5&k=***",
    }
    for raw, logged in cases.items():
        assert redact(raw) == logged, raw


def test_an_exception_logged_with_its_traceback_is_masked_too(app, caplog):
    token = "Tr4ck-t0ken-0123456789"
    try:
        raise ValueError(f"no case for /t/ZY26031500001X?k={token} (13900000001, {ID_A})")
    except ValueError:
        app.logger.exception("unhandled error")
    assert "Traceback" in caplog.text and "k=***" in caplog.text and "139****0001" in caplog.text
    assert token not in caplog.text and "13900000001" not in caplog.text and ID_A not in caplog.text
