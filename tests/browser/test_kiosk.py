"""The township hall kiosk in Debian's Chromium at 1080x1920: a registered kiosk, the card
reader, the keypad, the document camera (Chromium's fake camera), 手机扫码上传, payment by QR,
the 80 mm receipt printed to PDF and scanned, the scanner, read-aloud and the walk-away reset.
Every screen is screenshotted, checked by axe-core, and its targets measured."""
import io
import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import zxingcpp
from PIL import Image

from commands import DATA, seed_demo_people
from services.kiosks import SIMULATED_CARD
from tests import images
from tests.browser.conftest import KIOSK, PHONE
from tests.browser.steps import assert_accessible
from tests.conftest import register_kiosk, sign_in

BIRTH = "621027-BM-004"
MIN_TARGET = 64


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    result = app.test_cli_runner().invoke(args=["seed", "--without-cases"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def kiosk(app, live_server, new_page, seeded):
    """A page on a freshly registered and bound kiosk, at its home screen."""
    def make(reader="simulated", reader_url="", **options):
        _, token = register_kiosk(app, reader=reader, reader_url=reader_url)
        page = new_page(KIOSK, permissions=["camera"], **options)
        page.goto(f"{live_server}/kiosk/setup/{token}")
        page.get_by_role("button", name="确认登记").click()
        page.get_by_role("heading", name="您好，请点您要办的事").wait_for()
        return page
    return make


def check_screen(page, name: str, screenshot_dir) -> None:
    """Look at it (a PNG per screen), let axe-core judge it, and measure every target."""
    page.screenshot(path=str(screenshot_dir / f"kiosk-{name}.png"), full_page=True)
    assert_accessible(page, name)
    small = page.evaluate("""(min) => [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, label.choice')]
      .filter(el => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden')
      // a radio button or a box is touched anywhere on its label
      .map(el => (['radio', 'checkbox'].includes(el.type) && el.closest('label')) || el)
      .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
      .filter(([, r]) => r.width < min || r.height < min)
      .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`)""", MIN_TARGET)
    assert not small, (name, small)
    smallest_text = page.evaluate("""() => Math.min(...[...document.querySelectorAll('main *, header *')]
      .filter(el => el.offsetParent !== null && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
      .map(el => parseFloat(getComputedStyle(el).fontSize)))""")
    assert smallest_text >= 28, (name, smallest_text)


def identify_by_simulated_card(page) -> None:
    page.get_by_role("button", name="模拟读卡（演示）").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").first.inner_text()).group(1)
    for digit in code:
        page.locator("[data-keypad]").get_by_role("button", name=digit, exact=True).click()
    page.get_by_role("button", name="确认").click()


def wait_until(page, expression: str, timeout: float = 10) -> None:
    """page.wait_for_function evaluates a string, which the pages' CSP (no eval) forbids: poll."""
    import time

    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < end, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def decode(png: bytes) -> dict:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


def test_birth_registration_at_the_kiosk_from_home_to_the_printed_receipt(kiosk, screenshot_dir, tmp_path):
    page = kiosk()
    check_screen(page, "01-home", screenshot_dir)
    page.get_by_role("link", name="生育登记").click()
    page.get_by_role("heading", name="请把身份证放在读卡器上").wait_for()
    check_screen(page, "02-identify", screenshot_dir)
    page.get_by_role("button", name="模拟读卡（演示）").click()
    page.get_by_label("请输入短信验证码").wait_for()
    check_screen(page, "03-code", screenshot_dir)
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").first.inner_text()).group(1)
    for digit in code:
        page.locator("[data-keypad]").get_by_role("button", name=digit, exact=True).click()
    screens = []  # (address, heading) of every screen shown after identifying
    page.on("load", lambda p: screens.append((re.sub(r"[?#].*", "", p.url), p.locator("h1").first.inner_text())))
    page.get_by_role("button", name="确认").click()

    # One question a screen, only those not answered by her card: the township is the kiosk's,
    # 女方 is her, the phone is hers.
    page.get_by_role("heading", name="男方（丈夫）是谁？").wait_for()
    check_screen(page, "04-question-husband", screenshot_dir)
    page.get_by_role("button", name="模拟读卡（演示）").click()  # his card: no typing
    assert page.get_by_label("男方姓名").input_value() == "王建国"
    page.get_by_label("男方姓名").fill("阿卜杜·热合曼")  # or typed: a name with a middle dot
    page.get_by_label("男方身份证号").fill("622827198808081112")
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="孩子的情况").wait_for()
    page.get_by_text("第二个").click()  # a choice is a button to touch, not a list to open
    page.get_by_label("预产期或出生日期").fill("2027-03-01")
    check_screen(page, "05-question-child", screenshot_dir)
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="现居住地址").wait_for()
    page.get_by_label("现居住地址").fill("城关镇东关村三组")
    page.get_by_role("button", name="下一步").click()

    page.get_by_role("heading", name="上传材料").wait_for()
    page.get_by_role("button", name="用高拍仪拍照").click()
    wait_until(page, "document.querySelector('[data-capture] video').videoWidth > 0")
    check_screen(page, "06-camera", screenshot_dir)
    page.get_by_role("button", name="拍照", exact=True).click()
    page.get_by_role("img", name="刚拍的照片").wait_for()
    page.get_by_role("button", name="用这张").click()
    page.get_by_text("已上传：高拍仪拍照.jpg").wait_for()
    check_screen(page, "07-materials", screenshot_dir)
    page.get_by_role("link", name="下一步：核对").click()
    page.get_by_role("heading", name="核对后提交").wait_for()
    assert page.get_by_text("阿卜杜·热合曼").is_visible() and page.get_by_text("城关镇", exact=True).is_visible()
    check_screen(page, "08-check", screenshot_dir)
    page.get_by_role("button", name="确认提交").click()
    page.get_by_role("heading", name="申请已提交").wait_for()
    check_screen(page, "09-receipt", screenshot_dir)

    shown = list(dict.fromkeys(screens))
    assert len(shown) <= 6, shown  # 男方, 孩子, 住址, materials, check, receipt
    number = page.locator(".receipt .number").inner_text().replace(" ", "")

    # The 80 mm roll: printed to PDF as --kiosk-printing would, rasterised, scanned.
    page.emulate_media(media="print")
    pdf = tmp_path / "receipt.pdf"
    page.pdf(path=str(pdf), width="80mm", height="297mm", print_background=True, prefer_css_page_size=True)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "roll")], check=True)
    roll = next(tmp_path.glob("roll*.png"))
    (screenshot_dir / "kiosk-10-receipt-80mm.png").write_bytes(roll.read_bytes())
    width_mm = Image.open(roll).width / 300 * 25.4
    assert 79 <= width_mm <= 81, width_mm
    codes = decode(roll.read_bytes())
    assert codes["Code128"] == number
    assert re.search(rf"/t/{number}\?k=", codes["QRCode"])
    page.emulate_media(media="screen")

    # Printing ends the visit: home again, and nothing of hers behind the back button.
    page.evaluate("window.print = () => {}")  # headless Chromium has no printer to wait for
    page.get_by_role("button", name="打印回执并退出").click()
    page.get_by_text("已退出，您的信息已全部清除").wait_for()
    page.go_back()
    page.wait_for_load_state()
    assert number not in page.content() and "张" not in page.locator("main").inner_text()


