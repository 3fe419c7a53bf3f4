"""create_app(): config, extensions, blueprints. `app` is for gunicorn: `gunicorn wsgi:app`."""
import os
from pathlib import Path
from weakref import WeakKeyDictionary

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import Config, instance_secret_key, normalise_database_url
from extensions import compress, csrf, db, htmx, limiter, login_manager, migrate


class App(Flask):
    """Flask, asking once per hook whether it is a coroutine function: Flask asks on every call of
    every before/after/teardown hook (inspect, ~5 µs each, a dozen each request), and no hook
    here is one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Weak: a function made per request (after_this_request) goes with its request.
        self._sync = WeakKeyDictionary()

    def ensure_sync(self, func):
        try:
            synced = self._sync.get(func)
            if synced is None:
                synced = self._sync[func] = super().ensure_sync(func)
        except TypeError:  # not weakly referable (a builtin): asked each time, as Flask does
            return super().ensure_sync(func)
        return synced


def create_app(test_config: dict | None = None) -> Flask:
    # INSTANCE_PATH: where a deployment keeps what is its own (deploy/: /var/lib/zhenyuan).
    app = App(__name__, instance_relative_config=True, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.from_object(Config)
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_secrets_and_database(app)
    from web import logsafe
    from web.cookies import CookieSessions

    app.session_interface = CookieSessions()
    logsafe.init_app(app)  # no ID number, phone, code or token in a log; after the engine options

    from services.catalog import load_catalog

    # A broken catalog file stops start-up here, naming the file and the field.
    app.extensions["catalog"] = load_catalog(app.config["CATALOG_DIR"])
    from services.powers import load_powers

    app.extensions["powers"] = load_powers(app.config["POWERS_DIR"], app.extensions["catalog"])

    import services.models  # noqa: F401  (registers every table)
    from services.sms import make_sms_sender

    # External adapters are chosen here; production refuses to start on a sandbox.
    from services.storage import make_storage

    app.extensions["storage"] = make_storage(app.config, Path(app.instance_path) / "uploads")
    app.extensions["senders"] = {
        "sms": make_sms_sender(app.config["SMS_SENDER"], app.config["APP_ENV"] == "production", app.config),
    }
    from services.exchange import (
        DepartmentSender,
        adapters_from_config,
        secrets_from_config,
    )

    app.config["EXCHANGE_SYSTEMS"] = sorted({i.system for i in app.extensions["catalog"].items if i.system})
    app.extensions["exchange"] = adapters_from_config(app.config, app.config["APP_ENV"] == "production")
    app.extensions["exchange_secrets"] = secrets_from_config(app.config, app.config["APP_ENV"] == "production")
    app.extensions["senders"]["department"] = DepartmentSender(app.extensions["exchange"],
                                                               app.extensions["exchange_secrets"])
    from services.payment_provider import make_provider

    app.extensions["payment_provider"] = make_provider(
        app.config["PAYMENT_PROVIDER"], os.environ.get("PAYMENT_SECRET") or app.config["SECRET_KEY"] + ":pay",
        app.config["APP_ENV"] == "production", app.config)
    from services.payment_provider import make_tax_channel

    app.extensions["tax_channel"] = make_tax_channel(
        app.config["TAX_CHANNEL"], os.environ.get("PAYMENT_SECRET") or app.config["SECRET_KEY"],
        app.config["APP_ENV"] == "production")
    from services.logistics import make_carrier

    app.extensions["carrier"] = make_carrier(app.config["CARRIER"], app.config["APP_ENV"] == "production", app.config)
    from services.people.business_registry import make_business_registry

    app.extensions["business_registry"] = make_business_registry(
        app.config["BUSINESS_REGISTRY"], app.config["BUSINESS_REGISTRY_SANDBOX"], app.config["APP_ENV"] == "production")
    _check_keys(app)
    _install_registry(app)

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            _test_idle_connections(db.engine)
    migrate.init_app(app, db, render_as_batch=True, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    if app.config["APP_ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning("RATELIMIT_STORAGE_URI=memory:// counts per worker process: set redis://… "
                           "so every worker and host shares one count")
    _limiter_hooks_only_where_limited(app)
    _configure_login(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _register_web(app)
    _only_view_limits()

    from commands import register_commands

    register_commands(app)
    return app


def _only_view_limits() -> None:
    """Every limit decorates a view and is checked by its decorator, the app-wide check being
    removed (_limiter_hooks_only_where_limited): a default, application or blueprint limit would
    never be checked."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        raise RuntimeError("only views may carry a limit (@limiter.limit): default, application and blueprint "
                           "limits are never checked here")


