"""Hostile inputs through every route: path variables, query parameters, every field of every form,
uploads, and the signed machine endpoints (department exchange, payment callback).

Routes come from app.url_map, forms from the pages themselves (parsed as a browser would), so a
new route or a new field is covered without touching this file. The world the requests run
against (people, staff, drafts, cases in every state, a booking, an order) is built through the
same pages a person uses, plus `flask seed`.

For every request:
  * never a 5xx;
  * a 4xx carries a message for people (Chinese; under /api/ a JSON {"error": {"message": …}});
  * after a 4xx no row was added to or removed from a domain table (audit_log, outbox,
    sandbox_sms and tables of attempts or limits aside), no case changed version, and no file
    was left in UPLOAD_DIR;
  * a redirect stays on this site;
  * what must be refused (broken files, malformed department pushes) is refused.
Accepted hostile values are then shown again (the page, the redirect target) and must render.

How much of the corpus (tests/hostile_inputs.py) each input gets, to stay under a minute: all of
it for the first number, date and phone field of each test, for the exchange's `after` and the
redirect target `next`; CORE (a few of every kind) for other fields; smaller cuts for a second
copy of a field already probed on the same route, for query parameters, path variables, and free
text on forms where every accepted value uses up a case (a fresh case is made after each).

All problems are collected and reported at the end of each test, grouped by route, field and
cause, with the exception and the line of application code that raised it."""
from __future__ import annotations

import inspect
import json
import logging
import os
import re
import secrets
import time
import traceback
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from extensions import db, limiter
from services.exchange.http import sign
from tests import hostile_inputs as H
from tests.conftest import (
    CONSENT_CODE,
    agent_sign_in,
    bind_kiosk,
    csrf_token_from,
    form_post,
    kiosk_identify,
    register_kiosk,
    sign_in,
    staff_sign_in,
)

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
IGNORED_TABLES = {"audit_log", "outbox", "sandbox_sms"}
CSRF_REFUSED = "页面已过期或来源不明"
EXCHANGE_SECRET = "sandbox-wjj"  # the sandbox secret of 卫健局's system (demo only)
STAFF_PASSWORDS = {"admin": "Admin-demo-2026", "chengguan": "Window-demo-2026", "minzheng": "Review-demo-2026",
                   "yiyuan": "Hospital-demo-2026"}  # demo accounts from data/demo_staff.toml
BIRTH_REGISTRATION, CERTIFICATE = "621027-BM-004", "621027-BM-008"  # 生育登记 (wjj), 户籍证明 (may be posted)
ADDRESS = {"province": "甘肃省", "city": "庆阳市", "county": "镇原县", "township": "城关镇", "village": "东关村",
           "detail": "三组 12 号", "recipient": "张桂兰", "phone": "13900000001"}


class _Omit:
    def __repr__(self):
        return "<field left out>"


OMIT = _Omit()
RAW = "raw:"  # a value sent into a URL exactly as written, not percent-encoded by us


# --------------------------------------------------------------------------------------------
# What a response is judged by


ALERT_TAG = re.compile(r"<(\w+)\b([^>]*)>")
ALERT_CLASSES = {"error", "error-summary", "error-page"}


def _text_of_alerts(body: str) -> str:
    """The text at the start of elements that carry a message: role=alert, or class error /
    error-summary / error-page (a regex, not a parser: this runs after every refused request)."""
    found = []
    for match in ALERT_TAG.finditer(body):
        attrs = match.group(2)
        classes = re.search(r'class="([^"]*)"', attrs)
        if 'role="alert"' in attrs or (classes and ALERT_CLASSES & set(classes.group(1).split())):
            inner = body[match.end():match.end() + 2000]
            end = inner.find(f"</{match.group(1)}")  # up to its own end tag (the first one: enough here)
            found.append(re.sub(r"<[^>]*>", " ", inner[:end] if end >= 0 else inner))
    return " ".join(found)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def message_problem(response, path: str) -> str | None:
    """None when a 4xx answer says, in Chinese, what went wrong."""
    if path.startswith("/api/"):
        data = response.get_json(silent=True)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str) or not CJK.search(message):
            return 'no JSON {"error": {"message": …}} in Chinese'
        return None
    if response.is_json:
        data = response.get_json(silent=True)
        return None if any(CJK.search(s) for s in _strings(data)) else "JSON answer without a Chinese message"
    body = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        return None if CJK.search(_text_of_alerts(body)) else "no Chinese message where messages show (role=alert, class=error)"
    return None if CJK.search(body) else "no Chinese message in the body"


def offsite(location: str) -> bool:
    """Would a browser leave this site following this Location? (backslashes, tabs, newlines as browsers read them)"""
    cleaned = re.sub(r"[\t\r\n]", "", location.strip()).replace("\\", "/")
    target = urlsplit(urljoin("http://localhost/", cleaned))
    return target.scheme not in ("http", "https") or target.hostname not in (None, "localhost")


class CrashLog(logging.Filter):
    """The app logs unexpected exceptions before answering 500: keep the cause and its line, and
    keep the traceback itself out of the test output (one line per cause in the report instead)."""

    def __init__(self):
        super().__init__()
        self.last: str | None = None

    def filter(self, record):
        if record.levelno >= logging.ERROR and record.exc_info and record.exc_info[1] is not None:
            self.last = describe(record.exc_info[1])
            return False
        return True


def describe(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename and "/tests/" not in f.filename]
    where = f" at {Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno} `{(frames[-1].line or '').strip()[:90]}`" \
        if frames else ""
    message = str(exc).replace("\n", " ")
    message = message[:100] + "…" if len(message) > 100 else message
    return f"{type(exc).__name__}: {message}{where}"


@contextmanager
def crash_log(app):
    crashes = CrashLog()
    app.logger.addFilter(crashes)
    try:
        yield crashes
    finally:
        app.logger.removeFilter(crashes)


# --------------------------------------------------------------------------------------------
# Requests and the report


@dataclass
class Actor:
    name: str
    client: object
    token: str = ""

    def refresh_token(self, page: str) -> None:
        response = self.client.get(page)
        self.token = csrf_token_from(response.get_data(as_text=True))


@dataclass
class File:
    name: str
    content: bytes


@dataclass
class Problem:
    rule: str
    method: str
    where: str
    kind: str
    cause: str
    values: list = field(default_factory=list)
    example: str = ""