def test_walking_away_clears_everything(kiosk, screenshot_dir):
    page = kiosk()
    page.clock.install()
    page.goto(page.url.replace("/kiosk/", "/kiosk/my"))
    identify_by_simulated_card(page)
    page.get_by_role("heading", name="我的办件").wait_for()
    mine = page.url
    page.clock.fast_forward("01:01")
    page.get_by_text("还在使用吗？").wait_for()
    check_screen(page, "15-still-here", screenshot_dir)
    page.clock.fast_forward("00:11")
    page.get_by_text("已退出，您的信息已全部清除").wait_for()
    for move in (page.go_back, page.reload, lambda: page.goto(mine)):
        move()
        page.wait_for_load_state()
        text = page.locator("main").inner_text()
        assert "我的办件" not in page.locator("h1").inner_text() and "139****0001" not in text
    cookies = {c["name"] for c in page.context.cookies()}
    assert "kiosk_device" in cookies  # the kiosk stays a kiosk; the person is gone


def test_scanning_a_receipt_on_the_home_screen_opens_its_timeline(app, kiosk, client):
    from tests.web.test_apply import apply_fully

    sign_in(client, "13900000002")
    location, _ = apply_fully(app, client)
    number = location.split("/")[-2]
    with app.app_context():
        from sqlalchemy import select

        from extensions import db
        from services.cases.lifecycle import Case, track_link

        link = track_link(db.session.scalar(select(Case).where(Case.number == number)))
    page = kiosk()
    page.keyboard.type(link, delay=5)  # a scanner types like a keyboard, fast, then Enter
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="办理进度").wait_for()
    assert page.get_by_text("已提交").first.is_visible()


