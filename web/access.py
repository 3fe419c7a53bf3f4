"""Who may open a page, and who is acting. Citizens and staff sign in through the same session,
so each front end checks the kind of account, not only that someone is signed in; each front
end names its own sign-in page (SIGNIN below), so a kiosk or an agent page never sends people
to the phone's sign-in."""
import ipaddress
import secrets
from functools import wraps

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import Forbidden

from services import kiosks
from services.clock import utcnow
from services.errors import DomainError
from services.people import actors, agents, organisations, passwords, sessions
from web.forms import PasswordChangeInput, StaffLoginInput
from web.inputs import Parsed, parse
from web.preferences import safe_next

# blueprint -> (sign-in endpoint, real-name endpoint); front ends add themselves here.
SIGNIN = {"pwa": ("pwa.signin", "pwa.verify"), "office": ("office.login", None),
          "kiosk": ("kiosk.identify", "kiosk.identify"), "agent": ("agent.login", None)}


def _here() -> str:
    return request.full_path.rstrip("?")


def _signin_endpoint(default: str = "pwa.signin") -> str:
    return SIGNIN.get(request.blueprint or "", (default, None))[0]


def account_kind() -> str | None:
    """"citizen", "staff" or "agent" for whoever is signed in; None for nobody."""
    return getattr(current_user, "account_kind", None) if current_user.is_authenticated else None


def current_actor() -> actors.Actor:
    """The actor behind this request, for services: a citizen, a kiosk acting for the person
    identified at it, a village agent (acting for a resident under a consent in force, when the
    page is one of that resident's), or a staff member."""
    kiosk = g.get("kiosk")
    if kiosk is not None:
        return kiosks.actor_at(kiosk, current_user if account_kind() == "citizen" else None)
    if account_kind() == "agent":
        mandate = g.get("mandate")
        return agents.actor_of(current_user, mandate.person_id if mandate else None, mandate.id if mandate else None)
    if account_kind() == "staff":
        return actors.staff(current_user)
    return organisations.actor_for(current_user, acting_organisation())


ORGANISATION = "organisation_id"  # the session's key: the organisation a citizen acts for


def acting_organisation() -> organisations.Acting | None:
    """The organisation the signed-in citizen acts for in this session (法人), checked again on
    every request: an authority withdrawn or expired ends here, mid-session."""
    if "acting" not in g:
        chosen = session.get(ORGANISATION)
        g.acting = None
        if chosen is not None and account_kind() == "citizen" and g.get("kiosk") is None:
            g.acting = organisations.acting_for(current_user, chosen)
        if chosen is not None and g.acting is None:
            session.pop(ORGANISATION, None)
    return g.acting


def applicant():
    """The person a flow page acts for: the signed-in citizen (also at a kiosk), or the resident
    an agent acts for (the agent front end's guard has checked the consent); None otherwise."""
    person = g.get("applicant")
    if person is not None:
        return person
    return current_user if account_kind() == "citizen" else None


def requester() -> str:
    """Whom tries are counted against: a kiosk by itself (all kiosks of a hall may share one
    address); otherwise the address this request came from, for IPv6 its /64, which one
    household or phone holds (a phone may rotate the rest at will)."""
    kiosk = g.get("kiosk")
    if kiosk is not None:
        return f"kiosk:{kiosk.id}"
    if account_kind() == "agent":  # an agent's tries are theirs, wherever they are
        return f"agent:{current_user.id}"
    addr = request.remote_addr or ""
    if request.headers.get("X-Forwarded-For") and not current_app.config["PROXY_HOPS"]:
        _warn_once("X-Forwarded-For arrives but PROXY_HOPS=0: every visitor counts as the proxy. Set PROXY_HOPS.")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return "ip:" + addr[:45]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return f"ip:{ip.ipv4_mapped}"
        return "net:" + str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return f"ip:{ip}"


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        current_app.logger.warning(message)