class Probe:
    """Sends requests and judges the answers; collects problems for one report."""

    def __init__(self, app):
        self.app = app
        self.problems: dict[tuple, Problem] = {}
        self.sent = 0
        self._before = None
        tables = [t for t in db.metadata.sorted_tables
                  if t.name not in IGNORED_TABLES and "attempt" not in t.name and "limit" not in t.name]
        self._queries = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
        self._names = [t.name for t in tables]
        for t in tables:  # a 4xx must not change a case either: its version moves with every event
            if "version" in t.c:
                self._queries.append(select(func.coalesce(func.sum(t.c.version), 0)).scalar_subquery())
                self._names.append(f"{t.name}.version")
        self._snapshot = select(*self._queries)
        self.upload_dir = Path(app.config["UPLOAD_DIR"])
        self._folders: dict = {}
        self.crashes = CrashLog()

    # state ------------------------------------------------------------------------------
    def state(self):
        with self.app.app_context():
            with db.engine.connect() as conn:
                counts = dict(zip(self._names, conn.execute(self._snapshot).one()))
        return counts, self.files()

    def files(self) -> frozenset:
        """Every file under UPLOAD_DIR; a folder is listed again only when its mtime moved (or
        moved lately: file system clocks are coarse)."""
        seen = {}
        for entry in os.scandir(self.upload_dir):
            if entry.is_dir():
                mtime = entry.stat().st_mtime_ns
                cached = self._folders.get(entry.path)
                if cached is None or cached[0] != mtime or time.time_ns() - mtime < 200_000_000:  # coarse clocks
                    cached = (mtime, frozenset(os.path.join(entry.path, f) for f in os.listdir(entry.path)))
                seen[entry.path] = cached
            else:
                seen[entry.path] = (0, frozenset([entry.path]))
        self._folders = seen
        return frozenset().union(*(names for _, names in seen.values()))

    def invalidate(self):
        self._before = None

    # requests ---------------------------------------------------------------------------
    def send(self, actor: Actor, method: str, url: str, *, rule: str, where: str, value=None,
             data: dict | None = None, body: bytes | None = None, headers: dict | None = None,
             multipart: bool = False, csrf_page: str | None = None, refuse: str | None = None):
        """One request, judged. `data` is a form (lists of str or File); CSRF is added for POST forms.
        `refuse`: this input must be refused, and why."""
        before = self._before or self.state()
        kwargs: dict = {"headers": headers or {}}

        def build():
            if body is not None:
                kwargs["data"] = body
                return
            if data is None:
                return
            form = {k: [(BytesIO(v.content), v.name) if isinstance(v, File) else v for v in vs]
                    for k, vs in data.items()}
            if method == "POST" and actor.token and "csrf_token" not in form:
                form["csrf_token"] = [actor.token]
            kwargs["data"] = form
            if multipart:
                kwargs["content_type"] = "multipart/form-data"

        build()
        limiter.reset()  # a limit reached by earlier probes must not hide what this input does
        self.crashes.last = None
        response = actor.client.open(url, method=method, **kwargs)
        if (response.status_code == 400 and data is not None and method == "POST" and csrf_page
                and CSRF_REFUSED in response.get_data(as_text=True)):
            actor.refresh_token(csrf_page)  # the session changed under us: a new token, once
            build()
            response = actor.client.open(url, method=method, **kwargs)
        self.sent += 1
        after = self.state()
        self._before = after
        self.judge(response, method, url, rule, where, value, before, after, refuse)
        return response

    def judge(self, response, method, url, rule, where, value, before, after, refuse):
        status = response.status_code
        path = urlsplit(url).path
        problems = []
        if status >= 500:
            problems.append(("server error", self.crashes.last or f"{status} without a logged exception"))
        elif status >= 400:
            missing = message_problem(response, path)
            if missing:
                problems.append(("refused without a message", missing))
            counts, files = before
            changed = {k: (counts[k], after[0][k]) for k in counts if counts[k] != after[0][k]}
            if changed:
                problems.append(("refused but the database changed",
                                 ", ".join(f"{k} {a}→{b}" for k, (a, b) in changed.items())))
            left = after[1] - files
            if left:
                problems.append(("refused but files were left", f"{len(left)} new file(s) in UPLOAD_DIR"))
        else:
            if refuse:
                problems.append(("accepted what must be refused", refuse))
            location = response.headers.get("Location")
            if 300 <= status < 400 and location and offsite(location):
                problems.append(("redirect leaves the site", f"Location: {location[:80]}"))
        for kind, cause in problems:
            # one group per exception type and line, or per table, whatever value the message quotes
            group = re.sub(r":.*( at \S+:\d+)", r"\1", cause) if " at " in cause else \
                re.sub(r"\d+→\d+|'[^']*'", "…", cause)
            key = (rule, method, where, kind, group)
            problem = self.problems.get(key)
            if problem is None:
                problem = self.problems[key] = Problem(rule, method, where, kind, cause,
                                                       example=f"{method} {url[:120]} → {status}: {excerpt(response)}")
            problem.values.append(value)

    def report(self) -> str:
        lines = [f"{len(self.problems)} distinct problem(s) in {self.sent} requests:"]
        for p in sorted(self.problems.values(), key=lambda p: (p.kind, p.rule, p.where)):
            shown = ", ".join(_short(v) for v in p.values[:4])
            more = f" (+{len(p.values) - 4} more)" if len(p.values) > 4 else ""
            lines.append(f"- [{p.kind}] {p.method} {p.rule} — {p.where}: {p.cause}")
            lines.append(f"    values: {shown}{more}")
            lines.append(f"    e.g. {p.example}")
        return "\n".join(lines)

    def assert_clean(self):
        print(f"{self.sent} requests, {len(self.problems)} distinct problem(s)")
        if self.problems:
            pytest.fail("\n" + self.report(), pytrace=False)


def excerpt(response) -> str:
    """The first 200 characters of the body as a person reads it: JSON undone, a page's <main> text."""
    if response.is_json:
        text = json.dumps(response.get_json(silent=True), ensure_ascii=False)
    else:
        text = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            main = re.search(r"<main\b.*?</main>", text, re.S)
            text = re.sub(r"<[^>]*>", " ", main.group(0) if main else text)
    return re.sub(r"\s+", " ", text).strip()[:200]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:30] + f"…[{len(text)} chars]"


def enc(value: str) -> str:
    """A value for a URL: percent-encoded UTF-8, or sent as written when marked RAW."""
    return value[len(RAW):] if value.startswith(RAW) else quote(value, safe="")


# --------------------------------------------------------------------------------------------
# Forms, as a browser sees them


@dataclass
class Control:
    name: str
    kind: str  # text, hidden, password, textarea, select, radio, checkbox, button, file, date, tel …
    attrs: dict
    options: list = field(default_factory=list)
    default: list = field(default_factory=list)


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    controls: dict = field(default_factory=dict)

    def fields(self) -> list[Control]:
        return [c for c in self.controls.values() if c.name != "csrf_token" and c.kind != "file"]


class FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page, self.forms = page, []
        self.form: Form | None = None
        self.select: Control | None = None
        self.textarea: Control | None = None
        self.option: list | None = None

    def control(self, name, kind, attrs) -> Control:
        existing = self.form.controls.get(name)
        if existing is None:
            existing = self.form.controls[name] = Control(name, kind, attrs)
        return existing

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(self.page, urljoin(self.page, a.get("action") or self.page),
                             (a.get("method") or "get").lower(), "multipart" in a.get("enctype", ""))
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self.control(name, "button", a).options.append(a.get("value", ""))
            elif kind in ("button", "reset"):
                return  # never sent
            elif kind in ("radio", "checkbox"):
                c = self.control(name, kind, a)
                if "disabled" not in a:
                    c.options.append(a.get("value", "on"))
                    if "checked" in a:
                        c.default.append(a.get("value", "on"))
            else:
                c = self.control(name, kind, a)
                if kind != "file":
                    c.default = [a.get("value", "")]
        elif tag == "button" and name and (a.get("type") or "submit") == "submit":
            self.control(name, "button", a).options.append(a.get("value", ""))
        elif tag == "select" and name:
            self.select = self.control(name, "select", a)
        elif tag == "option" and self.select is not None:
            self.option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and name:
            self.textarea = self.control(name, "textarea", a)
            self.textarea.default = [""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.default[0] += data
        if self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None and self.select is not None:
            value, selected, label = self.option
            value = label.strip() if value is None else value
            self.select.options.append(value)
            if selected:
                self.select.default = [value]
            self.option = None
        elif tag == "select" and self.select is not None:
            if not self.select.default and self.select.options:
                self.select.default = [self.select.options[0]]
            self.select = None
        elif tag == "textarea":
            if self.textarea is not None and self.textarea.default[0].startswith("\n"):
                self.textarea.default[0] = self.textarea.default[0][1:]
            self.textarea = None
        elif tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None


def forms_on(page: str, html: str) -> list[Form]:
    parser = FormParser(page)
    parser.feed(html)
    return parser.forms


def browser_values(form: Form) -> dict[str, list]:
    """What a browser sends when the person changes nothing, choosing the first option where a
    choice must be made (an unchecked radio group, a checkbox list, one of several buttons)."""
    values = {}
    for c in form.controls.values():
        if c.kind == "file":
            continue
        if c.kind in ("radio", "checkbox", "select"):
            values[c.name] = list(c.default) or c.options[:1]
        elif c.kind == "button":
            values[c.name] = c.options[:1]
        else:
            values[c.name] = list(c.default)
    return values


# --------------------------------------------------------------------------------------------
# The world the requests run against, built through the pages


def _id(birth: str, female: bool, n: int = 0) -> str:
    seq = f"{(n * 2 + (0 if female else 1)) % 1000:03d}"
    return H.make_id("622827" if birth < "2002" else "621027", birth, seq)


def candidates(c: Control, index: int) -> list[str]:
    """Valid answers to try for a catalog field, by its name and markup; rotated per field so
    two ID numbers or two names on one form differ."""
    name, kind, a = c.name.lower(), c.kind, c.attrs
    names = ["李秀英", "王建国", "张桂兰"]
    if kind == "select":
        return [o for o in c.options if o] or [""]
    if kind == "textarea":
        return ["家中老人患病，收入不足。", "父亲 李德福 1950年生；母亲 王秀兰 1952年生"]
    if "id_number" in name or a.get("maxlength") == "18":
        ids = [_id(b, f, index) for b in ("19900303", "19600101", "19400505", "20150808") for f in (True, False)]
        return ids[index % 2:] + ids[:index % 2]
    if "phone" in name or kind == "tel":
        return ["13900000001", "13900000002"]
    if "date" in name or kind == "date":
        soon = date.today() + timedelta(days=60)
        return [soon.isoformat(), (date.today() - timedelta(days=30)).isoformat(), "2027-03-01"]
    if "account" in name:
        return ["6228480402564890018", "6217000010012345678"]
    if a.get("inputmode") in ("decimal", "numeric") or kind == "number":
        return ["3", "1", "500", "0", "6228480402564890018"]
    if "name" in name or "guardian" in name:
        return names[index % 3:] + names[:index % 3]
    return ["城关镇东关村三组", "李秀英", "测试内容"]


@dataclass
class CaseRef:
    number: str
    id: int
    token: str
    state: str
    code: str


class World:
    """People, staff, drafts, cases in every state, a booking, an order: what every route needs."""

    def __init__(self, app):
        self.app = app
        result = app.test_cli_runner().invoke(args=["seed", "--without-cases"])
        assert result.exit_code == 0, f"setup: flask seed failed: {result.output}"
        self.catalog_codes = [i.code for i in app.extensions["catalog"].items]
        self.anonymous = Actor("anonymous", app.test_client())
        self.anonymous.refresh_token("/track")
        self.villager = Actor("villager", app.test_client())  # 张桂兰, real-named by `flask seed`
        assert sign_in(self.villager.client, "13900000001").status_code == 303, "setup: villager sign-in"
        self.villager.refresh_token("/track")
        self.pending = Actor("waiting for a code", app.test_client())
        assert form_post(self.pending.client, "/signin", {"phone": "13900000004"}).status_code == 303
        self.pending.refresh_token("/signin/code")
        self.unverified = Actor("signed in, not real-named", app.test_client())
        sign_in(self.unverified.client, "13900000003")
        self.unverified.refresh_token("/me/verify")
        self.window = self.staff("chengguan")  # 城关镇 window: the cases below are all at 城关镇
        self.admin = self.staff("admin")
        self.hospital = self.staff("yiyuan")
        self.answers: dict[str, dict] = {}
        self.apply_codes = self.codes("apply", "/apply/{}")
        assert BIRTH_REGISTRATION in self.apply_codes and CERTIFICATE in self.apply_codes, self.apply_codes
        self.pay_codes = self.codes("payment", "/pay/{}")
        self.query_codes = self.codes("query", "/query/{}")
        self.cases: dict[str, list[CaseRef]] = defaultdict(list)
        for state in ("submitted", "accepted", "completed"):
            self.cases[state].append(self.make_case(CERTIFICATE, state))
        self.cases["supplement"].append(self.make_case(BIRTH_REGISTRATION, "supplement"))
        for code in self.apply_codes:  # every draft filled in and its materials uploaded: forms are prefilled
            self.fill_draft(code)
        self.draft_file_key = self._first(self.villager, f"/apply/{BIRTH_REGISTRATION}/materials",
                                          r"/materials/remove/([\w-]+)")
        supplement = self.cases["supplement"][0]
        self.case_file_key = self._first(self.window, f"/office/cases/{supplement.id}", r"/office/files/([\w-]+)")
        self.booking_code, self.session_id, self.department_id = self.book()
        self.order_number = self.new_order()
        self.kiosk = Actor("kiosk, nobody identified", app.test_client())
        bind_kiosk(self.kiosk.client, register_kiosk(app)[1])
        self.kiosk.refresh_token("/kiosk/identify")
        self.kiosk_visitor = Actor("kiosk, 张桂兰 identified by card", app.test_client())
        bind_kiosk(self.kiosk_visitor.client, register_kiosk(app, name="测试终端 2")[1])
        assert kiosk_identify(self.kiosk_visitor.client).status_code == 303, "setup: kiosk identify"
        self.kiosk_visitor.refresh_token("/kiosk/my")
        for code in self.apply_codes:  # the kiosk's own drafts exist before any probe
            assert self.kiosk_visitor.client.get(f"/kiosk/apply/{code}").status_code == 200
        self.setup_token = register_kiosk(app, name="测试终端 3")[1]
        self.agent, self.mandate_id, self.paper_id = self.village_agent()
        self.rectification_id = self.bad_rating()

    def bad_rating(self) -> int:
        """张桂兰 rates a case of hers 非常不满意: the rectification it opens, for 城关镇 to answer."""
        case = self.make_case(CERTIFICATE, "completed")
        response = form_post(self.villager.client, f"/my/{case.number}/rate", {"overall": "1", "comment": "跑了三趟"})
        assert response.status_code == 303, f"setup: rating: {response.status_code}"
        page = self.window.client.get("/office/rectifications").get_data(as_text=True)
        return int(re.search(r"/office/rectifications/(\d+)", page).group(1))

    def village_agent(self) -> tuple[Actor, int, int]:
        """The demo agent of 东关村 (from `flask seed`), with 张桂兰's consent by SMS code, a draft
        of every item begun for her, and a 收件清单 on her 补正 case."""
        agent = Actor("village agent, 张桂兰's consent", self.app.test_client())
        response = agent_sign_in(self.app, agent.client, "daiban", "Agent-demo-2026")
        assert response.status_code == 303, "setup: agent login"
        response = form_post(agent.client, "/agent/residents/new", {
            "name": "张桂兰", "id_number": "622827195803150023", "phone": "13900000001", "item": "", "months": "3"})
        page_url = response.headers["Location"]
        code = CONSENT_CODE.search(agent.client.get(page_url).get_data(as_text=True)).group(1)
        assert form_post(agent.client, page_url, {"code": code}, post_url=page_url + "/code").status_code == 303
        mandate_id = int(page_url.rsplit("/", 1)[1])
        for item in self.apply_codes:
            assert agent.client.get(f"/agent/r/{mandate_id}/apply/{item}").status_code == 200
        number = self.cases["supplement"][0].number
        response = form_post(agent.client, f"/agent/r/{mandate_id}/my/{number}/papers/collect",
                             {"keys": self.app.extensions["catalog"].get(BIRTH_REGISTRATION).required_materials[0].key})
        assert response.status_code == 303, "setup: 收件清单"
        agent.refresh_token(f"/agent/r/{mandate_id}/my")
        return agent, mandate_id, int(response.headers["Location"].rstrip("/").rsplit("/", 2)[1])

    def codes(self, kind: str, page: str) -> list[str]:
        """The items whose page of this kind opens for the villager (the catalog's `kind` narrows the search)."""
        items = self.app.extensions["catalog"].items
        guess = [i.code for i in items if getattr(i, "kind", kind) == kind] or self.catalog_codes
        return [c for c in guess if self.villager.client.get(page.format(c)).status_code == 200]

    # actors ------------------------------------------------------------------------------
    def staff(self, username: str) -> Actor:
        actor = Actor(username, self.app.test_client())
        response = staff_sign_in(self.app, actor.client, username, STAFF_PASSWORDS[username])
        assert response.status_code == 303, f"setup: staff login {username}: {response.status_code}"
        actor.refresh_token("/office/login")
        return actor

    @staticmethod
    def _first(actor: Actor, page: str, pattern: str) -> str:
        html = actor.client.get(page).get_data(as_text=True)
        match = re.search(pattern, html)
        assert match, f"setup: nothing like {pattern} on {page}"
        return match.group(1)

    # drafts and cases ----------------------------------------------------------------------
    def fill_draft(self, code: str) -> None:
        """Answer the form validly (trying other valid answers where the page objects) and upload
        every material, so the form, the materials page and the check page are complete."""
        client = self.villager.client
        url = f"/apply/{code}"
        answers = self.answers.get(code)
        if answers is None:
            [form] = [f for f in forms_on(url, client.get(url).get_data(as_text=True)) if f.method == "post"]
            tries = {c.name: 0 for c in form.fields()}
            answers = browser_values(form)
            for i, c in enumerate(form.fields()):
                if c.kind == "select" and c.name == "township_id":
                    town = re.search(r'<option value="(\d+)"[^>]*>城关镇<', client.get(url).get_data(as_text=True))
                    answers[c.name] = [town.group(1)] if town else c.options[1:2]
                elif not "".join(answers.get(c.name, [""])).strip() or c.kind == "select":
                    answers[c.name] = [candidates(c, i)[0]]
            for _ in range(8):
                response = form_post(client, url, {k: v for k, v in answers.items() if k != "csrf_token"})
                if response.status_code == 303:
                    break
                page_forms = [f for f in forms_on(url, response.get_data(as_text=True)) if f.method == "post"]
                bad = [c for c in page_forms[0].fields() if c.attrs.get("aria-invalid") == "true"] if page_forms else []
                for i, c in enumerate(form.fields()):
                    if not bad or c.name in {b.name for b in bad}:
                        options = candidates(c, i)
                        tries[c.name] += 1
                        answers[c.name] = [options[tries[c.name] % len(options)]]
            else:
                raise AssertionError(f"setup: no valid answers found for {url}: {answers} → "
                                     f"{_text_of_alerts(response.get_data(as_text=True))[:300]}")
            self.answers[code] = {k: v for k, v in answers.items() if k != "csrf_token"}
        else:
            assert form_post(client, url, answers).status_code == 303, f"setup: refilling {url}"
        materials = f"/apply/{code}/materials"
        for form in forms_on(materials, client.get(materials).get_data(as_text=True)):
            if any(c.kind == "file" for c in form.controls.values()):
                files = [c.name for c in form.controls.values() if c.kind == "file"][0]
                data = {**{k: v[0] for k, v in browser_values(form).items() if k != "csrf_token"},
                        files: (BytesIO(H.SMALL_PNG), "ok.png")}
                response = form_post(client, materials, data, post_url=form.action, content_type="multipart/form-data")
                assert response.status_code == 303, f"setup: upload to {form.action}: {response.status_code}"

    def submit(self, code: str) -> CaseRef:
        check = f"/apply/{code}/check"
        if code in self.answers:  # answers known: upload only when the check page asks for materials
            assert form_post(self.villager.client, f"/apply/{code}", self.answers[code]).status_code == 303
            forms = [f for f in forms_on(check, self.villager.client.get(check).get_data(as_text=True))
                     if f.method == "post"]
        else:
            forms = []
        if not forms:
            self.fill_draft(code)
            forms = [f for f in forms_on(check, self.villager.client.get(check).get_data(as_text=True))
                     if f.method == "post"]
        assert forms, f"setup: {check} offers no submit form"
        data = {k: v[0] for k, v in browser_values(forms[0]).items() if k != "csrf_token"}
        response = form_post(self.villager.client, check, data, post_url=forms[0].action)
        assert response.status_code == 303, f"setup: submitting {code}: {response.status_code}"
        number = re.search(r"/cases/([^/]+)/receipt", response.headers["Location"]).group(1)
        with self.app.app_context():
            row = db.session.execute(sql("SELECT id, track_token FROM cases WHERE number = :n"), {"n": number}).one()
            db.session.rollback()
        return CaseRef(number, row.id, row.track_token, "submitted", code)

    def act(self, case: CaseRef, name: str, data: dict | None = None) -> None:
        page = f"/office/cases/{case.id}"
        response = form_post(self.window.client, page, {"note": "演示", **(data or {})},
                             post_url=f"/office/cases/{case.id}/act/{name}", content_type="multipart/form-data")
        assert response.status_code == 303, f"setup: {name} on {case.number}: {response.status_code}"

    def make_case(self, code: str, state: str) -> CaseRef:
        case = self.submit(code)
        if state in ("accepted", "completed", "supplement"):
            self.act(case, "accept")
        if state == "completed":
            self.act(case, "complete", {"decision": "approved"})
        if state == "supplement":
            html = self.window.client.get(f"/office/cases/{case.id}").get_data(as_text=True)
            form = next(f for f in forms_on("/", html) if f.action.endswith("/act/supplement"))
            self.act(case, "supplement", {"materials": form.controls["materials"].options[0], "note": "照片模糊"})
        case.state = state
        return case

    def fresh_case(self, state: str, code: str = CERTIFICATE) -> CaseRef:
        case = self.make_case(code, state)
        self.cases[state].append(case)
        return case

    def book(self) -> tuple[str, int, int]:
        client = self.villager.client
        department = re.search(r"/book/dept/(\d+)", client.get("/book").get_data(as_text=True))
        assert department, "setup: no hospital department to book"
        sessions = re.findall(r"/book/session/(\d+)", client.get(f"/book/dept/{department.group(1)}").get_data(as_text=True))
        assert sessions, "setup: no open session in the coming week"
        response = form_post(client, f"/book/session/{sessions[-1]}", {"who": "self"})
        assert response.status_code == 303, f"setup: booking: {response.status_code}"
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[1], int(sessions[-1]), int(department.group(1))

    def new_order(self) -> str:
        code = self.pay_codes[0]
        [form] = [f for f in forms_on(f"/pay/{code}", self.villager.client.get(f"/pay/{code}").get_data(as_text=True))
                  if f.method == "post"]
        data = {k: v for k, v in browser_values(form).items() if k != "csrf_token"}
        response = form_post(self.villager.client, f"/pay/{code}", data)
        assert response.status_code == 303, f"setup: order: {response.status_code}"
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]

    # URLs ----------------------------------------------------------------------------------
    def valid_values(self, endpoint: str, var: str) -> list[str]:
        """Real values for a path variable: the first is used when another variable is probed."""
        case = {s: self.cases[s][0] for s in self.cases}
        if endpoint.startswith("kiosk.setup"):
            return [self.setup_token]
        if endpoint == "agent.paper_new" and var == "kind":
            return ["collect", "return"]
        if endpoint.startswith("agent.") and var in ("mandate_id", "consent_id", "paper_id"):
            return [str(self.paper_id if var == "paper_id" else self.mandate_id)]
        endpoint = "pwa." + endpoint.split(".", 1)[1] if endpoint.startswith(("kiosk.", "agent.")) else endpoint
        by_endpoint = {
            "code": (self.apply_codes if endpoint.startswith("pwa.apply") else
                     self.pay_codes if endpoint == "pwa.pay" else
                     self.query_codes if endpoint == "pwa.query" else
                     [self.booking_code] if endpoint == "pwa.booking" else [BIRTH_REGISTRATION]),
            "number": ([self.order_number] if endpoint.startswith("pwa.pay") else
                       [case["supplement"].number, case["submitted"].number]),
            "key": [self.draft_file_key] if endpoint == "pwa.apply_remove_file" else [self.case_file_key],
            "case_id": [str(case[s].id) for s in ("submitted", "accepted", "completed", "supplement")],
            "session_id": [str(self.session_id)],
            "department_id": [str(self.department_id)],
            "section": ["convenience", "approval", "special"],
            "provider_name": ["sandbox"],
            "system": ["wjj"],
            "name": ["accept"],
            "kind": ["accept", "supplement"],
        }
        if endpoint.startswith("api.exchange") and var == "number":
            return [case["supplement"].number]
        if endpoint == "pwa.rate_case" and var == "number":  # done, not yet rated: the form is there
            return [case["completed"].number]
        if var == "rectification_id":
            return [str(self.rectification_id)]
        if endpoint == "office.supervision_csv" and var == "name":
            return ["status", "efficiency"]
        return by_endpoint.get(var, ["x"])

    def query_for(self, endpoint: str, url: str) -> str:
        """The query string a page needs to be itself (the tracking token)."""
        if endpoint in ("pwa.track", "kiosk.track"):
            number = urlsplit(url).path.rsplit("/", 1)[1]
            token = next((c.token for cs in self.cases.values() for c in cs if c.number == number),
                         self.cases["supplement"][0].token)
            return f"k={token}"
        return ""

    def actor_for(self, rule) -> Actor:
        """Who a route is for: the first actor the page answers (not a redirect, not a 403)."""
        if rule.rule.startswith("/office/"):
            options = [self.window, self.admin, self.hospital]
        elif rule.rule.startswith("/kiosk/"):  # leaving would end the visit the other routes need
            options = [self.kiosk] if rule.endpoint in ("kiosk.leave", "kiosk.setup_bind") else [self.kiosk_visitor, self.kiosk]
        elif rule.rule.startswith("/agent/"):
            options = [self.agent] if rule.endpoint != "agent.logout" else [self.anonymous]
        elif rule.rule.startswith("/api/") or "provider_name" in rule.arguments:
            return self.anonymous
        else:
            options = [self.villager, self.anonymous, self.unverified, self.pending]
        url = urls(self, rule)[0]
        if "GET" not in rule.methods and rule.rule.startswith("/office/"):
            # A form's target: whoever may open the page the form is on (the path above it), so an
            # administrator's buttons are probed as an administrator, past the role check.
            parts = urlsplit(url).path.rstrip("/").split("/")
            pages = ["/".join(parts[:n]) for n in range(len(parts) - 1, 2, -1)]
            return next((a for page in pages for a in options if a.client.get(page).status_code < 300), options[0])
        if "GET" not in rule.methods:
            return options[0]
        for actor in options:
            if actor.client.get(url).status_code < 300:
                return actor
        return options[0]


