"""The console's side of village agents, in real Chromium at desktop and phone width: the
township administrator's 代办员 page, 村级代办 figures, the window's 代办委托 look-up, and a case
an agent submitted, marked 代办 with its consent. axe-core on each; screenshots kept."""
import re

from commands import DATA, seed_demo_staff
from extensions import db
from services.cases.lifecycle import Case
from tests.browser.steps import staff_sign_in
from tests.browser.test_agent import look
from tests.factories import id_number
from tests.web.test_agent import _apply

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def login(page, base: str, username: str, password: str, app) -> None:
    staff_sign_in(page, base, username, password, app)
    page.get_by_role("heading", name=re.compile("办件")).wait_for()


def nav_in_rows_under_the_brand(page) -> None:
    """On a phone the console's links take the whole width under the brand, each tall enough to
    tap, instead of a narrow column beside it."""
    brand = page.locator(".office-top .brand").bounding_box()
    nav = page.locator(".office-nav").bounding_box()
    assert nav["y"] >= brand["y"] + brand["height"] - 1 and nav["width"] >= 340, (brand, nav)
    assert min(link.bounding_box()["height"] for link in page.locator(".office-nav a").all()) >= 44


def test_the_console_pages_for_village_agents(app, agents, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
    agent = agents.signed_in("daiban1")
    number = id_number("19400302", "456")
    mandate_id = agents.consent_by_sms(agent, "李䶮", number, "13900000011")
    _apply(agent, mandate_id, "李䶮", number)
    with app.app_context():
        case_id = db.session.scalar(db.select(Case.id))

    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport=viewport)
        login(page, live_server, "cgadmin", "Township-demo-2026", app)
        page.goto(live_server + "/office/agents")
        page.get_by_role("cell", name="daiban1").wait_for()
        if viewport is PHONE:
            nav_in_rows_under_the_brand(page)
        look(page, f"console-agents-{size}", screenshot_dir)
        page.goto(live_server + "/office/villages")
        row = page.locator('tr[data-village="621027101201"]')
        assert row.locator("td").nth(1).inner_text() == "1"  # one case submitted by 东关村's agent
        look(page, f"console-villages-{size}", screenshot_dir)
        page.goto(live_server + "/office/consents")
        page.get_by_label("群众的身份证号").fill(number)
        page.get_by_role("button", name="查找").click()
        page.get_by_role("button", name="撤销委托").wait_for()
        look(page, f"console-consents-{size}", screenshot_dir)
        page.goto(live_server + f"/office/cases/{case_id}")
        band = page.locator("section.agent-band")
        assert "村代办员代为申请" in band.inner_text() and "赵红梅" in band.inner_text()
        look(page, f"console-case-{size}", screenshot_dir)
    # A lost phone: the enrolment code to hand the agent in person, shown once, printable
    page.goto(live_server + "/office/agents")
    page.get_by_role("button", name="重置两步验证").click()
    page.locator("[data-enrolment-code]").wait_for()
    assert "村代办员账号" in page.inner_text("main") and "/agent/login" in page.inner_text("main")
    look(page, "console-agent-handover-phone", screenshot_dir)
