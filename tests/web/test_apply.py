import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from services.cases.lifecycle import Case, CaseEvent, act, Actor
from services.cases.drafts import Draft
from services.cases.materials import Upload
from services.outbox import OutboxMessage
from services.catalog import load_catalog
from tests import factories, images
from tests.services.test_catalog import CATALOG
from tests.conftest import form_post, sign_in

BIRTH = "621027-BM-004"
ID_A = factories.id_number("19900303", "222")  # a woman: the 17th digit is even
ID_B = factories.id_number("19850505", "132")
FIELDS = {"wife_name": "李秀英", "wife_id_number": ID_A, "husband_name": "王建国",
          "husband_id_number": factories.id_number("19880808", "111"), "child_order": "第二个",
          "due_date": "2027-03-01", "address": "城关镇东关村三组", "phone": "13900000001"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def villager(client):
    sign_in(client, "13900000001", "李秀英", ID_A)
    return client


def township_id(app) -> int:
    with app.app_context():
        from services.places import township_choices
        return township_choices()[0][0]


def fill_form(app, client, **changes):
    data = {**FIELDS, "township_id": str(township_id(app)), **changes}
    return form_post(client, f"/apply/{BIRTH}", data)


def upload(client, material="pregnancy_proof", content=None, name="photo.jpg", url=f"/apply/{BIRTH}/materials"):
    return form_post(client, url, {"material": str(material),
                                   "files": (io.BytesIO(content or images.photo_with_gps()), name)},
                     content_type="multipart/form-data")


def submit(client):
    page = client.get(f"/apply/{BIRTH}/check").get_data(as_text=True)
    key = re.search(r'name="draft_key" value="([0-9a-f]+)"', page).group(1)
    return form_post(client, f"/apply/{BIRTH}/check", {"draft_key": key}, post_url=f"/apply/{BIRTH}/submit"), key


def apply_fully(app, client):
    assert fill_form(app, client).status_code == 303
    assert upload(client).status_code == 303
    response, key = submit(client)
    assert response.status_code == 303, text(response)
    return response.headers["Location"], key


def test_the_form_comes_from_the_catalog_and_is_prefilled_from_the_person(villager):
    page = text(villager.get(f"/apply/{BIRTH}"))
    for label in ("女方姓名", "男方身份证号", "本次登记的是第几个孩子", "预产期或出生日期", "到哪个乡镇办理"):
        assert label in page
    assert 'value="李秀英"' in page and f'value="{ID_A}"' in page and 'value="13900000001"' in page
    assert 'type="date"' in page and "<option value=\"第三个及以上\">" in page


def test_applying_needs_a_signed_in_real_named_person(client):
    response = client.get(f"/apply/{BIRTH}")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    sign_in(client, "13900000002")
    response = client.get(f"/apply/{BIRTH}")
    assert response.status_code == 303 and "/me/verify" in response.headers["Location"]


def test_missing_and_wrong_answers_are_explained_next_to_the_field_and_kept(app, villager):
    response = fill_form(app, villager, husband_name="", husband_id_number="123456789012345678",
                         phone="12345", child_order="第九个", township_id="")
    page = text(response)
    assert response.status_code == 422
    assert "请填写男方姓名" in page and "身份证号有误" in page and "请输入 11 位手机号码" in page
    assert "请从列表中选择" in page and "请选择到哪个乡镇办理" in page
    assert 'value="123456789012345678"' in page and 'value="12345"' in page
    assert 'value="城关镇东关村三组"' in page  # the good answers are kept too
    assert count(app, Case) == 0


def test_a_draft_survives_leaving_the_page(app, villager):
    fill_form(app, villager, husband_name="")
    villager.get("/")
    page = text(villager.get(f"/apply/{BIRTH}"))
    assert 'value="王建国"' not in page and 'value="城关镇东关村三组"' in page


def test_uploaded_photos_are_re_encoded_without_exif(app, villager):
    fill_form(app, villager)
    assert upload(villager).status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(Upload))
        data = app.extensions["storage"].get(stored.key)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and stored.content_type == "image/jpeg"
    assert not image.getexif()  # no GPS, no camera model
    assert b"VillagePhone" not in data