VAR = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")


def routes(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def build_url(rule, values: dict[str, str]) -> str:
    return VAR.sub(lambda m: values[m.group(2)], rule.rule)


def urls(world: World, rule, override: dict | None = None) -> list[str]:
    """The rule's URLs with real values (every alternative of the first variable that has many)."""
    names = [m.group(2) for m in VAR.finditer(rule.rule)]
    options = {n: world.valid_values(rule.endpoint, n) for n in names}
    out = []
    variants = max([len(v) for v in options.values()] or [1])
    for i in range(variants):
        values = {n: enc(v[min(i, len(v) - 1)]) for n, v in options.items()}
        values.update(override or {})
        url = build_url(rule, values)
        query = world.query_for(rule.endpoint, url)
        out.append(url + ("?" + query if query else ""))
    return list(dict.fromkeys(out))


def converters(rule) -> dict[str, str]:
    return {m.group(2): (m.group(1) or "default") for m in VAR.finditer(rule.rule)}


def signed_headers(method: str, path_and_query: str, body: bytes, secret: str = EXCHANGE_SECRET) -> dict:
    """Sign as a department system would; the app signs the decoded path and the raw query."""
    path, _, query = path_and_query.partition("?")
    message = f"{method} {unquote(path, errors='replace')}{'?' + query if query else ''}\n".encode() + body
    timestamp = str(int(time.time()))
    return {"X-Timestamp": timestamp, "X-Signature": sign(secret, timestamp, message),
            "Content-Type": "application/json"}


def rule_of(app, url: str) -> str:
    adapter = app.url_map.bind("localhost")
    for method in ("GET", "POST"):
        try:
            return adapter.match(urlsplit(url).path, method=method, return_rule=True)[0].rule
        except Exception:
            continue
    return urlsplit(url).path


def endpoint_of(app, url: str) -> tuple[str, dict]:
    adapter = app.url_map.bind("localhost")
    parts = urlsplit(url)
    try:
        return adapter.match(parts.path, method="POST")
    except Exception:
        try:
            return adapter.match(parts.path, method="GET")
        except Exception:
            return "?", {}


@pytest.fixture
def world(app):
    return World(app)


@pytest.fixture
def probe(app):
    probe = Probe(app)
    with crash_log(app) as crashes:
        probe.crashes = crashes
        yield probe


# --------------------------------------------------------------------------------------------
# 1. Path variables


PATH_VALUES = H.MINI + [RAW + s for s in H.RAW_PATH_SEGMENTS]
PATH_VALUES_POST = H.MICRO + [RAW + s for s in H.RAW_PATH_SEGMENTS[:4]]


def test_hostile_path_variables(app, world, probe):
    for rule in routes(app):
        kinds = converters(rule)
        if not kinds:
            continue
        actor = world.actor_for(rule)
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        for var, converter in kinds.items():
            for method in methods:
                values = H.INT_PATH_VALUES if converter == "int" else PATH_VALUES if method == "GET" else PATH_VALUES_POST
                for value in values:
                    url = urls(world, rule, {var: enc(value) if converter != "int" else quote(value, safe="")})[0]
                    where = f"path <{var}>"
                    if rule.rule.startswith("/api/v1/exchange/"):
                        body = json.dumps({"request_id": secrets.token_hex(8), "action": "accept"}).encode() \
                            if method == "POST" else b""
                        probe.send(actor, method, url, rule=rule.rule, where=where, value=value, body=body,
                                   headers=signed_headers(method, url, body))
                    elif method == "POST":
                        probe.send(actor, method, url, rule=rule.rule, where=where, value=value, data={},
                                   csrf_page=None)
                    else:
                        probe.send(actor, method, url, rule=rule.rule, where=where, value=value)
    probe.assert_clean()


# --------------------------------------------------------------------------------------------
# 2. Query parameters


def _module_source(view) -> str:
    """The source of the module a view is written in, when it is this project's code."""
    module = inspect.getmodule(inspect.unwrap(view))
    path = getattr(module, "__file__", "") or ""
    if not path.startswith(str(ROOT)) or "/.venv/" in path:
        return ""
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return ""


ARGS_READ = re.compile(r"request\.args(?:\.get|\.getlist)?[\(\[]\s*[\"'](\w+)")


def _param_names(app) -> list[str]:
    """The hard-coded list, and every name the views' modules read from request.args."""
    names = list(H.PARAM_NAMES)
    for view in app.view_functions.values():
        names += ARGS_READ.findall(_module_source(view))
    return list(dict.fromkeys(names))


QUERY_RAW = [RAW + v for v in H.RAW_QUERY_VALUES]


def test_hostile_query_parameters(app, world, probe):
    names = _param_names(app)
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        actor = world.actor_for(rule)
        path = urls(world, rule)[0].partition("?")[0]
        view = app.view_functions[rule.endpoint]
        try:
            reads = "request.args" in inspect.getsource(inspect.unwrap(view))
        except (OSError, TypeError):
            reads = True
        own = list(dict.fromkeys(ARGS_READ.findall(_module_source(view)))) if reads else []
        # views that read parameters get a cut with a few of every kind; the others (where only
        # shared code sees the query: caching, the 长辈版 link) the smallest. `after` and `next`
        # get the whole corpus below and in the exchange test.
        for value in (H.MINI if reads else H.MICRO) + QUERY_RAW:
            encoded = enc(value)
            if len(encoded) > 2000:  # a long value once per parameter the view reads, not in all twenty at once
                queries = [f"{n}={encoded}" for n in (own[:3] or ["q"])]
            else:
                queries = ["&".join(f"{n}={encoded}" for n in names)]
            for query in queries:
                url = path + "?" + query
                headers = signed_headers("GET", url, b"") if rule.rule.startswith("/api/v1/exchange/") else None
                probe.send(actor, "GET", url, rule=rule.rule, where="query parameters", value=value, headers=headers)
    # where a parameter becomes a redirect: the 长辈版 switch, and signing in at the office
    for value in H.CORPUS:
        probe.send(world.anonymous, "GET", "/elder?on=1&next=" + enc(value), rule="/elder", where="next", value=value)
    for value in H.MINI + [v for v in H.CORPUS if v.startswith("/office")]:
        staff = Actor("staff signing in", app.test_client())
        staff.refresh_token("/office/login")
        probe.send(staff, "POST", "/office/login?next=" + enc(value), rule="/office/login", where="next, signing in",
                   value=value, data={"username": ["minzheng"], "password": [STAFF_PASSWORDS["minzheng"]]})
    probe.assert_clean()


# --------------------------------------------------------------------------------------------
# 3. Every field of every form, as each kind of user


def discover(app, world: World, actor: Actor) -> list[Form]:
    """The POST forms on every page this actor can open (every real value of every variable)."""
    found = []
    staff = actor in (world.window, world.admin, world.hospital)
    for rule in routes(app):
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or (staff and not rule.rule.startswith("/office/")):
            continue
        for url in urls(world, rule):
            response = actor.client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            found += [f for f in forms_on(url, response.get_data(as_text=True)) if f.method == "post"]
    return found


def form_key(app, form: Form) -> tuple:
    endpoint, args = endpoint_of(app, form.action)
    plain = tuple(sorted((k, v) for k, v in args.items() if not isinstance(v, int)))
    return endpoint, plain, tuple(sorted(c.name for c in form.fields()))


# Valid values where a page leaves a field empty, so that each probe changes one thing only.
def overrides(world: World, endpoint: str) -> dict[str, list[str]]:
    case = world.cases["submitted"][0]
    return {
        "office.login": {"username": ["minzheng"], "password": [STAFF_PASSWORDS["minzheng"]]},
        "office.accounts": {"name": ["测试员"], "role": ["admin"], "password": ["Strong-pass-2026"]},
        "office.calendar": {"year": ["2031"], "source": ["国办发明电〔2030〕1号"], "arrangement": ["2031-01-01 休 元旦"]},
        "office.case_action": {"note": ["材料齐全"], "method": ["post"], **{k: [v] for k, v in ADDRESS.items()}},
        "pwa.book_session": {"who": ["family"], "patient_name": ["李德福"], "patient_id_number": [_id("19500202", False, 7)]},
        "pwa.verify": {"name": ["赵大海"], "id_number": [_id("19850505", False, 9)]},
        "pwa.track_lookup": {"case_number": [case.number], "last4": ["0001"]},
        "pwa.signin": {"phone": ["13900000005"]},
        "pwa.feedback": {"useful": ["1"]},
    }.get(endpoint, {})


# Values that must be new on every post (one-time tokens, unique names).
FRESH = {
    ("pwa.feedback", "token"): lambda: secrets.token_urlsafe(24),
    ("pwa.pay", "key"): lambda: secrets.token_hex(16),
    ("office.accounts", "username"): lambda: "u" + secrets.token_hex(5),
}


def renew(world: World, endpoint: str, form: Form) -> None:
    """A probe that succeeded used up what the form acts on (a case moved on, an order was paid or
    cancelled): point the form at a new one in the same state."""
    if endpoint == "office.case_action":
        old = int(re.search(r"/cases/(\d+)/", form.action).group(1))
        state = next(c.state for cs in world.cases.values() for c in cs if c.id == old)
        new = world.fresh_case(state)
        form.action = form.action.replace(f"/cases/{old}/", f"/cases/{new.id}/")
        form.page = f"/office/cases/{new.id}"
    elif endpoint == "pwa.pay_sandbox":
        number = world.new_order()
        form.action = form.page = f"/pay/sandbox/{number}"
    elif endpoint == "pwa.rate_case":  # a case is rated once: the next probe rates another
        new = world.fresh_case("completed")
        form.action = form.page = f"/my/{new.number}/rate"


# Every accepted probe uses up a case, an order or a case's one rating.
CONSUMING = {"office.case_action", "pwa.pay_sandbox", "pwa.rate_case"}


def tier_of(control: Control, endpoint: str, seen: set) -> str:
    """How much of the corpus a field gets (all of it for every field would take many minutes):
    the whole corpus for the first field of each parsed kind (a number, a date, a phone number)
    in the test; a cut with a few of every kind for other fields; the smallest cut for a field
    exactly like one already probed on the same route (the next item's copy of a catalog field),
    and small cuts for free text on forms where every accepted value uses up a case."""
    a = control.attrs
    signature = (endpoint, control.kind, a.get("type"), a.get("inputmode"), a.get("maxlength"))
    repeat = signature in seen
    seen.add(signature)
    if endpoint in CONSUMING and control.kind in ("text", "textarea"):
        return "nano" if repeat else "micro"
    if repeat:
        return "micro"
    parsed = a.get("inputmode") if a.get("inputmode") in ("numeric", "decimal") else \
        a.get("type") if a.get("type") in ("date", "tel", "number") else None
    if parsed and ("parsed", parsed) not in seen:
        seen.add(("parsed", parsed))
        return "full"
    return "core"


def values_for(tier: str) -> list:
    return {"full": H.CORPUS, "core": H.CORE, "mini": H.MINI, "micro": H.MICRO, "nano": H.NANO}[tier] + [OMIT]


def filled(world: World, endpoint: str, form: Form) -> dict:
    """The form as a person fills it in validly: what the page holds, the valid values above for
    what it leaves empty, a small photo for a file input, new one-time values."""
    fixed = overrides(world, endpoint)
    data = {**browser_values(form), **{k: v for k, v in fixed.items() if k in form.controls}}
    data.update({c.name: [File("ok.png", H.SMALL_PNG)] for c in form.controls.values()
                 if c.kind == "file" and c.name == "files"})
    data.pop("csrf_token", None)
    for (e, name), make in FRESH.items():
        if e == endpoint and name in data:
            data[name] = [make()]
    return data


def fuzz_form(app, world: World, probe: Probe, actor: Actor, form: Form, seen: set) -> None:
    endpoint, _ = endpoint_of(app, form.action)
    rule = rule_of(app, form.action)
    if endpoint in CONSUMING:  # forms found on one page may share a case: each gets its own
        renew(world, endpoint, form)
        probe.invalidate()

    def post(data, where, value):
        response = probe.send(actor, "POST", form.action, rule=rule, where=where, value=value, data=data,
                              multipart=form.multipart, csrf_page=form.page)
        if response.status_code < 400 and endpoint in CONSUMING:
            page = form.page
            renew(world, endpoint, form)
            probe.invalidate()
            return response, page  # the used-up case's page shows what was accepted
        return response, None

    # filled in validly first: accepted, it shows each probe below changes one thing only
    status = post(filled(world, endpoint, form), "the form filled in validly", None)[0].status_code
    print(f"probing as {actor.name}: POST {form.action} (filled in validly → {status}) "
          f"fields {[c.name for c in form.fields()]}")
    for control in form.fields():
        accepted = []
        for value in values_for(tier_of(control, endpoint, seen)):
            data = filled(world, endpoint, form)
            if value is OMIT:
                data.pop(control.name, None)
            else:
                data[control.name] = [value]
            response, used_up = post(data, f"field {control.name!r}", value)
            location = response.headers.get("Location")
            if response.status_code < 400 and location and not offsite(location):
                accepted.append((value, location))
            if used_up:
                accepted.append((value, used_up))
        if endpoint not in CONSUMING:  # a draft keeps the last answer: put the valid one back
            post(filled(world, endpoint, form), "the form filled in validly again", None)
        # what was accepted is shown again: the form's page, and where the answers led
        shown = [(None, form.page)] + list({url: (v, url) for v, url in accepted}.values())[-5:]
        for value, url in shown:
            probe.send(actor, "GET", url, rule=rule_of(app, url), where=f"page after {control.name!r} was accepted",
                       value=value)


FORM_GROUPS = {
    "public": ["anonymous", "pending", "unverified"],
    "villager": ["villager"],
    "staff": ["window", "admin", "hospital"],
}


@pytest.mark.parametrize("group", list(FORM_GROUPS))
def test_hostile_form_fields(app, world, probe, group):
    by_name = {"anonymous": world.anonymous, "pending": world.pending, "unverified": world.unverified,
               "villager": world.villager, "window": world.window, "admin": world.admin, "hospital": world.hospital}
    done = set()
    if group != "public":  # forms anyone can open are probed once, as anonymous
        done = {form_key(app, f) for f in discover(app, world, world.anonymous)}
    seen: set = set()
    count = 0
    for name in FORM_GROUPS[group]:
        actor = by_name[name]
        for form in discover(app, world, actor):
            key = form_key(app, form)
            if key in done or not form.fields():
                continue  # sign-out, reveal, cancel: nothing to type; their URLs are probed in test 1
            done.add(key)
            count += 1
            fuzz_form(app, world, probe, actor, form, seen)
    assert count, f"no forms found for {group}"
    probe.assert_clean()


# --------------------------------------------------------------------------------------------
# 4. Uploads


def test_hostile_uploads(app, world, probe):
    villager, window = world.villager, world.window
    supplement = world.cases["supplement"][0]
    targets = []
    materials = f"/apply/{BIRTH_REGISTRATION}/materials"
    for page, actor in ((materials, villager), (f"/my/{supplement.number}", villager)):
        form = next(f for f in forms_on(page, actor.client.get(page).get_data(as_text=True))
                    if any(c.kind == "file" for c in f.controls.values()))
        targets.append((actor, form, "files", {}))
    completed = world.cases["completed"][0]
    page = f"/office/cases/{completed.id}"
    deliver = next(f for f in forms_on(page, window.client.get(page).get_data(as_text=True))
                   if f.action.endswith("/act/deliver"))
    targets.append((window, deliver, "result", {"method": ["electronic"]}))
    bad = H.bad_uploads()
    for actor, form, file_field, fixed in targets:
        endpoint, _ = endpoint_of(app, form.action)
        rule = rule_of(app, form.action)

        def post(files: list | None, where: str, value, refuse=None):
            data = {**browser_values(form), **fixed}
            data.pop("csrf_token", None)
            if files is not None:
                data[file_field] = files
            response = probe.send(actor, "POST", form.action, rule=rule, where=where, value=value, data=data,
                                  multipart=True, csrf_page=form.page, refuse=refuse)
            if response.status_code < 400:  # what was stored is shown again
                probe.send(actor, "GET", form.page, rule=rule_of(app, form.page), where=f"page after {where}",
                           value=value)
                if endpoint == "office.case_action":
                    renew(world, endpoint, form)
                    probe.invalidate()
            return response

        for label, name, content in bad:
            post([File(name, content)], "file content", label, refuse=f"a broken or wrong file ({label})")
        for name in H.hostile_file_names():
            post([File(name, H.SMALL_PNG)], "file name", name)
        post([File("", b"")], "file input left empty", "", refuse="no file chosen")
        post(None, "no file part", OMIT, refuse="no file chosen")
        if "multiple" in form.controls[file_field].attrs:  # several files in one input: all or none
            post([File("ok.png", H.SMALL_PNG), File("half.pdf", b"%PDF-1.4\n")], "one good file and one broken",
                 "ok.png + half.pdf", refuse="a broken file among good ones")
            post([File("a.jpg", H.SMALL_JPEG)] * 30, "30 files at once", "30 × a.jpg")
    # more than MAX_CONTENT_LENGTH in one request
    actor, form, file_field, _ = targets[0]
    data = {k: v for k, v in browser_values(form).items() if k != "csrf_token"}
    data[file_field] = [File("big.jpg", b"\xff\xd8\xff" + b"\0" * (33 * 1024 * 1024))]
    probe.send(actor, "POST", form.action, rule=rule_of(app, form.action), where="request over the size limit",
               value="33 MB", data=data, multipart=True, csrf_page=form.page, refuse="33 MB in one request")
    probe.assert_clean()


# --------------------------------------------------------------------------------------------
# 5. Signed machine endpoints: the department exchange and the payment callback


def test_department_exchange_and_payment_callback(app, world, probe):
    villager, window, anonymous = world.villager, world.window, world.anonymous
    # first the valid requests, so that a refusal below is about the input, not the signing
    url = "/api/v1/exchange/wjj/cases?after=0"
    answer = anonymous.client.get(url, headers=signed_headers("GET", url, b""))
    assert answer.status_code == 200 and answer.get_json()["cases"], f"setup: a valid pull: {answer.status_code}"
    case = world.fresh_case("submitted", BIRTH_REGISTRATION)
    url, body = f"/api/v1/exchange/wjj/cases/{case.number}/events", b'{"request_id": "ok-1", "action": "accept"}'
    answer = anonymous.client.post(url, data=body, headers=signed_headers("POST", url, body))
    assert answer.status_code == 200, f"setup: a valid push: {answer.status_code} {answer.get_data(as_text=True)}"

    pull = "/api/v1/exchange/<system>/cases"
    for value in list(dict.fromkeys(H.AFTER_VALUES + H.CORPUS)) + QUERY_RAW:
        url = "/api/v1/exchange/wjj/cases?after=" + enc(value)
        probe.send(anonymous, "GET", url, rule=pull, where="after", value=value, headers=signed_headers("GET", url, b""))

    push_rule = "/api/v1/exchange/<system>/cases/<number>/events"
    pool: dict[str, CaseRef] = {}
    for label, state, payload in H.push_payloads():
        case = pool.get(state) or world.fresh_case(state, BIRTH_REGISTRATION)
        pool[state] = case
        probe.invalidate()
        if isinstance(payload, dict) and isinstance(payload.get("request_id"), str):
            payload = {**payload, "request_id": secrets.token_hex(4) + payload["request_id"]}  # never a repeat
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        url = f"/api/v1/exchange/wjj/cases/{case.number}/events"
        refuse = None
        if isinstance(payload, dict) and payload.get("action") == "supplement":
            refuse = "supplement materials that are not a list of this item's requestable materials"
        response = probe.send(anonymous, "POST", url, rule=push_rule, where="push body", value=label, body=body,
                              headers=signed_headers("POST", url, body), refuse=refuse)
        if response.status_code >= 400:
            continue
        pool.pop(state)  # the case moved on
        # what the push stored must not break the pages that show it, nor the applicant's next steps
        follow = [(villager, "GET", f"/my/{case.number}", None),
                  (anonymous, "GET", f"/t/{case.number}?k={case.token}", None),
                  (window, "GET", f"/office/cases/{case.id}", None)]
        follow += [(window, "GET", f"/office/cases/{case.id}/notice/{kind}", None)
                   for kind in ("accept", "supplement", "reject")]
        materials = payload.get("materials") if isinstance(payload, dict) else None
        for m in (materials if isinstance(materials, list) else [materials]) if materials is not None else []:
            follow.append((villager, "POST", f"/my/{case.number}",
                           {"material": [str(m)], "files": [File("ok.png", H.SMALL_PNG)]}))
        follow.append((villager, "POST", f"/my/{case.number}/resubmit", {}))
        for actor, method, url, data in follow:
            probe.send(actor, method, url, rule=rule_of(app, url), where="after an accepted push", value=label,
                       data=data, multipart=bool(data), csrf_page="/track")

    # the payment provider's signed notification, wherever its route lives
    provider = app.extensions["payment_provider"]
    secret = getattr(provider, "secret", app.config["SECRET_KEY"] + ":pay")
    [notify] = [r for r in routes(app) if "provider_name" in r.arguments and "POST" in r.methods]
    notify_url = build_url(notify, {"provider_name": provider.name})
    order = world.order_number
    notices = [
        ("non-JSON body", b"not json"), ("deeply nested JSON", H.DEEP_LIST), ("JSON list", b"[1, 2]"),
        ("JSON null", b"null"), ("empty body", b""),
        ("amount NaN", {"order": order, "amount_fen": "NaN", "txn": "t", "status": "SUCCESS"}),
        ("amount abc", {"order": order, "amount_fen": "abc", "txn": "t", "status": "SUCCESS"}),
        ("amount ³", {"order": order, "amount_fen": "³", "txn": "t", "status": "SUCCESS"}),
        ("amount 1.5 as text", {"order": order, "amount_fen": "1.5", "txn": "t", "status": "SUCCESS"}),
        ("amount list", {"order": order, "amount_fen": [1], "txn": "t", "status": "SUCCESS"}),
        ("amount 1e309", b'{"order": "%s", "amount_fen": 1e309, "txn": "t", "status": "SUCCESS"}' % order.encode()),
        ("amount -1", {"order": order, "amount_fen": -1, "txn": "t", "status": "SUCCESS"}),
        ("order as list", {"order": [order], "amount_fen": 1, "txn": "t", "status": "SUCCESS"}),
        ("order unknown", {"order": "PO0000", "amount_fen": 1, "txn": "t", "status": "SUCCESS"}),
        ("status as list", {"order": order, "amount_fen": 1, "txn": "t", "status": ["SUCCESS"]}),
    ]
    with app.app_context():
        amount = db.session.execute(sql("SELECT amount_fen FROM payment_orders WHERE number = :n"), {"n": order}).scalar()
        db.session.rollback()
    notices.append(("the valid notification, last", {"order": order, "amount_fen": amount, "txn": "t",
                                                     "status": "SUCCESS"}))
    for label, payload in notices:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        timestamp = str(int(time.time()))
        headers = {"X-Timestamp": timestamp, "X-Signature": sign(secret, timestamp, body),
                   "Content-Type": "application/json"}
        response = probe.send(anonymous, "POST", notify_url, rule=notify.rule, where="signed notification body",
                              value=label, body=body, headers=headers)
    assert response.status_code == 200, f"setup: the valid payment notification was refused: {response.status_code}"
    probe.assert_clean()
