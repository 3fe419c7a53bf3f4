"""The county's side in real Chromium: 办件公示 (phone, desktop and kiosk), 权责清单, rating a
case and the supervision page. axe-core on each; nothing wider than the screen; screenshots kept."""
import re

from sqlalchemy import select

from commands import DATA, seed_demo_staff
from extensions import db
from services.cases.demo import seed_demo_cases
from services.cases.lifecycle import Case, act, submit_case
from services.people.actors import Actor
from services.people.identity import Person
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.steps import assert_accessible, sign_in_with_shown_code, staff_sign_in
from tests.browser.test_agent_console import DESKTOP, login
from tests.browser.test_kiosk import check_screen, identify_by_simulated_card, kiosk, seeded  # noqa: F401,I001


def look(page, name: str, screenshot_dir) -> None:
    assert_accessible(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
    page.screenshot(path=str(screenshot_dir / f"county-{name}.png"), full_page=True)


def _demo(app) -> None:
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        seed_demo_cases(app.extensions["catalog"])


def test_the_public_list_filters_and_pages_with_and_without_script(app, live_server, new_page, screenshot_dir):
    _demo(app)
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(viewport=viewport)
        page.goto(live_server + "/s/special")
        page.get_by_role("link", name=re.compile("办件公示")).first.click()
        page.get_by_role("link", name="查看办件公示").click()
        page.get_by_role("heading", name="办件公示").wait_for()
        assert page.locator("li.public-case").count() == 20
        look(page, f"public-cases-{size}", screenshot_dir)
        # Choosing a department updates the list in place (htmx) and the address with it.
        page.get_by_label("部门").select_option("镇原县民政局")
        page.wait_for_url(re.compile(r"department="))
        page.wait_for_function("[...document.querySelectorAll('li.public-case .item-name')].every("
                               "e => ['高龄津贴申请', '最低生活保障申请'].includes(e.textContent))")
        assert "张桂兰" not in page.content()
    # Without script the same filters and pages are plain links and a plain form.
    page = new_page(viewport=PHONE, java_script_enabled=False)
    page.goto(live_server + "/public-cases")
    first = page.locator("li.public-case").first.inner_text()
    page.get_by_role("link", name="更早的办件 ›").click()
    assert page.locator("li.public-case").first.inner_text() != first
    page.get_by_role("link", name="‹ 较新的办件").click()
    assert page.locator("li.public-case").first.inner_text() == first


def test_the_public_list_powers_and_rating_on_a_kiosk(app, kiosk, screenshot_dir):  # noqa: F811
    _demo(app)
    with app.app_context():  # 张桂兰 (the simulated card) has a case done
        person = db.session.scalar(select(Person).where(Person.phone == "13900000001"))
        case = submit_case(app.extensions["catalog"].get("621027-BM-005"), person, {}, factories.key())
        staff = Actor("staff", 1, "李娜", role="admin")
        act(case, "accept", staff)
        act(case, "complete", staff, data={"decision": "approved"})
    page = kiosk()
    home = page.url
    page.get_by_role("link", name="办件公示").click()
    page.get_by_role("heading", name="办件公示").wait_for()
    check_screen(page, "public-cases", screenshot_dir)
    page.goto(home + "powers?department=mz")
    check_screen(page, "powers", screenshot_dir)
    page.get_by_role("link", name="我的办件").click()  # as a person does: identified first
    identify_by_simulated_card(page)
    page.get_by_role("link", name=re.compile("高龄津贴申请")).first.click()
    page.get_by_role("link", name="去评价").click()
    page.get_by_role("heading", name="评价这次办理").wait_for()
    check_screen(page, "rate", screenshot_dir)
    page.locator("#field-overall").get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_role("heading", name="我的评价").wait_for()


def test_powers_are_browsed_and_an_entry_read(live_server, new_page, screenshot_dir):
    page = new_page(viewport=PHONE)
    page.goto(live_server + "/powers")
    look(page, "powers-phone", screenshot_dir)
    page.get_by_role("link", name=re.compile("镇原县民政局")).click()
    page.get_by_role("link", name=re.compile("最低生活保障审核确认")).click()
    page.get_by_role("heading", name=re.compile("最低生活保障审核确认")).wait_for()
    look(page, "power-phone", screenshot_dir)
    page.get_by_role("link", name=re.compile("查看办事指南")).click()
    page.get_by_role("heading", name="最低生活保障申请").wait_for()


def test_rating_a_case_and_the_supervision_page(app, live_server, new_page, screenshot_dir):
    _demo(app)
    with app.app_context():
        person = factories.person("13900000001", "张桂兰", "19400101", "128")
        case = submit_case(app.extensions["catalog"].get("621027-BM-005"), person, {}, factories.key())
        staff = Actor("staff", 1, "李娜", role="admin")
        act(case, "accept", staff)
        act(case, "complete", staff, data={"decision": "approved"})
        number = case.number
    page = new_page(viewport=PHONE)
    page.goto(live_server + f"/my/{number}/rate")
    sign_in_with_shown_code(page, "13900000001")
    page.get_by_role("heading", name="评价这次办理").wait_for()
    look(page, "rate-phone", screenshot_dir)
    page.locator("#field-overall").get_by_label("不满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("#comment-error").inner_text().startswith("请写一写哪里不满意")
    page.get_by_label(re.compile("意见和建议")).fill("材料清单没有一次说清楚")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("已转镇原县民政局核实整改").wait_for()
    look(page, "rated-phone", screenshot_dir)
    with app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.phone == "13900000001")) is not None
        assert db.session.scalar(select(Case.status).where(Case.number == number)) == "completed"
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport=viewport)
        staff_sign_in(page, live_server, "ducha", "Supervise-demo-2026", app)
        page.get_by_role("heading", name=re.compile("督查")).wait_for()
        assert page.locator("svg.chart").count() >= 4
        look(page, f"supervision-{size}", screenshot_dir)
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "minzheng", "Review-demo-2026", app)
    page.get_by_role("link", name="差评整改", exact=True).click()
    page.get_by_role("link", name=number).click()
    page.get_by_role("heading", name=re.compile("差评整改")).wait_for()
    look(page, "rectification-desktop", screenshot_dir)