@pytest.mark.parametrize("content,name,message", [
    (b"just some text, not a photo" * 10, "photo.jpg", "只能上传 JPG、PNG 照片或 PDF 文件"),
    (b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024), "big.jpg", "文件太大了"),
    (b"\xff\xd8\xff\xe0broken", "broken.jpg", "图片已损坏"),
    (b"%PDF-1.4 no end", "half.pdf", "PDF 文件不完整"),
])
def test_bad_files_are_refused_in_chinese_and_nothing_is_kept(app, villager, content, name, message):
    fill_form(app, villager)
    response = upload(villager, content=content, name=name)
    assert response.status_code in (413, 422)
    assert message in text(response) or response.status_code == 413
    assert count(app, Upload) == 0
    assert not [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_png_and_pdf_are_accepted(app, villager):
    fill_form(app, villager)
    assert upload(villager, content=images.png(), name="a.png").status_code == 303
    assert upload(villager, content=images.pdf(), name="b.pdf").status_code == 303
    assert count(app, Upload) == 2


def test_waived_materials_are_not_asked_for(app, villager):
    fill_form(app, villager)
    page = text(villager.get(f"/apply/{BIRTH}/materials"))
    assert "妊娠诊断证明或孕产妇保健手册首页" in page
    assert 'name="material" value="couple_id_cards"' not in page  # 身份证: 免提交
    assert "不用交，已通过数据共享核验" in page
    assert upload(villager, material="marriage_certificate").status_code == 422  # 结婚证 cannot be uploaded either


def test_check_page_lists_everything_missing_and_offers_no_submit(app, villager):
    fill_form(app, villager, husband_name="")
    page = text(villager.get(f"/apply/{BIRTH}/check"))
    assert "还不能提交" in page and "男方姓名" in page and "妊娠诊断证明或孕产妇保健手册首页" in page
    assert "确认提交" not in page


def test_check_page_change_links_come_back_to_it(app, villager):
    fill_form(app, villager)
    upload(villager)
    page = text(villager.get(f"/apply/{BIRTH}/check"))
    assert f"/apply/{BIRTH}?field=husband_name&return=check#field-husband_name" in page
    assert "2627" not in page and ID_A not in page  # ID numbers masked here
    response = form_post(villager, f"/apply/{BIRTH}?return=check", {**FIELDS, "township_id": str(township_id(app)),
                                                                    "husband_name": "王建军"})
    assert response.headers["Location"] == f"/apply/{BIRTH}/check"


def test_submitting_gives_a_receipt_with_number_codes_and_next_steps(app, villager):
    receipt_url, _ = apply_fully(app, villager)
    page = text(villager.get(receipt_url))
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert case.township_id == township_id(app) and case.answers["husband_name"] == "王建国"
        assert db.session.scalar(select(func.count()).select_from(Upload).where(Upload.case_id == case.id)) == 1
        assert db.session.scalar(select(Draft.case_id)) == case.id
        sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("case-event:%:sms"))).payload["text"]
    assert "申请已提交" in page and case.number[:8] in page
    assert '<svg class="qr"' in page and '<svg class="barcode"' in page
    assert "1 个工作日" in page and "城关镇便民服务中心" in page and "0934-8621563" in page
    assert "李**" in page and ID_A not in page
    assert case.number in sms and f"/t/{case.number}?k={case.track_token}" in sms


def test_a_double_tap_or_a_retry_never_makes_a_second_case(app, villager):
    receipt_url, key = apply_fully(app, villager)
    # the back button brings the old check page, still holding the old key
    again = form_post(villager, f"/apply/{BIRTH}", {"draft_key": key}, post_url=f"/apply/{BIRTH}/submit")
    assert again.status_code == 303 and again.headers["Location"] == receipt_url
    assert count(app, Case) == 1 and count(app, CaseEvent) == 1