class FakeHuashiReader(BaseHTTPRequestHandler):
    """The vendor's local card service as the kiosk PC runs it: GET /readcard answers JSON."""
    card = None

    def do_GET(self):  # noqa: N802
        body = json.dumps(self.card or {"resultFlag": -1, "errorMsg": "未放卡"}, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_card_laid_on_the_reader_fills_in_who_it_is(app, kiosk, screenshot_dir):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHuashiReader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/readcard"
    try:
        page = kiosk(reader="huashi", reader_url=url)
        page.get_by_role("link", name="办事进度查询").wait_for()
        page.goto(page.url + "identify")
        FakeHuashiReader.card = {"resultFlag": 0, "partyName": SIMULATED_CARD["name"],
                                 "certNumber": SIMULATED_CARD["id_number"], "bornDay": "19580315",
                                 "gender": "女", "nation": "汉", "certAddress": "甘肃省镇原县城关镇",
                                 "effDate": "20180315", "expDate": "长期"}
        page.get_by_role("button", name="读取身份证").click()
        page.get_by_label("请输入短信验证码").wait_for(timeout=5000)  # the page asked the reader
        assert page.get_by_text("139****0001").is_visible()
    finally:
        FakeHuashiReader.card = None
        server.shutdown()
        server.server_close()
    # The reader gone: the page says so and the console hears of it.
    page.get_by_role("button", name="退出").click()
    page.goto(page.url.split("/kiosk/")[0] + "/kiosk/identify")
    # The health report is posted after the message shows: wait for it, not for luck.
    with page.expect_response(lambda r: r.url.endswith("/kiosk/health") and r.request.method == "POST"):
        page.get_by_role("button", name="读取身份证").click()
        page.get_by_text("读卡器没有响应").wait_for(timeout=5000)
    with app.app_context():
        from services import kiosks

        assert any(k.health.get("reader", {}).get("ok") is False for k in kiosks.all_kiosks())


def test_photos_sent_from_a_phone_appear_in_the_kiosks_application(kiosk, new_page, screenshot_dir, tmp_path):
    page = kiosk()
    page.goto(page.url + f"apply/{BIRTH}/materials")
    identify_by_simulated_card(page)
    page.get_by_role("heading", name="上传材料").wait_for()
    page.get_by_role("link", name="手机扫码上传").click()
    page.get_by_role("heading", name=re.compile("用手机扫码")).wait_for()
    check_screen(page, "11-phone-upload-qr", screenshot_dir)
    link = decode(page.locator(".kiosk-phone-qr figure").screenshot())["QRCode"]
    phone = new_page(PHONE)
    phone.goto(link.replace("http://localhost", page.url.split("/kiosk/")[0]))
    photo = tmp_path / "proof.jpg"
    photo.write_bytes(images.photo_with_gps())
    phone.locator("#files").set_input_files(str(photo))
    phone.get_by_role("button", name="上传").click()
    phone.get_by_text("已上传，请回到自助终端上接着办").wait_for()
    page.get_by_text("已上传：proof.jpg").wait_for(timeout=8000)  # the kiosk's screen came back by itself
    phone.reload()
    assert phone.get_by_text("已用过或已过期").is_visible()  # one upload per QR


def test_a_payment_at_the_kiosk_completes_when_the_providers_callback_arrives(kiosk, new_page, screenshot_dir):
    page = kiosk()
    page.get_by_role("link", name=re.compile("城乡居民医疗保险|医保")).first.click()
    identify_by_simulated_card(page)
    page.get_by_label(re.compile("张桂兰")).check()
    page.get_by_role("button", name="下一步：去支付").click()
    page.get_by_text("请用手机微信或支付宝扫码支付").wait_for()
    check_screen(page, "12-pay-qr", screenshot_dir)
    link = decode(page.locator(".pay-scan figure").screenshot())["QRCode"]
    relative = new_page(PHONE)  # a family member's phone, not signed in
    relative.goto(link.replace("http://localhost", page.url.split("/kiosk/")[0]))
    relative.get_by_role("button", name="支付", exact=True).click()
    page.get_by_role("heading", name="缴费成功").wait_for(timeout=8000)  # the kiosk was only waiting
    assert page.locator(".paid-state").inner_text() == "已支付"
    check_screen(page, "13-paid", screenshot_dir)


def test_read_aloud_plays_mandarin_audio(kiosk, tmp_path):
    """Headless Chromium has no Mandarin voice: the page plays the server's espeak-ng audio."""
    from tests.services.test_speech import stat_of

    page = kiosk()
    page.goto(page.url + "identify")
    page.get_by_role("button", name="朗读").click()
    wait_until(page, "!!window.__kioskAudio && window.__kioskAudio.readyState >= 1")
    assert page.evaluate("window.__kioskAudio.duration") > 1
    played = page.request.get(page.evaluate("window.__kioskAudio.src"))
    wav = tmp_path / "played.wav"
    wav.write_bytes(played.body())
    stats = stat_of(wav)
    assert stats["RMS     amplitude"] > 0.01 and stats["Length (seconds)"] > 1, stats


def test_an_unregistered_or_disabled_kiosk_is_refused(app, live_server, new_page, kiosk, screenshot_dir):
    stranger = new_page(KIOSK)
    stranger.goto(live_server + "/kiosk/")
    assert stranger.get_by_role("heading", name="本机未登记").is_visible()
    assert stranger.get_by_role("button", name="退出").count() == 0
    check_screen(stranger, "14-not-registered", screenshot_dir)
    page = kiosk()
    with app.app_context():
        from services import kiosks
        from services.people.actors import Actor

        for k in kiosks.all_kiosks():
            kiosks.set_active(Actor("staff", None, "测试", role="admin"), k.id, False)
    page.reload()
    assert page.get_by_role("heading", name="本机已停用").is_visible()


def test_every_other_kiosk_screen_is_large_and_accessible(kiosk, screenshot_dir):
    """The keypad path of identifying, a query, a booking, the progress look-up, my cases, leaving."""
    page = kiosk()
    page.get_by_role("link", name="公积金查询").click()
    page.get_by_role("link", name="没带身份证？输入身份证号").click()
    check_screen(page, "20-id-number", screenshot_dir)
    keypad = page.locator("[data-keypad]")
    for key in SIMULATED_CARD["id_number"]:
        keypad.get_by_role("button", name=key, exact=True).click()
    page.get_by_role("button", name="下一步").click()
    check_screen(page, "21-phone", screenshot_dir)
    for key in "13900000001":
        keypad.get_by_role("button", name=key, exact=True).click()
    page.get_by_role("button", name="获取验证码").click()
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").first.inner_text()).group(1)
    for key in code:
        keypad.get_by_role("button", name=key, exact=True).click()
    page.get_by_role("button", name="确认").click()
    page.get_by_role("heading", name="公积金查询").wait_for()
    assert page.get_by_role("button", name="打印查询结果").is_visible()
    check_screen(page, "22-query", screenshot_dir)

    page.get_by_role("link", name="回到首页").click()
    page.get_by_role("link", name="预约挂号").click()
    check_screen(page, "23-hospitals", screenshot_dir)
    page.locator("section", has_text="镇原县人民医院").get_by_role("link", name="内科").click()
    check_screen(page, "24-sessions", screenshot_dir)
    page.locator(".item-row a").first.click()
    check_screen(page, "25-book-confirm", screenshot_dir)
    page.get_by_role("button", name="确认预约").click()
    page.get_by_role("heading", name="预约成功").wait_for()
    assert page.get_by_role("button", name="打印预约单").is_visible()
    check_screen(page, "26-booking", screenshot_dir)

    page.get_by_role("link", name="我的办件").click()
    check_screen(page, "27-my-cases", screenshot_dir)
    page.get_by_role("link", name="回到首页").click()
    page.get_by_role("link", name="办事进度查询").click()
    check_screen(page, "28-track-lookup", screenshot_dir)
    page.get_by_role("button", name="退出").click()
    page.get_by_text("已退出，您的信息已全部清除").wait_for()


def test_a_case_looked_up_on_the_keypad_without_typing_letters(app, kiosk, client):
    from tests.web.test_apply import apply_fully

    sign_in(client, "13900000002")
    location, _ = apply_fully(app, client)
    number = location.split("/")[-2]
    page = kiosk()
    page.get_by_role("link", name="办事进度查询").click()
    keypad = page.locator("[data-keypad]")
    for key in number[2:] + "1136":  # the 12 characters after ZY, then 王建国's last four
        keypad.get_by_role("button", name=key, exact=True).click()
    assert page.get_by_label("身份证号或手机号后 4 位").input_value() == "1136"
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name="办理进度").wait_for()
    assert "/kiosk/shown" in page.url and number not in page.url
