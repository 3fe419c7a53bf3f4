"""The session cookie's signer is made once per key, and a new key still refuses old cookies."""
from web.cookies import CookieSessions


def test_one_signer_per_key_and_a_new_key_refuses_the_old_cookies(app):
    @app.get("/test/remember")
    def remember():
        from flask import session

        session["seen"] = session.get("seen", 0) + 1
        return str(session["seen"])

    assert isinstance(app.session_interface, CookieSessions)
    client = app.test_client()
    assert [client.get("/test/remember").get_data(as_text=True) for _ in range(3)] == ["1", "2", "3"]
    signer = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is signer  # not made again per request
    old_key = app.secret_key
    try:
        app.secret_key = "another-secret-key-of-32-characters!"
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]  # a key rotation: cookies of the old key still read
        assert app.session_interface.get_signing_serializer(app) is not signer
        assert client.get("/test/remember").get_data(as_text=True) == "4"
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a-third-secret-key-of-32-characters", []
        assert client.get("/test/remember").get_data(as_text=True) == "1"  # signed with a key now unknown
    finally:
        app.secret_key = old_key
        app.config.pop("SECRET_KEY_FALLBACKS", None)
