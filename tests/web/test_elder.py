import re

HTML_CLASS = re.compile(r'<html lang="zh-CN" class="([^"]*)"')


def html_class(response) -> str:
    return HTML_CLASS.search(response.get_data(as_text=True)).group(1)


def test_standard_pages_offer_the_elder_switch_as_a_link(client):
    body = client.get("/items/621027-BM-004").get_data(as_text=True)
    assert 'href="/elder?on=1&amp;next=/items/621027-BM-004"' in body
    assert html_class(client.get("/")) == ""


def test_elder_mode_is_remembered_across_pages(client):
    response = client.get("/elder?on=1&next=/items/621027-BM-004")
    assert response.status_code == 303
    assert response.headers["Location"] == "/items/621027-BM-004"
    assert "elder=1" in response.headers["Set-Cookie"]
    assert "Max-Age=31536000" in response.headers["Set-Cookie"]
    for url in ("/", "/items/621027-BM-004", "/search?q=低保", "/places", "/nope"):
        assert html_class(client.get(url)) == "elder", url
    body = client.get("/").get_data(as_text=True)
    assert "标准版" in body


def test_switching_back_forgets_elder_mode(client):
    client.get("/elder?on=1&next=/")
    client.get("/elder?on=0&next=/")
    assert html_class(client.get("/")) == ""


def test_elder_switch_comes_back_to_the_same_search(client):
    body = client.get("/search?q=低保").get_data(as_text=True)
    link = re.search(r'href="(/elder\?on=1[^"]*)"', body).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.headers["Location"] == "/search?q=%E4%BD%8E%E4%BF%9D"


def test_elder_switch_never_redirects_off_site(client):
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)", "evil"):
        response = client.get("/elder", query_string={"on": "1", "next": target})
        assert response.headers["Location"] == "/"
