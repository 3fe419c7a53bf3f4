"""What a villager sees when the input is wrong: the message next to the field, what they typed
still there, and pages that stay accessible."""
from tests import factories
from tests.browser.steps import assert_accessible, sign_in_with_shown_code


def test_wrong_input_is_explained_beside_the_field_and_kept(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/signin?next=/my")
    page.get_by_label("手机号码").fill("１３９0000")  # full-width digits are fine; too short is not
    page.get_by_role("button", name="获取验证码").click()
    assert page.locator("#phone-error").inner_text().startswith("请输入 11 位手机号码")
    assert page.get_by_label("手机号码").input_value() == "１３９0000"
    assert_accessible(page, "sign-in with an error")
    sign_in_with_shown_code(page, "13900000027")
    page.get_by_label("姓名").fill("阿卜杜·热合曼1")
    page.get_by_label("身份证号").fill(factories.id_number("20991231", "123", region="621027"))
    page.get_by_role("button", name="确认").click()
    assert "只能是汉字" in page.locator("#name-error").inner_text()
    assert "出生日期" in page.locator("#id_number-error").inner_text()
    assert page.get_by_label("姓名").input_value() == "阿卜杜·热合曼1"
    assert_accessible(page, "real name with errors")
    page.get_by_label("姓名").fill("阿卜杜•热合曼")  # a look-alike dot, as phone keyboards type it
    page.get_by_label("身份证号").fill(factories.id_number("19850101", "123", region="621027").lower())
    page.get_by_role("button", name="确认").click()
    assert page.url.endswith("/my")
