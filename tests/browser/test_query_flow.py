"""A demo villager on a phone asks the housing fund for her balance."""
from commands import DATA, seed_demo_people
from tests.browser.steps import assert_accessible, sign_in_with_shown_code


def test_query_on_a_phone(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    page = new_page()
    page.goto(live_server + "/items/621027-BM-001")
    page.get_by_role("link", name="马上查询").click()
    sign_in_with_shown_code(page, "13900000002")
    page.get_by_text("45,210.80 元").wait_for()
    assert page.locator("h1").inner_text() == "住房公积金查询"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-query.png"), full_page=True)
    assert_accessible(page)
