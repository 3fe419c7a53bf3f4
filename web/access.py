"""Who may open a page. Citizens and staff sign in through the same session, so each front end
checks the kind of account, not only that someone is signed in."""
from functools import wraps

from flask import redirect, request, session, url_for
from flask_login import current_user

from services.clock import utcnow

STAFF_IDLE_MINUTES = 30


def citizen_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or getattr(current_user, "is_staff", False):
            return redirect(url_for("pwa.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def verified_required(view):
    """A signed-in citizen who has done 实名认证; others are sent to sign in or to verify."""
    @citizen_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_verified:
            return redirect(url_for("pwa.verify", next=request.full_path), code=303)
        return view(*args, **kwargs)
    return wrapped


def staff_required(*roles: str):
    """Staff only (optionally of given roles); signed out after 30 idle minutes."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not getattr(current_user, "is_staff", False):
                return redirect(url_for("office.login", next=request.full_path.rstrip("?")))
            now = utcnow().timestamp()
            if now - session.get("staff_seen", now) > STAFF_IDLE_MINUTES * 60:
                from flask_login import logout_user

                logout_user()
                session.clear()
                return redirect(url_for("office.login", next=request.full_path.rstrip("?"), timeout=1))
            session["staff_seen"] = now
            if roles and current_user.role not in roles:
                from werkzeug.exceptions import Forbidden

                raise Forbidden()
            return view(*args, **kwargs)
        return wrapped
    return decorator
