"""A villager pays her household's medical insurance on a phone, through the sandbox provider."""
import re

from commands import DATA, seed_demo_people


def test_pay_on_a_phone(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    page = new_page()
    page.goto(live_server + "/items/621027-BM-012")
    page.get_by_role("link", name="在线缴费").click()
    page.get_by_label("手机号码").fill("13900000001")
    page.get_by_role("button", name="获取验证码").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").inner_text()).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_label(re.compile("张桂兰")).check()
    page.get_by_label(re.compile("李德福")).check()
    assert page.get_by_label(re.compile("李小军")).is_disabled()  # already paid this year
    page.get_by_role("button", name="下一步：去支付").click()
    assert page.get_by_text("800 元").is_visible()
    page.get_by_role("button", name="支付", exact=True).click()
    page.get_by_role("heading", name="缴费成功").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-payment-receipt.png"), full_page=True)
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
