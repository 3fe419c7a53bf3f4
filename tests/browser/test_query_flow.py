"""A demo villager on a phone asks the housing fund for her balance."""
import re

from commands import DATA, seed_demo_people


def test_query_on_a_phone(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    page = new_page()
    page.goto(live_server + "/items/621027-BM-001")
    page.get_by_role("link", name="马上查询").click()
    page.get_by_label("手机号码").fill("13900000002")
    page.get_by_role("button", name="获取验证码").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").inner_text()).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("45,210.80 元").wait_for()
    assert page.locator("h1").inner_text() == "住房公积金查询"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-query.png"), full_page=True)
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
