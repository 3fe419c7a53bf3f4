"""Fixtures: one app per test session on a migrated database (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), emptied and re-seeded before every test."""
import os
import re
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from extensions import db, limiter
from web.pagecache import forget_pages_of_rows
from wsgi import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "PUBLIC_BASE_URL": "http://localhost",
    })
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()  # the migrations themselves are under test, not create_all()
    return app


@pytest.fixture(autouse=True)
def clean_db(app):
    """Every test starts from the reference data `make run` loads, and nothing else."""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            if table.name != "audit_log":
                db.session.execute(table.delete())
        empty_audit_log()
        db.session.commit()
        from services.places import load_townships

        load_townships(ROOT / "data" / "townships.toml")
    forget_pages_of_rows()  # ids start again in an emptied database: no page keyed by them may come back
    limiter.reset()  # rate-limit counts must not leak from one test into the next
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)
    Path(app.config["UPLOAD_DIR"]).mkdir()
    yield


def empty_audit_log() -> None:
    """The audit log refuses deletes (migration 0025); a test database is emptied around that,
    its triggers set aside meanwhile (as the table's owner could: audit-verify is what tells)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER; TRUNCATE audit_log; "
                                "ALTER TABLE audit_log ENABLE TRIGGER USER"))
        return
    triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name = 'audit_log'")).all()
    for name, _ in triggers:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    db.session.execute(text("DELETE FROM audit_log"))
    for _, sql in triggers:
        db.session.execute(text(sql))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """Staff and agent passwords are hashed with scrypt (~0.1 s each); the demo accounts many
    tests create, and hundreds of login probes, need a cheaper hash. Only the work factor
    changes: the same code paths run."""
    import werkzeug.security as security

    original = getattr(security, "_hash_internal", None)
    if original is None:
        return

    def fast(method, salt, password):
        if method.startswith(("scrypt", "pbkdf2")):
            return original("pbkdf2:sha256:1", salt, password)
        return original(method, salt, password)

    monkeypatch.setattr(security, "_hash_internal", fast)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def catalog(app):
    return app.extensions["catalog"]


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def form_post(client, page_url: str, data: dict, post_url: str | None = None, **kwargs):
    """GET the page for its CSRF token, then POST the form as a browser would."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(post_url or page_url, data={"csrf_token": token, **data}, **kwargs)


def second_step_code(app, username: str, kind: str = "staff") -> str:
    """The code a staff member's (or an agent's) authenticator shows now. Accounts a test made are
    enrolled on the demo authenticator first (with their first password changed), and the last
    code's step is forgotten, as if 30 s had passed (a code is good once): enrolment, the first
    password and replay have tests of their own (tests/web/test_staff_security.py, test_agent.py)."""
    import pyotp
    from sqlalchemy import select

    from commands import DEMO_TOTP
    from services.people import two_factor
    from services.people.agents import Agent
    from services.people.staff import StaffUser

    model = Agent if kind == "agent" else StaffUser
    with app.app_context():
        user = db.session.scalar(select(model).where(model.username == username))
        if not two_factor.enrolled(user):
            two_factor.demo_enrol(user, DEMO_TOTP)
            user.must_change_password = False
        user.totp_last_step = None
        db.session.commit()
    return pyotp.TOTP(DEMO_TOTP).now()


def enrol_on_page(client, second_step_url: str, enrolment_code: str):
    """The enrolment page after the password, as a member with an authenticator app does it: the
    page's secret into the app (pyotp), the code handed over and the app's code. (The answer, the secret.)"""
    import pyotp

    page = client.get(second_step_url).get_data(as_text=True)
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    answer = form_post(client, second_step_url, {"enrolment_code": enrolment_code, "code": pyotp.TOTP(secret).now()})
    return answer, secret


def staff_sign_in(app, client, username: str, password: str, next_url: str = "", post=None):
    """A staff member through the real pages: the password, then the second step's code."""
    post = post or form_post
    query = f"?next={next_url}" if next_url else ""
    response = post(client, f"/office/login{query}", {"username": username, "password": password})
    assert response.status_code == 303 and "/office/login/second" in response.headers["Location"], \
        response.get_data(as_text=True)
    return post(client, "/office/login/second", {"code": second_step_code(app, username)})


def agent_sign_in(app, client, username: str, password: str, next_url: str = ""):
    """A village agent through the real pages: the password, then the second step's code."""
    query = f"?next={next_url}" if next_url else ""
    response = form_post(client, f"/agent/login{query}", {"username": username, "password": password})
    assert response.status_code == 303 and "/agent/login/second" in response.headers["Location"], \
        response.get_data(as_text=True)
    return form_post(client, "/agent/login/second", {"code": second_step_code(app, username, "agent")})


DEMO_CODE = re.compile(r'演示环境：验证码 <span class="code big">(\d{6})</span>')


def sign_in(client, phone: str = "13900000001", name: str | None = None, id_number: str | None = None,
            next_url: str = "/"):
    """Through the real pages: phone, the demo code shown in sandbox mode, then real name."""
    response = form_post(client, f"/signin?next={next_url}", {"phone": phone})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = DEMO_CODE.search(page).group(1)
    response = form_post(client, f"/signin/code?next={next_url}", {"code": code})
    if name and "/me/verify" in response.headers.get("Location", ""):
        response = form_post(client, f"/me/verify?next={next_url}", {"name": name, "id_number": id_number})
    return response


