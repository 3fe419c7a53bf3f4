"""权责清单查询 through the pages: browse by department and kind, search, an entry, and the links
between an entry and its item's guide."""
import html

LOW_INCOME = "621027-BM-006"


def text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_browse_by_department_and_kind_and_search(client):
    page = text(client.get("/powers"))
    assert "镇原县民政局" in page and "行政许可" in page and "行政处罚" in page and 'href="/powers?department=mz"' in page
    by_department = text(client.get("/powers?department=mz"))
    assert "最低生活保障审核确认及保障金给付" in by_department and "镇原县民政局 · 共" in by_department
    assert "企业名称" not in by_department
    penalties = text(client.get("/powers?kind=penalty"))
    assert "行政处罚 · 共" in penalties and "高龄津贴" not in penalties
    found = text(client.get("/powers?q=最低生活保障", headers={"HX-Request": "true"}))
    assert "<html" not in found and "最低生活保障审核确认及保障金给付" in found
    assert "没有找到" in text(client.get("/powers?q=不存在的权力事项"))
    for nonsense in ("department=../etc", "kind=<b>", "q=" + "长" * 80):
        assert client.get("/powers?" + nonsense).status_code == 200


def test_an_entry_links_to_its_guide_and_the_guide_back_to_it(client):
    guide = text(client.get(f"/items/{LOW_INCOME}"))
    link = guide.split('<dt>权责清单</dt><dd><a href="')[1].split('"')[0]
    entry = text(client.get(link))
    assert "设定依据" in entry and "责任事项" in entry and "社会救助暂行办法" in entry and "镇原县民政局" in entry
    assert f'href="/items/{LOW_INCOME}"' in entry
    assert client.get("/powers/NO-SUCH-CODE").status_code == 404
    assert 'href="/powers"' in text(client.get("/items/621027-ZX-003"))
