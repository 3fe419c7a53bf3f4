"""Routes every front end shares: health, PWA files, 长辈版 switch, offline page."""
import json

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from sqlalchemy import text

from extensions import db

from .assets import SHELL_ASSETS, asset_url
from .preferences import ELDER_COOKIE, ONE_YEAR, safe_next

bp = Blueprint("core", __name__)

THEME_COLOR = "#0b57a4"


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, never raise: this is what the load balancer polls
        current_app.logger.error("healthz: database check failed: %s", exc)
        db.session.rollback()
        database = "error"
    catalog = current_app.extensions["catalog"]
    body = {"status": "ok" if database == "ok" else "error", "database": database,
            "items": len(catalog.items)}
    response = jsonify(body)
    response.status_code = 200 if database == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": current_app.config["SITE_NAME"],
        "short_name": "乡村便民",
        "description": "镇原县政务服务：查办事指南、网上办事、查进度",
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": asset_url("icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    shell = ["/", "/offline"] + [asset_url(a) for a in SHELL_ASSETS]
    body = render_template("sw.js", shell=shell, version=_shell_version(shell))
    response = make_response(body)
    response.mimetype = "text/javascript"
    # Browsers must always look for a new worker; old caches are dropped by version.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _shell_version(shell: list[str]) -> str:
    import hashlib

    return hashlib.sha256("|".join(shell).encode()).hexdigest()[:12]


@bp.get("/offline")
def offline():
    return render_template("offline.html")


@bp.get("/elder")
def elder_mode():
    """A link, so it works with no JS: /elder?on=1&next=/items/X switches and comes back."""
    on = request.args.get("on") == "1"
    response = redirect(safe_next(request.args.get("next")), code=303)
    if on:
        response.set_cookie(ELDER_COOKIE, "1", max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response
