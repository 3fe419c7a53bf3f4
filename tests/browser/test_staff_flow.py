"""Window staff and a villager, each in their own browser: accept, 补正, upload, approve, deliver;
the villager's timeline shows every step."""
import re

from commands import DATA, seed_demo_staff
from tests.browser.steps import assert_accessible, staff_sign_in
from tests.browser.test_apply_flow import apply_for_birth_registration, sign_in

DESKTOP = {"width": 1280, "height": 900}


def staff_login(page, base, app):
    staff_sign_in(page, base, "chengguan", "Window-demo-2026", app)
    page.get_by_role("heading", name=re.compile("办件")).wait_for()


def act(page, card_title, button=None):
    card = page.locator(".action-card", has=page.get_by_role("heading", name=card_title, exact=True))
    return card, card.get_by_role("button", name=button or card_title, exact=True)


def test_the_whole_loop_between_a_window_and_a_villager(app, live_server, new_page, screenshot_dir, tmp_path):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
    villager = new_page()
    sign_in(villager, live_server, phone="13900000005")
    apply_for_birth_registration(villager, tmp_path)
    number = villager.locator(".receipt .number").inner_text().replace(" ", "")

    staff = new_page(DESKTOP)
    staff_login(staff, live_server, app)
    assert_accessible(staff, "queue")
    staff.get_by_role("link", name=number).click()
    assert_accessible(staff, "case page")
    staff.screenshot(path=str(screenshot_dir / "desktop-office-case.png"), full_page=True)
    _, accept = act(staff, "受理")
    accept.click()
    card, ask = act(staff, "要求补正")
    card.get_by_label("妊娠诊断证明或孕产妇保健手册首页").check()
    card.get_by_label("说明").fill("照片太模糊，请重新拍一张")
    ask.click()
    staff.get_by_text("需要补正材料").first.wait_for()

    villager.goto(live_server + f"/my/{number}")
    villager.get_by_text("照片太模糊，请重新拍一张").first.wait_for()
    villager.screenshot(path=str(screenshot_dir / "phone-supplement.png"), full_page=True)
    photo = tmp_path / "clear.jpg"
    photo.write_bytes((tmp_path / "proof.jpg").read_bytes())
    villager.get_by_label("选择妊娠诊断证明或孕产妇保健手册首页").set_input_files(str(photo))
    villager.get_by_role("button", name="上传").click()
    villager.get_by_text("已补传").wait_for()
    villager.get_by_role("button", name="补正完成，重新提交").click()

    staff.reload()
    card, done = act(staff, "办结")
    card.get_by_label("准予").check()
    done.click()
    card, deliver = act(staff, "送达")
    card.get_by_label("窗口领取").check()
    card.get_by_label("说明").fill("请持身份证到城关镇便民服务中心领取")
    deliver.click()
    staff.get_by_text("已送达").first.wait_for()

    villager.goto(live_server + f"/my/{number}")
    steps = villager.locator(".timeline .t-title").all_inner_texts()
    assert steps == ["提交申请", "已受理", "需要补正材料", "补正材料已提交", "办结：准予", "结果已送达"]
    assert villager.get_by_text("请持身份证到城关镇便民服务中心领取").is_visible()
    villager.screenshot(path=str(screenshot_dir / "phone-timeline.png"), full_page=True)
