"""One place turns errors into a Chinese page, an htmx fragment, or JSON for /api."""
from flask import current_app, g, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from extensions import db
from services.errors import DomainError

from .fragments import wants_fragment

MESSAGES = {
    400: ("请求有误", "提交的内容不完整或格式不对，请返回上一页重新填写。"),
    403: ("没有权限", "您没有查看这个页面的权限。"),
    404: ("没有找到这个页面", "地址可能输错了，或者这个页面已经调整。"),
    405: ("操作方式不对", "请从页面上的按钮进行操作。"),
    409: ("现在不能这样操作", "办件的状态已经变了，请刷新页面后再看。"),
    413: ("文件太大", "上传的文件超过了大小限制，请压缩后再试。"),
    429: ("操作太频繁", "请稍等几分钟再试。"),
    500: ("系统出了点问题", "不是您的错。请稍后再试；如着急办理，请拨打 12345 政务服务便民热线。"),
    503: ("系统正在维护", "数据库暂时连不上，请稍等一两分钟再试；如着急办理，请拨打 12345 政务服务便民热线。"),
}
RETRY_AFTER_SECONDS = 60  # what the 503 page asks for: a restart or failover of the database


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, detail: str | None = None):
    title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    message = detail or default
    if _wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    template = "errors/_message.html" if wants_fragment() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(exc):
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, "页面已过期或来源不明，为了您的安全没有提交。请返回上一页，刷新后再试。")

    @app.errorhandler(RateLimitExceeded)
    def too_many(exc):
        # A limit may carry its own Chinese message; otherwise the general one.
        return render_error(429, exc.description if exc.limit.error_message else None)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return render_error(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error")
        return render_error(500)

    @app.errorhandler(OperationalError)  # unreachable, restarting, shutting down, locked too long
    @app.errorhandler(PoolTimeout)  # every connection busy
    def database_unavailable(exc):
        return _database_unavailable(exc)

    @app.errorhandler(DBAPIError)
    def database_error(exc):
        if exc.connection_invalidated:  # the server went away mid-query, whatever the driver called it
            return _database_unavailable(exc)
        return unexpected(exc)

    # Runs before Flask-SQLAlchemy's own teardown (the last registered runs first), which would
    # raise when the server went away after the page was made, turning the answer into a 500.
    app.teardown_appcontext(lambda exc: _release_connection())


def _database_unavailable(exc):
    """The database is restarting, failing over or out of connections: a 503 the person can act on.
    The pool heals by itself (wsgi.py tests each connection it hands out), so nothing else is done."""
    current_app.logger.error("database unavailable: %s", exc)
    _as_a_visitor()
    try:
        response = current_app.make_response(render_error(503))
    except SQLAlchemyError:  # the page itself needed the database: its words alone
        title, message = MESSAGES[503]
        response = current_app.make_response((f"<!doctype html><h1>{title}</h1><p>{message}</p>", 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _release_connection() -> None:
    """End the request's transaction; one whose server went away can only be dropped."""
    try:
        db.session.remove()
    except SQLAlchemyError:
        db.session().invalidate()  # no ROLLBACK sent down a dead line; the pool opens a fresh one
        db.session.remove()


def _as_a_visitor() -> None:
    """End the failed transaction, and show the page as to a visitor: the layout asks who is signed
    in and for whom they act, which would read the database again. The session is kept as it is."""
    _release_connection()
    current_app.login_manager._update_request_context_with_user()  # anonymous, for this request only
    g.acting = None  # web.access.acting_organisation: no look-up, nothing dropped from the session
