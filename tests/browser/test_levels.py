"""The console for two levels, parallel review and department keys, in real Chromium: a township
forwards a 低保 case to the county, departments give their opinions on an investment project, the
administrator makes a key. axe-core on each page; screenshots kept."""
import re

from commands import DATA, seed_demo_staff
from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.people.actors import Actor
from services.people.staff import create_account
from services.places import township_id_by_name
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.steps import staff_sign_in
from tests.browser.test_agent_console import DESKTOP, login
from tests.browser.test_county import look


def test_a_township_forwards_to_the_county_and_parallel_opinions_show(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        create_account("ziran", "Review-test-2026", "自然资源审查员", "reviewer", department="镇原县自然资源局")
        person = factories.person()
        low_income = submit_case(app.extensions["catalog"].get("621027-BM-006"), person, {}, factories.key(),
                                 township_id=township_id_by_name("城关镇"))
        project = submit_case(app.extensions["catalog"].get("621027-SP-001"), person, {}, factories.key())
        lead = Actor("staff", 1, "发改局审查员", role="reviewer", department="镇原县发展和改革局")
        act(project, "accept", lead)
        act(project, "review", lead)
        low_id, project_id = low_income.id, project.id
    page = new_page(viewport=DESKTOP)
    login(page, live_server, "chengguan", "Window-demo-2026", app)
    page.goto(f"{live_server}/office/cases/{low_id}")
    page.get_by_role("button", name="受理", exact=True).click()
    page.get_by_role("button", name="报县级审批").wait_for()
    look(page, "township-forward-desktop", screenshot_dir)
    page.get_by_label("初审意见").fill("入户调查属实，民主评议通过")
    page.get_by_role("button", name="报县级审批").click()
    page.get_by_text("现在不由您办理").wait_for()
    look(page, "township-follows-desktop", screenshot_dir)

    page = new_page(viewport=DESKTOP)
    staff_sign_in(page, live_server, "ziran", "Review-test-2026", app)
    page.goto(f"{live_server}/office/cases/{project_id}")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("审查意见").fill("用地符合国土空间规划")
    page.get_by_role("button", name="出具并联审查意见").click()
    page.get_by_text("镇原县自然资源局：同意。用地符合国土空间规划").first.wait_for()
    look(page, "parallel-desktop", screenshot_dir)
    with app.app_context():
        assert db.session.get(Case, low_id).level == "county"


def test_the_administrator_makes_a_department_key(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport=viewport)
        login(page, live_server, "admin", "Admin-demo-2026", app)
        page.goto(live_server + "/office/api-keys")
        page.get_by_label("部门系统").select_option("wjj")
        page.get_by_role("button", name="生成").click()
        secret = page.locator(".secret").inner_text()
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", secret)
        look(page, f"api-keys-{size}", screenshot_dir)
        page.goto(live_server + "/office/webhooks?system=wjj")
        page.get_by_label("接收地址").fill("https://wjj.example.gov.cn/hooks/cases")
        page.get_by_role("button", name="保存").click()
        page.get_by_role("button", name="不再推送").wait_for()
        look(page, f"webhooks-{size}", screenshot_dir)


def test_the_api_docs_read_well(live_server, new_page, screenshot_dir):
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = new_page(viewport=viewport)
        page.goto(live_server + "/api/v1/docs")
        page.get_by_role("heading", name=re.compile("推送办理状态")).wait_for()
        look(page, f"api-docs-{size}", screenshot_dir)
