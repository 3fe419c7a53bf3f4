import hashlib
import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_manifest_is_served_with_its_content_type_and_installable_fields(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
    assert manifest["start_url"].startswith("/") and manifest["theme_color"].startswith("#")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_service_worker_is_served_from_the_root_as_javascript(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_precaches_a_shell_that_exists(client):
    body = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL_URLS = (\[.*?\]);", body).group(1))
    assert "/" in shell and "/offline" in shell
    assert any("htmx-2.0.11.min.js" in url for url in shell)
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_service_worker_caches_only_public_pages(client):
    body = client.get("/sw.js").get_data(as_text=True)
    listed = re.search(r"const CACHEABLE = \[(.*?)\];", body).group(1)
    patterns = [re.compile(p) for p in re.findall(r"/(\^.*?\$)/", listed)]

    def cached(path):
        return any(p.search(path) for p in patterns)

    for public in ("/", "/s/convenience", "/items/621027-BM-004", "/places"):
        assert cached(public), public
    for private in ("/items/621027-BM-004/feedback", "/t/ZY2026", "/my", "/search?q=x", "/healthz"):
        assert not cached(private), private


def test_pages_link_the_manifest_and_register_the_worker(client):
    body = client.get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in body
    assert "serviceWorker" in (STATIC / "js" / "app.js").read_text()


def test_offline_page_speaks_chinese(client):
    body = client.get("/offline").get_data(as_text=True)
    assert "现在没有网络" in body


def test_hashed_static_urls_may_be_cached_forever(client):
    body = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', body).group(1)
    response = client.get(css)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_vendored_htmx_is_the_pinned_2_0_release():
    data = (STATIC / "vendor" / "htmx-2.0.11.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    assert b'version:"2.0.11"' in data


def test_pages_are_compressed_for_weak_networks(client):
    response = client.get("/items/621027-BM-004", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_cached_pages_come_precompressed_and_decode_to_the_same_page(client):
    import gzip

    import brotli

    plain = client.get("/items/621027-BM-004").data
    br = client.get("/items/621027-BM-004", headers={"Accept-Encoding": "br, gzip"})
    gz = client.get("/items/621027-BM-004", headers={"Accept-Encoding": "gzip"})
    assert br.headers["Content-Encoding"] == "br" and gz.headers["Content-Encoding"] == "gzip"
    assert brotli.decompress(br.data) == plain == gzip.decompress(gz.data)
    assert len({br.headers["ETag"], gz.headers["ETag"], client.get("/").headers["ETag"]}) == 3


@pytest.mark.parametrize(("accept", "chosen"), [
    ("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("gzip, br;q=0", "gzip"), ("br;q=0.0, gzip;q=0.5", "gzip"),
    ("*", "br"), ("*, br;q=0", "gzip"), ("identity", None), ("", None), ("br;q=0, gzip;q=0", None),
    ("gzip;q=abc, br;q=0", None), ("BR", "br")])
def test_a_body_is_compressed_only_as_the_browser_takes_it(accept, chosen):
    from web.compression import choose_encoding

    assert choose_encoding(accept) == chosen


def test_a_kept_page_is_not_sent_in_an_encoding_refused(client):
    import gzip

    answer = client.get("/items/621027-BM-004", headers={"Accept-Encoding": "gzip, br;q=0"})
    assert answer.headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(answer.data)


def test_cached_page_follows_the_elder_cookie(client):
    client.get("/items/621027-BM-004")
    client.get("/elder?on=1&next=/")
    assert 'class="elder"' in client.get("/items/621027-BM-004").get_data(as_text=True)


def test_hashed_static_files_are_served_compressed(client):
    import gzip

    body = client.get("/").get_data(as_text=True)
    htmx_url = re.search(r'src="(/static/vendor/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]+)"', body).group(1)
    response = client.get(htmx_url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (STATIC / "vendor" / "htmx-2.0.11.min.js").read_bytes()
    assert len(response.data) < 20_000
