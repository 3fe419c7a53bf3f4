"""Two-step sign-in (两步验证) in the browser, one for staff (/office) and village agents (/agent):
the second step of signing in — after the password, enrol an authenticator the first time (with
the administrator's enrolment code), else type its code or a recovery code — and one's own new
recovery codes. The pages extend the layout of the area serving them (web.frontends)."""
from flask import redirect, render_template, request, session, url_for

from services.cases.receipts import qr_svg
from services.errors import DomainError
from services.people import two_factor
from web.access import PENDING, finish_sign_in, pending_sign_in
from web.forms import EnrolInput, SecondStepInput
from web.inputs import Parsed, parse
from web.security import no_store


def second_step_page(kind: str, get_account, login: str):
    """The page for a sign-in of this kind of account whose password was proved; `login` is the
    endpoint of its first step, where anyone else is sent (and an account disabled meanwhile)."""
    pending = pending_sign_in(kind)
    if pending is None:
        return redirect(url_for(login))
    user, target = get_account(pending[0]), pending[1]
    if not user.active:
        session.pop(PENDING, None)
        return redirect(url_for(login))
    enrolled = two_factor.enrolled(user)
    issued_by = two_factor.issued_by(user)[0]
    form = Parsed(values={"code": ""} if enrolled else {"enrolment_code": "", "code": ""})
    if request.method == "POST":
        form = parse(SecondStepInput if enrolled else EnrolInput, request.form)
        if form.ok:
            try:
                if enrolled:
                    two_factor.verify(user, form.data.code, _ip())
                    return finish_sign_in(user, kind, target)
                codes = two_factor.enrol(user, _enrolment_secret(), form.data.enrolment_code, form.data.code, _ip())
            except DomainError as exc:
                form.refuse(exc, "code")
            else:  # signed in; the codes are shown this once, before going on
                page = no_store(render_template("account/recovery_codes.html", codes=codes, target=target))
                return finish_sign_in(user, kind, target, response=page)
    if enrolled:
        return render_template("account/second_step.html", form=form, issued_by=issued_by,
                               issuer=two_factor.ISSUER), form.status
    if not two_factor.enrolment_open(user):  # said before a QR code they would scan for nothing
        return no_store(render_template("account/enrol_closed.html", message=two_factor.no_code(user),
                                        login=login)), 403
    secret = _enrolment_secret()
    return no_store(render_template(
        "account/enrol.html", form=form, secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        qr=qr_svg(two_factor.provisioning_uri(user, secret)), issuer=two_factor.ISSUER, username=user.username,
        issued_by=issued_by), form.status)


def renew_recovery_codes(user) -> tuple[list[str] | None, Parsed]:
    """One's own 重新生成恢复码 form, posted: (the new codes, shown once; the form), or (None, the
    form refused beside its field). A fresh authenticator code first: whoever finds the computer
    unlocked cannot mint codes of their own."""
    form = parse(SecondStepInput, request.form)
    form.values["code"] = ""
    if form.ok:
        try:
            return two_factor.renew_recovery_codes(user, form.data.code, _ip()), form
        except DomainError as exc:
            form.refuse(exc, "code")
    return None, form


def _ip() -> str:
    return request.remote_addr or ""


def _enrolment_secret() -> str:
    """This browser's secret to enrol, kept in its session (never shared with another browser)."""
    pending = session[PENDING]
    if "secret" not in pending:
        session[PENDING] = pending = {**pending, "secret": two_factor.new_secret()}
    return pending["secret"]
