from wsgi import create_app


def test_unexpected_error_gets_a_styled_chinese_500_page(database_url):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出了点问题" in body and "12345" in body
    assert "/static/css/app.css" in body
    assert "RuntimeError" not in body


def test_not_found_page_is_styled_and_chinese(client):
    response = client.get("/no/such/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "没有找到这个页面" in body and "回到首页" in body


def test_wrong_method_is_explained(client):
    response = client.post("/api/v1/services")
    assert response.status_code == 405
    assert response.get_json()["error"]["message"] == "请从页面上的按钮进行操作。"