def _limiter_hooks_only_where_limited(app: Flask) -> None:
    """Every limit decorates a view and is checked by its decorator (_only_view_limits), so
    Flask-Limiter's app-wide check before each request (for default limits) goes: ~60 µs a
    request. Its hooks after each request (a deduction that waits for the answer, deduct_when)
    and at its teardown make its per-request state on every request, ~30 µs, only to find it
    empty: a limit's decorator makes that state, so a request without one skips both."""
    from flask.globals import request_ctx

    app.before_request_funcs[None].remove(limiter._check_request_limit)
    teardown = app.teardown_request_funcs[None]
    after = next((f for f in app.after_request_funcs[None] if getattr(f, "args", None) == (limiter,)), None)
    release = next((f for f in teardown if getattr(f, "__self__", None) is limiter), None)
    if after is None or release is None:
        raise RuntimeError("Flask-Limiter's hooks are not where wsgi.py expects them: check its version")

    def limited() -> bool:
        return hasattr(request_ctx._get_current_object(), "_limiter_request_context")

    def deduct_after(response):
        return after(response) if limited() else response

    def release_state(exc):
        if limited():
            release(exc)

    app.after_request_funcs[None][app.after_request_funcs[None].index(after)] = deduct_after
    teardown[teardown.index(release)] = release_state


def _install_registry(app: Flask) -> None:
    """What services reach instead of current_app; entered with every context of this app."""
    from flask import appcontext_pushed

    from services.registry import Registry, install

    ext = app.extensions
    app.extensions["registry"] = Registry(
        catalog=ext["catalog"], storage=ext["storage"], sms=ext["senders"]["sms"], exchange=ext["exchange"],
        exchange_secrets=ext["exchange_secrets"], payment_provider=ext["payment_provider"],
        tax_channel=ext["tax_channel"],
        carrier=ext["carrier"], business_registry=ext["business_registry"], public_base_url=app.config["PUBLIC_BASE_URL"].rstrip("/"),
        secret_key=app.config["SECRET_KEY"], keys=ext["keys"], audit_key=app.config["AUDIT_KEY"], production=app.config["APP_ENV"] == "production")
    appcontext_pushed.connect(lambda sender, **_: install(sender.extensions["registry"]), app, weak=False)
    install(app.extensions["registry"])


def _check_keys(app: Flask) -> None:
    """Keys that have no safe default in production (docs/security.md says how to make and keep them)."""
    from services.sealing import KeyProblem, keys_from

    try:
        app.extensions["keys"] = keys_from(app.config, app.config["SECRET_KEY"], app.config["APP_ENV"] == "production")
    except KeyProblem as exc:
        raise RuntimeError(str(exc)) from None
    if app.config["APP_ENV"] == "production" and len(app.config.get("AUDIT_KEY") or "") < 32:
        raise RuntimeError("APP_ENV=production 时必须用环境变量 AUDIT_KEY 提供审计日志链的密钥（至少 32 个随机字符，"
                           "与 SECRET_KEY 不同，另行备份）")


def _configure_secrets_and_database(app: Flask) -> None:
    production = app.config["APP_ENV"] == "production"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    if production and not str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        # It goes into every SMS link, receipt QR and the addresses payment and carrier callbacks use.
        raise RuntimeError("APP_ENV=production 时必须用 PUBLIC_BASE_URL 设置站点的 https:// 地址")
    if production and app.config.get("SECRET_KEY") and (len(app.config["SECRET_KEY"]) < 32
                                                         or "change-me" in app.config["SECRET_KEY"]):
        raise RuntimeError("SECRET_KEY 太短或还是示例值：请用至少 32 个随机字符")
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("APP_ENV=production 时必须通过环境变量 SECRET_KEY 提供密钥")
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "app.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if url.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}})
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # An unreachable server is a 503 in seconds (web/errors.py), not a worker hung past its
        # timeout. Pooled connections are tested before use when idle (_test_idle_connections).
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"connect_timeout": 5}})


