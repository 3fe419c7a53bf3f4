"""The session cookie's signer is made once per key, and a new key still refuses old cookies."""
from web.cookies import CookieSessions


def read(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_one_signer_per_key_and_a_new_key_refuses_the_old_cookies(app):
    assert isinstance(app.session_interface, CookieSessions)
    client = app.test_client()
    with client.session_transaction() as session:
        session["seen"] = 1
    assert read(client) == {"seen": 1}
    signer = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is signer  # not made again per request
    old_key, old_fallbacks = app.secret_key, app.config.get("SECRET_KEY_FALLBACKS")
    try:
        app.secret_key = "another-secret-key-of-32-characters!"
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]  # a key rotation: cookies of the old key still read
        assert app.session_interface.get_signing_serializer(app) is not signer
        assert read(client) == {"seen": 1}
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a-third-secret-key-of-32-characters", []
        assert read(client) == {}  # signed with a key now unknown
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = old_key, old_fallbacks
