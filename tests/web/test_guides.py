import html

import pytest

from services.catalog import CHANNEL_NAMES, DELIVERY_NAMES, FORM_NAMES, LEVEL_NAMES, SECTION_NAMES
from services.catalog import load_catalog
from tests.services.test_catalog import CATALOG

ITEMS = load_catalog(CATALOG).items


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.code)
def test_every_guide_shows_all_its_standard_fields(client, item):
    response = client.get(f"/items/{item.code}")
    assert response.status_code == 200
    body = page_text(response)
    expected = [item.code, item.name, item.summary, item.department, SECTION_NAMES[item.section],
                item.fee, f"{item.visits} 次", item.window.name, item.window.address,
                item.window.hours, item.window.phone]
    expected += [LEVEL_NAMES[l] for l in item.levels]
    expected += item.basis + item.conditions + item.steps
    expected += [CHANNEL_NAMES[c] for c in item.channels]
    expected += [DELIVERY_NAMES[d] for d in item.delivery]
    expected.append(f"{item.promised_days} 个工作日" if item.promised_days else "即时办结")
    if item.legal_days:
        expected.append(f"法定 {item.legal_days} 个工作日")
    for m in item.materials:
        expected.append(m.name)
        expected += [m.waived_note] if m.waived else [FORM_NAMES[m.form]]
    expected += [f.label for f in item.fields]
    expected += [row.label for row in item.fee_schedule] + [s.body for s in item.sections]
    missing = [text for text in expected if text not in body]
    assert not missing
    if item.fully_online:
        assert "可以全程网上办理，不用到现场" in body
    else:
        assert f"需要到现场 {item.visits} 次：{item.visits_note}" in body


def test_waived_materials_are_marked_and_not_asked(client, catalog):
    body = page_text(client.get("/items/621027-BM-004"))
    assert body.count("免提交") == len(catalog.get("621027-BM-004").waived_materials)


def test_fee_schedule_shows_amounts_as_money(client):
    body = page_text(client.get("/items/621027-BM-011"))
    assert "1,000 元" in body and "3,000 元" in body


def test_home_shows_the_three_sections_and_every_item(client, catalog):
    body = page_text(client.get("/"))
    for name in ("便民服务", "审批服务", "专项服务"):
        assert name in body
    for item in catalog.items:
        assert f"/items/{item.code}" in body


def test_section_page_lists_its_items(client, catalog):
    body = page_text(client.get("/s/approval"))
    for item in catalog.in_section("approval"):
        assert item.name in body
    assert "住房公积金查询" not in body


def test_unknown_section_and_item_get_a_chinese_404(client):
    for url in ("/s/nothing", "/items/621027-XX-999"):
        response = client.get(url)
        assert response.status_code == 404
        assert "没有找到" in page_text(response)


def test_search_page_finds_by_a_word_of_the_name(client):
    body = page_text(client.get("/search?q=低保"))
    assert "最低生活保障申请" in body
    assert body.index("最低生活保障申请") < body.index("惠民惠农补贴查询")
    assert 'value="低保"' in body  # what was typed stays in the box


def test_search_answers_htmx_with_only_the_results(client):
    response = client.get("/search?q=挂号", headers={"HX-Request": "true"})
    body = page_text(response)
    assert "预约挂号" in body
    assert "<html" not in body


def test_search_with_no_match_says_so_and_suggests(client):
    body = page_text(client.get("/search?q=火箭发射"))
    assert "没有找到与“火箭发射”有关的服务" in body
    assert "12345" in body


def test_search_escapes_what_was_typed(client):
    body = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_places_lists_every_township_service_centre(client):
    body = page_text(client.get("/places"))
    assert "乡镇便民服务中心（19 个）" in body
    assert "新集乡" in body and "0934-8620013" in body


def test_guide_answers_304_when_unchanged(client):
    first = client.get("/items/621027-BM-001")
    etag = first.headers["ETag"]
    again = client.get("/items/621027-BM-001", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