def _configure_login(app: Flask) -> None:
    from services.people.identity import Person
    from services.people.staff import StaffUser

    login_manager.init_app(app)
    # No sign-in outlives its session (login_user is never told to remember), so the hook that sets
    # or clears a remember-me cookie has nothing to do; it read the session on every response.
    # Nor is such a cookie ever read: one that came from elsewhere signs nobody in.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    login_manager._load_user_from_remember_cookie = lambda cookie: None
    from web.access import SIGNIN, server_session_holds

    # Each front end sends people to its own sign-in page.
    login_manager.blueprint_login_views = {bp: endpoints[0] for bp, endpoints in SIGNIN.items()}
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        kind, _, number = user_id.partition(":")
        if not (number.isascii() and number.isdigit() and len(number) < 10):
            return None
        if kind == "p":
            return db.session.get(Person, int(number))
        if kind == "s":
            user = db.session.get(StaffUser, int(number))
            return user if user is not None and server_session_holds("staff", user) else None
        if kind == "a":  # read afresh each request: a disabled agent is out at once
            from services.people.agents import Agent

            agent = db.session.get(Agent, int(number))
            return agent if agent is not None and server_session_holds("agent", agent) else None
        return None


IDLE_TEST_AFTER = 0.1  # seconds a pooled connection may rest and still be used untested


def _test_idle_connections(engine: Engine) -> None:
    """After a restart or failover of PostgreSQL every pooled connection is dead: one that has
    rested is tested as it is taken (an empty statement) and, if dead, the pool renews them all,
    so no request gets one and the app heals without a restart. One back in the pool less than
    IDLE_TEST_AFTER ago, under load, goes untested: a test per request is a round trip, a good
    part of a small page's time. A server lost within that moment fails the one request that
    finds it (a 503 page), and the pool renews every connection as above."""
    from time import monotonic

    from sqlalchemy.exc import InvalidatePoolError

    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def fresh(dbapi_connection, record):
        record.info["returned_at"] = monotonic()

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record):
        record.info["returned_at"] = monotonic()

    @event.listens_for(engine, "checkout")
    def test_if_rested(dbapi_connection, record, proxy):
        if monotonic() - record.info.get("returned_at", 0.0) <= IDLE_TEST_AFTER:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError() from exc  # the pool reconnects and retries the checkout
            raise


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL for readers beside one writer, foreign keys on, wait rather than fail when busy."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_web(app: Flask) -> None:
    from agent import bp as agent_bp
    from api import bp as api_bp
    from kiosk import bp as kiosk_bp
    from office import bp as office_bp
    from pwa import bp as pwa_bp
    from web import core, filters, frontends
    from web.assets import asset_url, static_file_response
    from web.errors import register_error_handlers
    from web.fragments import vary_on_htmx
    from web.preferences import is_elder
    from web.security import add_security_headers, refuse_nul_bytes

    app.register_blueprint(core.bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(office_bp, url_prefix="/office")
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(agent_bp)
    from pwa.province import init_identity

    init_identity(app)
    csrf.exempt(api_bp)  # machine API: token auth comes with the department exchange
    register_error_handlers(app)
    filters.register(app)
    frontends.register(app)
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    app.after_request(vary_on_htmx)
    app.after_request(static_file_response)
    app.jinja_env.globals["asset_url"] = asset_url  # macros imported without context need it

    @app.context_processor
    def shared_context():
        from flask import request

        return {"elder": is_elder(request),
                "site_name": app.config["SITE_NAME"], "theme_color": core.THEME_COLOR}


def __getattr__(name: str):
    """`wsgi:app` for gunicorn, built on first access so importing this module does nothing."""
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
