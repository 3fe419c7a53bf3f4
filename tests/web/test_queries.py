import html

import pytest
from sqlalchemy import select

from commands import DATA, seed_demo_people
from extensions import db
from services.audit import AuditEntry
from services.exchange.http import HttpAdapter
from tests.conftest import sign_in
from tests.fake_department import FakeDepartment, Running

FUND, PENSION, SUBSIDY = "621027-BM-001", "621027-BM-002", "621027-BM-003"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def demo(app, client):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    sign_in(client, "13900000002")  # 王建国, already real-named by the demo data
    return client


def test_housing_fund_balance_is_shown_at_once_as_money(app, demo):
    response = demo.get(f"/query/{FUND}")
    page = text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "45,210.80 元" in page and "1,236 元" in page and "2026-11-10" in page
    assert "王**" in page and "622827196508201136" not in page


def test_pension_shows_account_years_and_contributions(demo):
    page = text(demo.get(f"/query/{PENSION}"))
    assert "12,860.50 元" in page and "11 年" in page and "第五档" in page and "尚未领取" in page


def test_subsidies_are_listed_by_year_and_item(demo):
    page = text(demo.get(f"/query/{SUBSIDY}"))
    assert "2026 年" in page and "耕地地力保护补贴" in page and "1,047.20 元" in page


def test_every_query_is_audit_logged(app, demo):
    demo.get(f"/query/{FUND}")
    demo.get(f"/query/{SUBSIDY}")
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "query").order_by(AuditEntry.id)))
    assert [e.target for e in entries] == [f"item:{FUND}", f"item:{SUBSIDY}"]
    assert entries[0].actor_name == "王建国" and entries[0].detail["outcome"] == "found"


def test_someone_the_department_does_not_know_is_told_plainly(app, client):
    from tests import factories

    sign_in(client, "13900000009", "刘小梅", factories.id_number("19920202", "345"))
    page = text(client.get(f"/query/{FUND}"))
    assert "没有查到您的记录" in page


def test_queries_need_a_signed_in_real_named_person(client):
    assert "/signin" in client.get(f"/query/{FUND}").headers["Location"]
    sign_in(client, "13900000008")
    assert "/me/verify" in client.get(f"/query/{FUND}").headers["Location"]


def test_only_query_items_can_be_queried(demo):
    assert demo.get("/query/621027-BM-004").status_code == 404


def test_a_department_that_is_down_gets_a_retry_page_not_a_500(app, demo, monkeypatch):
    fake = FakeDepartment("s", {})
    fake.mode = "fail"
    running = Running(fake)
    try:
        monkeypatch.setitem(app.extensions["exchange"], "gjj", HttpAdapter("gjj", running.url, "s", timeout=0.5))
        response = demo.get(f"/query/{FUND}")
    finally:
        running.stop()
    page = text(response)
    assert response.status_code == 503
    assert "部门系统暂时无法访问，请稍后再试" in page and "再查一次" in page
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "query"))
    assert entry.detail["outcome"].startswith("unavailable")


def test_a_sandbox_answer_is_marked_demo_data_and_a_real_departments_is_not(app, demo, monkeypatch):
    sandbox = text(demo.get(f"/query/{FUND}"))
    assert "演示数据" in sandbox and "数据来自演示接口（模拟" in sandbox
    import json

    record = json.loads((DATA / "exchange" / "gjj.json").read_text(encoding="utf-8"))["housing_fund"]
    running = Running(FakeDepartment("s", {"housing_fund": record}))
    try:
        monkeypatch.setitem(app.extensions["exchange"], "gjj", HttpAdapter("gjj", running.url, "s", timeout=2))
        real = text(demo.get(f"/query/{FUND}"))
    finally:
        running.stop()
    assert "45,210.80 元" in real and "演示" not in real
