"""Steps shared by the browser tests, done the way a person does them."""
import re


def sign_in_with_shown_code(page, phone: str) -> None:
    """On the sign-in page: type the phone, read the demo code the page shows, type it."""
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").inner_text()).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()


def assert_accessible(page, name: str = "") -> None:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    assert result.violations_count == 0, (name, result.generate_report())


def enrol_authenticator(page, enrolment_code: str) -> None:
    """On the enrolment page: its secret into an authenticator app (pyotp), then the code handed
    over and the app's code; the recovery codes come next."""
    import pyotp

    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_label("开通码").fill(enrolment_code)
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="开通并登录").click()
    page.get_by_role("heading", name="请抄下恢复码").wait_for()


def staff_sign_in(page, base: str, username: str, password: str, app) -> None:
    """The console's sign-in page, as a clerk does it, then the code their authenticator shows;
    then wherever the console opens for them."""
    from tests.conftest import second_step_code

    code = second_step_code(app, username)  # enrols an account the test made: the page asks for a code
    page.goto(base + "/office/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="两步验证", exact=True).wait_for()
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="验证并登录").click()
