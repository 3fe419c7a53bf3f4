"""A new member's first sign-in in a real browser: the password, enrolling an authenticator from
the page's QR code and secret, the recovery codes; then the administrator's pages for accounts
and slowed sign-ins — each page checked by axe and looked at."""
import re

from commands import DATA, seed_demo_staff
from services.people.actors import Actor
from services.people.staff import open_account
from services.places import township_id_by_name
from tests.browser.steps import enrol_authenticator, staff_sign_in
from tests.browser.test_agent_console import DESKTOP
from tests.browser.test_county import look


def test_a_member_enrols_two_step_sign_in_and_the_administrator_sees_accounts(app, live_server, new_page,
                                                                              screenshot_dir):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
        handover = open_account(Actor("staff", None, "测试管理员", role="admin"), "xinji", "Maple-river-2026",
                                "马玉梅", "window", township_id_by_name("新集乡"))

    page = new_page(viewport=DESKTOP)
    page.goto(live_server + "/office/login")
    page.get_by_label("用户名").fill("xinji")
    page.get_by_label("密码").fill("Wrong-guess-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码不对").wait_for()
    look(page, "staff-login-refused-desktop", screenshot_dir)
    page.get_by_label("密码").fill("Maple-river-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="开通两步验证").wait_for()
    look(page, "staff-enrol-desktop", screenshot_dir)
    assert page.locator(".qr-box svg").is_visible()
    enrol_authenticator(page, handover.enrolment_code)
    assert len(re.findall(r"[0-9a-f]{8}-[0-9a-f]{8}", page.locator("[data-recovery-codes]").inner_text())) == 10
    look(page, "staff-recovery-codes-desktop", screenshot_dir)
    page.get_by_role("link", name="我已保存好，继续").click()
    page.locator("[data-password-first]").wait_for()  # the administrator's password goes first
    look(page, "staff-first-password-desktop", screenshot_dir)
    page.get_by_label("当前密码").fill("Maple-river-2026")
    page.get_by_label("新密码").fill("Harbour-lantern-9")
    page.get_by_role("button", name="修改密码").click()
    page.get_by_role("heading", name=re.compile("办件")).wait_for()
    page.get_by_role("link", name="账号安全").click()
    page.get_by_role("heading", name="正在登录的设备").wait_for()
    look(page, "staff-security-desktop", screenshot_dir)

    phone = new_page()  # a window clerk on a phone-sized screen, signing in with a code
    staff_sign_in(phone, live_server, "chengguan", "Window-demo-2026", app)
    phone.get_by_role("heading", name=re.compile("办件")).wait_for()
    phone.goto(live_server + "/office/security")
    look(phone, "staff-security-phone", screenshot_dir)

    for _ in range(6):  # someone guessing at a name
        guess = new_page(viewport=DESKTOP)
        guess.goto(live_server + "/office/login")
        guess.get_by_label("用户名").fill("weijian")
        guess.get_by_label("密码").fill("Wrong-guess-2026")
        guess.get_by_role("button", name="登录").click()
        guess.locator(".error").first.wait_for()
        guess.close()
    admin = new_page(viewport=DESKTOP)
    staff_sign_in(admin, live_server, "admin", "Admin-demo-2026", app)
    admin.goto(live_server + "/office/accounts")
    admin.locator('[data-account="xinji"]').wait_for()
    look(admin, "staff-accounts-desktop", screenshot_dir)
    admin.locator('[data-account="weijian"]').get_by_role("button", name="重置两步验证").click()
    admin.locator("[data-enrolment-code]").wait_for()
    look(admin, "staff-handover-desktop", screenshot_dir)
    code = admin.locator("[data-enrolment-code]").inner_text()
    admin.reload()  # the same code again: a refresh makes no new one
    assert admin.locator("[data-enrolment-code]").inner_text() == code
    admin.get_by_role("button", name="已交给本人，返回账号列表").click()
    admin.get_by_role("link", name="登录限速记录").click()
    admin.get_by_text("用户名：weijian").wait_for()
    look(admin, "staff-throttles-desktop", screenshot_dir)
