"""一点登录: signing in with the province's unified identity (甘肃政务服务网) — OpenID Connect
authorization code flow with PKCE (Authlib's Flask client): the provider checks who the person
is, we map its verified name and ID number to our real-name record. Provinces that hand back a
ticket to exchange instead plug in as another kind in PROVIDERS (same two steps: start, finish)."""
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, redirect, request, session, url_for
from flask_login import login_user
from joserfc.errors import JoseError
from requests import RequestException

from services import audit
from services.errors import DomainError
from services.people.identity import ProviderIdentity, sign_in_by_provider
from web.preferences import safe_next

from . import bp


class OidcProvider:
    """The authorization code flow of an OpenID provider found by its discovery document."""

    def __init__(self, app):
        config = app.config
        oauth = OAuth(app)  # one per application: a second app (tests, a CLI) has its own provider
        self.client = oauth.register(
            "province", client_id=config["OIDC_CLIENT_ID"], client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPE"], "code_challenge_method": "S256", "timeout": 10})
        self.claims = {"name": config["OIDC_CLAIM_NAME"], "id_number": config["OIDC_CLAIM_ID_NUMBER"],
                       "phone": config["OIDC_CLAIM_PHONE"]}
        # A provider that never says phone_number_verified, but checks every phone (a province's
        # own SMS check at registration), is trusted only when the county says so.
        self.trust_phone = bool(config.get("OIDC_TRUST_PHONE"))

    def start(self, callback: str):
        return self.client.authorize_redirect(callback)

    def finish(self) -> ProviderIdentity:
        token = self.client.authorize_access_token()  # checks state, PKCE verifier, the ID token's signature and nonce
        claims = dict(token.get("userinfo") or {})
        if not claims.get(self.claims["id_number"]):  # not in the ID token: ask the userinfo endpoint
            claims |= dict(self.client.userinfo(token=token))
        # A phone the provider has not checked is not taken: here a phone is a way to sign in.
        phone = claims.get(self.claims["phone"]) if claims.get("phone_number_verified", self.trust_phone) else None
        return ProviderIdentity("oidc", claims.get("sub", ""), claims.get(self.claims["name"]),
                                claims.get(self.claims["id_number"]), phone)


PROVIDERS = {"oidc": OidcProvider}


def init_identity(app) -> None:
    kind = app.config.get("IDENTITY_PROVIDER") or ""
    if not kind:
        return
    if kind not in PROVIDERS:
        raise RuntimeError(f"未知的统一身份认证接口 IDENTITY_PROVIDER={kind}")
    app.extensions["identity_provider"] = PROVIDERS[kind](app)


def _provider():
    return current_app.extensions.get("identity_provider")


@bp.get("/signin/province")
def signin_province():
    if _provider() is None:
        return redirect(url_for("pwa.signin"), code=303)
    session["province_next"] = safe_next(request.args.get("next"))
    return _provider().start(url_for("pwa.signin_province_callback", _external=True))


@bp.get("/signin/province/callback")
def signin_province_callback():
    if _provider() is None:
        return redirect(url_for("pwa.signin"), code=303)
    try:
        person = sign_in_by_provider(_provider().finish(), request.remote_addr or "")
    except (OAuthError, JoseError, RequestException, DomainError, KeyError, ValueError) as exc:
        # refused there; tampered, replayed or foreign here (the ID token's signature, issuer,
        # audience, expiry); the provider unreachable; or a record we cannot take
        current_app.logger.warning("province sign-in refused: %s", type(exc).__name__)
        audit.record("person", None, "", "provider_sign_in_refused", "provider:oidc",
                     {"error": type(exc).__name__}, ip=request.remote_addr or "")
        raise DomainError("甘肃政务服务网登录没有成功，请重新登录，或用手机号登录")
    session.pop("demo_code", None)
    session.permanent = True
    login_user(person)
    return redirect(session.pop("province_next", "/"), code=303)


def province_name() -> str | None:
    """The provider's name for the sign-in page's button, if one is configured."""
    return current_app.config["OIDC_PROVIDER_NAME"] if _provider() is not None else None