def register_kiosk(app, reader: str = "simulated", reader_url: str = "", name: str = "测试终端",
                   township: str = "城关镇") -> tuple[int, str]:
    """A kiosk registered by an administrator: (its id, its one-time setup token)."""
    from services import kiosks
    from services.people.actors import Actor
    from services.places import township_id_by_name

    admin = Actor("staff", None, "测试管理员", role="admin")
    with app.app_context():
        kiosk, token = kiosks.register(admin, name, township_id_by_name(township) or -1, reader, reader_url)
        return kiosk.id, token


def bind_kiosk(client, token: str):
    """Open the setup link on this client and confirm: the client becomes the kiosk's browser."""
    response = form_post(client, f"/kiosk/setup/{token}", {})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def kiosk_identify(client, card: dict | None = None, next_url: str = "/kiosk/", phone: str | None = None):
    """At a bound kiosk, through the real pages: the card read, (the phone typed), the demo code."""
    from services.kiosks import SIMULATED_CARD

    response = form_post(client, f"/kiosk/identify?next={next_url}", dict(card or SIMULATED_CARD),
                         post_url=f"/kiosk/identify/card?next={next_url}")
    assert response.status_code == 303, response.get_data(as_text=True)
    if "/identify/phone" in response.headers["Location"]:
        response = form_post(client, response.headers["Location"], {"phone": phone})
        assert response.status_code == 303, response.get_data(as_text=True)
    page_url = response.headers["Location"]
    code = DEMO_CODE.search(client.get(page_url).get_data(as_text=True)).group(1)
    return form_post(client, page_url, {"code": code})


class KioskActions:
    """A test client made a township kiosk's browser (registered by an administrator, bound by
    its setup link), and people identified at it through its pages."""

    def __init__(self, app, client):
        self.app, self.client, self.id = app, client, None

    def register(self, **options) -> int:
        self.id, token = register_kiosk(self.app, **options)
        bind_kiosk(self.client, token)
        return self.id

    def identify(self, card: dict | None = None, next_url: str = "/kiosk/", phone: str | None = None):
        return kiosk_identify(self.client, card, next_url, phone)

    def another(self, **options) -> "KioskActions":
        """A second kiosk (another browser), registered and bound."""
        other = KioskActions(self.app, self.app.test_client())
        other.register(**options)
        return other


@pytest.fixture
def kiosk(app, client):
    return KioskActions(app, client)


AGENT_PASSWORD = "Agent-test-2026"
VILLAGES = {"东关": "621027101201", "西关": "621027101202", "屯字": "621027102201"}
CONSENT_CODE = re.compile(r'验证码 <span class="code big">(\d{6})</span>')


class AgentActions:
    """Village agents, each with their own browser (test client), doing things through the pages."""

    def __init__(self, app):
        self.app = app

    def create(self, username: str, village: str = "东关", role: str = "agent", name: str = "赵红梅") -> int:
        from services.people.actors import Actor
        from services.people.agents import create_agent
        from services.places import Village, load_villages

        admin = Actor("staff", None, "测试管理员", role="admin")
        with self.app.app_context():
            load_villages(ROOT / "data" / "villages.toml")
            village_id = db.session.scalar(db.select(Village.id).where(Village.code == VILLAGES[village]))
            agent = create_agent(admin, username, AGENT_PASSWORD, name, village_id, role).user
            agent.must_change_password = False  # as if changed: tests/web/test_agent.py has that
            db.session.commit()
            return agent.id

    def signed_in(self, username: str, village: str = "东关", role: str = "agent", name: str = "赵红梅"):
        """A new agent account and a browser signed in with it."""
        self.create(username, village, role, name)
        client = self.app.test_client()
        assert agent_sign_in(self.app, client, username, AGENT_PASSWORD).status_code == 303
        return client

    def resident(self, name: str, id_number: str, phone: str) -> None:
        """A resident who once signed in on their own phone and gave their real name."""
        from services.people.identity import find_or_create_person, verify_real_name

        with self.app.app_context():
            person = find_or_create_person(phone)
            if not person.is_verified:
                verify_real_name(person, name, id_number)
            db.session.commit()

    def start(self, client, name: str, id_number: str, phone: str = "", item: str = "", months: str = "3"):
        """Record a resident and ask their consent: the consent page's URL. A phone given is
        theirs on record (they signed in with it once), as a code only goes to such a phone."""
        if phone:
            self.resident(name, id_number, phone)
        response = form_post(client, "/agent/residents/new", {"name": name, "id_number": id_number, "phone": phone,
                                                              "item": item, "months": months})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"]

    def consent_by_sms(self, client, name: str, id_number: str, phone: str, item: str = "") -> int:
        """The resident reads back the code (the demo shows it): the consent's id."""
        page_url = self.start(client, name, id_number, phone, item)
        code = CONSENT_CODE.search(client.get(page_url).get_data(as_text=True)).group(1)
        response = form_post(client, page_url, {"code": code}, post_url=page_url + "/code")
        assert response.status_code == 303, response.get_data(as_text=True)
        return int(page_url.rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def agents(app):
    return AgentActions(app)
