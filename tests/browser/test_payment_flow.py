"""A villager pays her household's medical insurance on a phone, through the tax bureau's channel
(医保 is collected by 税务; in the demo, its marked sandbox)."""
import re

from commands import DATA, seed_demo_people
from tests.browser.steps import assert_accessible, sign_in_with_shown_code


def test_pay_on_a_phone(app, live_server, new_page, screenshot_dir):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    page = new_page()
    page.goto(live_server + "/items/621027-BM-012")
    page.get_by_role("link", name="在线缴费").click()
    sign_in_with_shown_code(page, "13900000001")
    page.get_by_label(re.compile("张桂兰")).check()
    page.get_by_label(re.compile("李德福")).check()
    assert page.get_by_label(re.compile("李小军")).is_disabled()  # already paid this year
    page.get_by_role("button", name="下一步：去支付").click()
    page.get_by_role("heading", name="演示税务缴费渠道页面").wait_for()
    assert page.get_by_text("800 元").is_visible()
    assert not page.get_by_text("请选择支付或取消").is_visible()  # nothing refused before anything is sent
    page.screenshot(path=str(screenshot_dir / "phone-payment-tax-channel.png"), full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="支付", exact=True).click()
    page.get_by_role("heading", name="缴费成功").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "phone-payment-receipt.png"), full_page=True)
    assert_accessible(page)
