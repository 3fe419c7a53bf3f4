import struct

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import KIOSK, PHONE

BIRTH = "/items/621027-BM-004"
DISABILITY = "/items/621027-BM-007"


def png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("kiosk", KIOSK)])
@pytest.mark.parametrize("name,path", [("home", "/"), ("guide", BIRTH)])
def test_screenshot_fits_the_screen(live_server, new_page, screenshot_dir, size, viewport, name, path):
    page = new_page(viewport)
    page.goto(live_server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.locator("h1").first.is_visible()
    shot = screenshot_dir / f"{size}-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot)
    assert width == viewport["width"] and height >= viewport["height"]


def test_a_guide_opened_before_is_readable_offline(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the worker controls the page
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(live_server + BIRTH)
    page.context.set_offline(True)
    page.goto(live_server + BIRTH)
    assert page.locator("h1").inner_text() == "生育登记"
    assert page.get_by_text("妊娠诊断证明或孕产妇保健手册首页", exact=True).is_visible()
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "您好，想办什么事？"
    page.goto(live_server + DISABILITY)  # never opened: the offline page, in Chinese
    assert page.locator("h1").inner_text() == "现在没有网络"


def font_size(page) -> float:
    return float(page.evaluate("getComputedStyle(document.body).fontSize")[:-2])


def test_elder_mode_works_without_javascript_and_is_remembered(live_server, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(live_server + BIRTH)
    assert font_size(page) < 22
    with page.expect_navigation():
        page.get_by_role("link", name="长辈版").click()
    assert page.url == live_server + BIRTH
    assert font_size(page) >= 22
    with page.expect_navigation():
        page.get_by_role("link", name="首页").click()
    assert page.url == live_server + "/"
    assert "elder" in page.evaluate("document.documentElement.className")
    assert font_size(page) >= 22
    assert page.locator(".tile").first.bounding_box()["height"] >= 64
    with page.expect_navigation():
        page.get_by_role("link", name="标准版").click()
    assert font_size(page) < 22


def test_touch_targets_are_large_enough_on_a_phone(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")
    for selector in (".tile", ".item-row a", ".search button", ".search input", ".mode"):
        box = page.locator(selector).first.bounding_box()
        assert box["height"] >= 40, selector


def test_search_as_you_type_shows_results_in_place(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")
    page.locator("#q").fill("低保")
    results = page.locator("#results .item-name").first
    results.wait_for()
    assert results.inner_text() == "最低生活保障申请"
    page.wait_for_url("**/search?q=*")


def test_search_form_works_without_javascript(live_server, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(live_server + "/")
    page.locator("#q").fill("挂号")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    assert page.locator("#results .item-name").first.inner_text() == "预约挂号"


def test_guide_feedback_in_place(live_server, new_page):
    page = new_page()
    page.goto(live_server + BIRTH)
    page.get_by_role("link", name="没用").click()  # htmx swaps the form in; no navigation
    page.get_by_label("哪里没看明白？（选填）").fill("不知道去哪个窗口")
    page.get_by_role("button", name="提交意见").click()
    assert page.get_by_role("status").inner_text().startswith("谢谢您的意见")
    assert page.url == live_server + BIRTH


@pytest.mark.parametrize("path", ["/", BIRTH, "/search?q=低保", "/places", "/offline"])
@pytest.mark.parametrize("elder", [False, True])
def test_pages_have_no_accessibility_violations(live_server, new_page, path, elder):
    page = new_page()
    if elder:
        page.goto(live_server + "/elder?on=1&next=/")
    page.goto(live_server + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
