"""A villager books a morning at the county hospital for herself, on a phone."""
from commands import DATA, seed_demo_people
from tests.browser.steps import assert_accessible, sign_in_with_shown_code
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
    sign_in_with_shown_code(page, "13900000001")
    page.get_by_role("button", name="确认预约").click()
    page.get_by_role("heading", name="预约成功").wait_for()
    assert page.get_by_text("张桂兰").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-booking.png"), full_page=True)
    assert_accessible(page)
