"""Flask's signed-cookie sessions, with the signer made once per key instead of on every request
(~20 µs of each one, the public progress page's included)."""
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self):
        self._signer = (None, None)

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made_for, signer = self._signer
        if made_for != key:  # a test or a key rotation sets another key: a signer for that one
            signer = super().get_signing_serializer(app)
            self._signer = (key, signer)
        return signer
