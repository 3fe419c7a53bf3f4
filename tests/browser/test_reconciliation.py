"""工作台 → 对账 in real Chromium at desktop and phone width: the days checked, the differences
left for staff. axe-core on the page; screenshots kept."""
from datetime import timedelta

from commands import DATA, seed_demo_staff
from extensions import db
from services.clock import today
from services.reconciliation import Reconciliation
from tests.browser.conftest import PHONE
from tests.browser.steps import staff_sign_in
from tests.browser.test_agent_console import DESKTOP
from tests.browser.test_county import look


def test_the_supervisor_reads_the_days_reconciliation(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        yesterday = today() - timedelta(days=1)
        db.session.add(Reconciliation(provider="wechat", day=yesterday, bill_count=41, bill_fen=1_236_000,
                                      our_count=41, our_fen=1_236_000, differences=[
                                          {"kind": "settled_now", "order": "PO26112500017", "txn": "4200000985202611250000000017",
                                           "theirs": 30000, "ours": 30000},
                                          {"kind": "missing_there", "order": "PO26112500031", "txn": "4200000985202611250000000031",
                                           "theirs": None, "ours": 50000}]))
        db.session.add(Reconciliation(provider="wechat", day=yesterday - timedelta(days=1), bill_count=37,
                                      bill_fen=980_000, our_count=37, our_fen=980_000, differences=[]))
        db.session.commit()
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport=viewport)
        staff_sign_in(page, live_server, "ducha", "Supervise-demo-2026", app)
        page.get_by_role("link", name="对账").click()
        page.get_by_role("heading", name="支付对账").wait_for()
        assert page.get_by_text("本站已支付、账单没有：请核查").is_visible()
        look(page, f"reconciliation-{size}", screenshot_dir)
