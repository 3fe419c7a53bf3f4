"""A villager books a morning at the county hospital for herself, on a phone."""
import re

from commands import DATA, seed_demo_people
from services.appointments import load_hospitals, open_coming_week


def test_book_on_a_phone(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
        load_hospitals(DATA / "hospitals.toml")
        open_coming_week()
    page = new_page()
    page.goto(live_server + "/items/621027-BM-010")
    page.get_by_role("link", name="预约挂号", exact=True).last.click()
    page.locator("section", has_text="镇原县人民医院").get_by_role("link", name="内科").click()
    page.locator(".item-row a").first.click()
    page.get_by_label("手机号码").fill("13900000001")
    page.get_by_role("button", name="获取验证码").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").inner_text()).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="确认预约").click()
    page.get_by_role("heading", name="预约成功").wait_for()
    assert page.get_by_text("张桂兰").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-booking.png"), full_page=True)
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