def citizen_required(view):
    """Someone to act for (applicant()): a citizen signed in, or a resident under an agent's consent."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if applicant() is None:
            return redirect(url_for(_signin_endpoint(), next=_here()))
        return view(*args, **kwargs)
    return wrapped


def verified_required(view):
    """A signed-in citizen who has done 实名认证; others are sent to sign in or to verify."""
    @citizen_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not applicant().is_verified:
            verify = SIGNIN.get(request.blueprint or "", ("", None))[1] or "pwa.verify"
            return redirect(url_for(verify, next=request.full_path), code=303)
        return view(*args, **kwargs)
    return wrapped


SESSION_TOKEN = "sid"  # the session's key: the server-side session of staff and agents


def server_session_holds(kind: str, account) -> bool:
    """For the user loader: the browser's token names a live session of this account (not ended
    by 退出, a password change, a disabled account, 全部退出, or 30 idle minutes). Why not is
    kept for the page that sends them to sign in again."""
    why = sessions.check(session.get(SESSION_TOKEN), kind, account.id)
    if why is None and account.active:
        return True
    g.session_ended = why or "disabled"
    session.pop(SESSION_TOKEN, None)
    return False


def signin_again_url(login: str) -> str:
    """The sign-in page, saying so when the session ended by itself after 30 idle minutes."""
    idle = g.get("session_ended") in ("idle", "expired")
    return url_for(login, next=_here(), **({"timeout": 1} if idle else {}))


# area -> (its own password page, the endpoints open while a password must be changed first)
PASSWORD_FIRST = {"staff": ("office.security", {"office.security", "office.change_password", "office.logout",
                                                "office.sign_out_all_mine"}),
                  "agent": ("agent.password", {"agent.password", "agent.logout"})}


def password_change_due(kind: str):
    """The way to the password page while the signed-in account's password is one someone else
    chose (a new account, an administrator's reset); None otherwise."""
    page, open_pages = PASSWORD_FIRST[kind]
    if current_user.must_change_password and request.endpoint not in open_pages:
        return redirect(url_for(page))
    return None


def staff_required(*roles: str):
    """Staff only (optionally of given roles), in a live server-side session, with a password
    of their own."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if account_kind() != "staff":
                return redirect(signin_again_url(_signin_endpoint("office.login")))
            if (due := password_change_due("staff")) is not None:
                return due
            if roles and current_user.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)
        return wrapped
    return decorator


def refused(response) -> bool:
    """Sign-in pages' flood limits count refusals only (Flask-Limiter's deduct_when): a township
    hall signs its staff in every morning from one address, and a right sign-in is no flood."""
    return response.status_code >= 400


SIGNIN_FLOOD = {"methods": ["POST"], "deduct_when": refused, "error_message": "登录尝试太频繁，请 10 分钟后再试"}

PENDING = "pending_sign_in"  # the session's key: a password proved, the second step to come
PENDING_FOR = 300  # seconds to type the code
DEVICE_COOKIE = "zy_device"
DEVICE_MARKS = 8  # names one shared office computer remembers


def password_login(authenticate, kind: str, area: str, home: str, template: str, second_step: str | None = None):
    """The sign-in page of accounts with a password (staff at /office, agents at /agent): the
    form, then a second step when the area has one (两步验证, web.two_step), else a fresh session
    for whoever signed in, and back to where they were going in their area."""
    form = Parsed(values={"username": "", "password": ""})
    if request.method == "POST":
        form = parse(StaffLoginInput, request.form)
        form.values["password"] = ""  # never sent back
        if form.ok:
            try:
                user = authenticate(form.data.username, form.data.password, requester(),
                                    _device_mark(kind, form.data.username), request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, "password")
            else:
                target = request.args.get("next", "")
                target = safe_next(target) if target.startswith(area + "/") else url_for(home)
                if second_step is None:
                    return finish_sign_in(user, kind, target)
                session.clear()  # nothing of a previous user survives; nobody is signed in yet
                session[PENDING] = {"kind": kind, "id": user.id, "at": utcnow().timestamp(), "next": target}
                return redirect(url_for(second_step), code=303)
    return render_template(template, form=form, timeout=request.args.get("timeout")), 422 if form.errors else 200


def change_own_password(kind: str):
    """The signed-in account's own 修改密码 form, posted (staff and agents alike): None once
    changed — every other session of the account ended — else the form, refused beside its field.
    What was typed is never sent back."""
    form = parse(PasswordChangeInput, request.form)
    form.values.update(current="", password="")
    if form.ok:
        try:
            passwords.change_password(current_user, kind, form.data.current, form.data.password,
                                      session.get(SESSION_TOKEN), request.remote_addr or "")
        except DomainError as exc:
            form.refuse(exc, "password")
        else:
            return None
    return form


def pending_sign_in(kind: str) -> tuple[int, str] | None:
    """(account id, where to go) of a sign-in of this kind of account waiting for its second
    step, if still fresh: an agent's password proved opens no staff member's second step."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("kind") != kind:
        return None
    if utcnow().timestamp() - pending.get("at", 0) > PENDING_FOR:
        session.pop(PENDING, None)
        return None
    return pending["id"], pending["next"]


def finish_sign_in(user, kind: str, target: str, response=None):
    """A fresh session for a proven account: the server-side session, its token in the cookie,
    this browser remembered for the name (its tries are then counted on their own)."""
    session.clear()
    login_user(user)
    session[SESSION_TOKEN] = sessions.start(user, kind, request.remote_addr or "", request.user_agent.string)
    response = response or redirect(target, code=303)
    _remember_device(response, kind, user.username)
    return response


def sign_out() -> None:
    sessions.end(session.get(SESSION_TOKEN))
    logout_user()
    session.clear()


def _marks() -> dict:
    raw = request.cookies.get(DEVICE_COOKIE, "")
    try:
        marks = URLSafeSerializer(current_app.secret_key, salt="device-marks").loads(raw) if raw else {}
    except BadSignature:
        return {}
    return marks if isinstance(marks, dict) else {}


def _device_mark(kind: str, username) -> str | None:
    mark = _marks().get(f"{kind}:{str(username).strip().lower()[:40]}")
    return mark if isinstance(mark, str) else None


def _remember_device(response, kind: str, username: str) -> None:
    marks = _marks()
    key = f"{kind}:{username}"
    marks[key] = marks.pop(key, None) or secrets.token_hex(8)
    marks = dict(list(marks.items())[-DEVICE_MARKS:])
    response.set_cookie(DEVICE_COOKIE, URLSafeSerializer(current_app.secret_key, salt="device-marks").dumps(marks),
                        max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