def test_a_stale_page_cannot_submit_someone_elses_draft(app, villager):
    fill_form(app, villager)
    upload(villager)
    response = form_post(villager, f"/apply/{BIRTH}/check", {"draft_key": "0" * 32}, post_url=f"/apply/{BIRTH}/submit")
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert count(app, Case) == 0


def test_another_person_cannot_see_the_case_its_timeline_or_files(app, client):
    sign_in(client, "13900000001", "李秀英", ID_A)
    receipt_url, _ = apply_fully(app, client)
    with app.app_context():
        case = db.session.scalar(select(Case))
        file_key = db.session.scalar(select(Upload.key))
    assert client.get(f"/files/{file_key}").status_code == 200
    other = app.test_client()
    sign_in(other, "13900000002", "赵大海", ID_B)
    for url in (receipt_url, f"/my/{case.number}", f"/files/{file_key}",
                f"/t/{case.number}?k={case.track_token[:-1]}x", f"/t/{case.number}"):
        response = other.get(url)
        assert response.status_code == 404, url
        assert "李秀英" not in text(response)
    assert case.number not in text(other.get("/my"))


def test_the_qr_link_shows_the_timeline_to_anyone_with_names_masked(app, villager):
    apply_fully(app, villager)
    with app.app_context():
        case = db.session.scalar(select(Case))
    anyone = app.test_client()
    page = text(anyone.get(f"/t/{case.number}?k={case.track_token}"))
    assert "提交申请" in page and "申请人 李**" in page and "李秀英" not in page
    assert "已提交，等待受理" in page


def test_lookup_by_number_and_last_four(app, villager):
    apply_fully(app, villager)
    with app.app_context():
        case = db.session.scalar(select(Case))
    anyone = app.test_client()
    typed = f"{case.number[:2].lower()} {case.number[2:8]} {case.number[8:]}"
    response = form_post(anyone, "/track", {"case_number": typed, "last4": ID_A[-4:]})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"k={case.track_token}")
    assert form_post(anyone, "/track", {"case_number": case.number, "last4": "0001"}).status_code == 303  # phone


def test_wrong_lookups_are_explained_then_limited(app, villager):
    apply_fully(app, villager)
    with app.app_context():
        number = db.session.scalar(select(Case.number))
    anyone = app.test_client()
    response = form_post(anyone, "/track", {"case_number": number, "last4": "9999"})
    assert response.status_code == 422 and "对不上" in text(response) and f'value="{number}"' in text(response)
    bad = form_post(anyone, "/track", {"case_number": "ZY123", "last4": "9999"})
    assert "办件编号有误" in text(bad)
    for _ in range(4):  # five wrong tries on one number are allowed in an hour
        form_post(anyone, "/track", {"case_number": number, "last4": "9999"})
    limited = form_post(anyone, "/track", {"case_number": number, "last4": "9999"})
    assert limited.status_code == 429 and "输错次数太多" in text(limited)


def test_supplement_shows_what_is_missing_and_the_applicant_resubmits(app, villager):
    apply_fully(app, villager)
    with app.app_context():
        case = db.session.scalar(select(Case))
        staff = Actor("staff", 1, "城关镇窗口 李娜")
        act(case, "accept", staff)
        act(case, "supplement", staff, note="证明照片不清楚，请重新拍", data={"materials": ["pregnancy_proof"]})
        number = case.number
    page = text(villager.get(f"/my/{number}"))
    assert "需要补正的材料" in page and "证明照片不清楚，请重新拍" in page
    assert "妊娠诊断证明或孕产妇保健手册首页" in page
    early = form_post(villager, f"/my/{number}", {}, post_url=f"/my/{number}/resubmit")
    assert early.status_code == 400 and "还缺：妊娠诊断证明或孕产妇保健手册首页" in text(early)
    assert upload(villager, material="pregnancy_proof", url=f"/my/{number}").status_code == 303
    assert form_post(villager, f"/my/{number}", {}, post_url=f"/my/{number}/resubmit").status_code == 303
    again = form_post(villager, f"/items/{BIRTH}/feedback", {}, post_url=f"/my/{number}/resubmit")  # a double tap
    assert again.status_code == 303
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert case.status == "accepted" and case.due_on is not None
        assert [e.action for e in case.events][-2:] == ["supplement", "resubmit"]


def test_check_page_counts_files_per_material(app, villager):
    fill_form(app, villager)
    upload(villager)
    upload(villager, content=images.png(), name="second.png")
    page = text(villager.get(f"/apply/{BIRTH}/check"))
    assert "2 个文件" in page and f"/apply/{BIRTH}/materials?return=check#material-pregnancy_proof" in page


def test_the_public_progress_page_follows_every_new_step(app, villager):
    apply_fully(app, villager)
    with app.app_context():
        case = db.session.scalar(select(Case))
        url = f"/t/{case.number}?k={case.track_token}"
    anyone = app.test_client()
    assert "已提交，等待受理" in text(anyone.get(url))
    with app.app_context():
        act(db.session.scalar(select(Case)), "accept", Actor("staff", 1, "李娜"))
    page = text(anyone.get(url))
    assert "已受理" in page and "承诺办结" in page
    anyone.get("/elder?on=1&next=/")
    assert 'class="elder"' in anyone.get(url).get_data(as_text=True)


def answer_for(field, n):
    """A valid answer for any catalog field type, within the field's own rules (sex, age)."""
    if field.type == "id_number":
        seq = f"{2 * n + (field.sex == 'male'):03d}"  # the 17th digit: even for a woman
        return factories.id_number("19400101" if field.min_age else "19700101", seq)
    return {"phone": "13900000001", "date": "2026-12-01", "number": "3", "integer": "3", "money": "1200.50",
            "select": (field.options or [""])[0], "textarea": "家中老人患病，收入不足。", "text": "测试内容",
            "name": "阿卜杜·热合曼", "digits": "6228 4800 1234 5678"}[field.type]


APPLY_ITEMS = [i for i in load_catalog(CATALOG).items if i.kind == "apply" and i.section == "convenience"]


@pytest.mark.parametrize("item", APPLY_ITEMS, ids=lambda i: i.name)
def test_every_convenience_apply_item_can_be_applied_for_online(app, villager, item):
    data = {f.name: answer_for(f, n) for n, f in enumerate(item.fields)}
    if "township" in item.levels:
        data["township_id"] = str(township_id(app))
    response = form_post(villager, f"/apply/{item.code}", data)
    assert response.status_code == 303, text(response)
    for material in item.materials:
        if material.required and not material.waived:
            assert upload(villager, material=material.key, url=f"/apply/{item.code}/materials").status_code == 303
    page = villager.get(f"/apply/{item.code}/check").get_data(as_text=True)
    key = re.search(r'name="draft_key" value="([0-9a-f]+)"', page).group(1)
    response = form_post(villager, f"/apply/{item.code}/check", {"draft_key": key}, post_url=f"/apply/{item.code}/submit")
    assert response.status_code == 303 and "/receipt" in response.headers["Location"]
    assert item.name in text(villager.get(response.headers["Location"]))


def test_extra_query_parameters_on_an_upload_are_ignored_not_a_crash(app, villager):
    assert fill_form(app, villager).status_code == 303
    url = f"/apply/{BIRTH}/materials?code=x&endpoint=y&return=check"
    response = upload(villager, url=url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/materials?return=check")


def test_a_lookup_shows_every_problem_at_once(client):
    response = form_post(client, "/track", {"case_number": "ZY①②③", "last4": "12"})
    page = text(response)
    assert response.status_code == 422 and "办件编号有误" in page and "请输入申请人身份证号或手机号的后 4 位" in page
    assert 'value="ZY①②③"' in page and 'value="12"' in page
