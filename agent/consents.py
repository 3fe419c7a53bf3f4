"""A resident's consent (委托): recording the resident, the SMS code read back, or — with no
phone — the drawn signature, the photo of the signed 授权委托书 and a second person's confirmation."""
from flask import redirect, render_template, request, session, url_for

from services.errors import DomainError, NotFound
from services.people import consent
from services.people.agents import get_agent
from services.people.identity import get_person
from services.places import get_village
from services.registry import registry
from web.access import current_actor, requester
from web.files import send_upload
from web.forms import (
    CodeInput,
    ConfirmInput,
    EvidenceInput,
    ResidentInput,
    uploaded_files,
)
from web.inputs import Parsed, parse

from . import bp
from .guard import log_read

DEMO_CODES = "consent_demo_codes"
EVIDENCE = {"signature": consent.SIGNATURE, "letter": consent.LETTER}


def agent_items() -> list:
    """What a consent may name: every item an agent may do for a resident."""
    return [i for i in registry().catalog.items if i.by_agent]


def _remember_demo_code(consent_id: int, code: str | None) -> None:
    if code and registry().sms.is_sandbox:  # the demo has no real SMS: the page shows the code
        session[DEMO_CODES] = {**session.get(DEMO_CODES, {}), str(consent_id): code}


@bp.route("/residents/new", methods=["GET", "POST"])
def resident_new():
    form = Parsed(values={"name": "", "id_number": "", "phone": "", "item": request.args.get("item", ""),
                          "months": "3"})
    if request.method == "POST":
        form = parse(ResidentInput, request.form)
        if form.ok:
            data = form.data
            try:
                mandate, code = consent.start(current_actor(), data.name, data.id_number, data.phone, data.item,
                                              data.months, requester())
            except DomainError as exc:
                form.refuse(exc, "name")
            else:
                _remember_demo_code(mandate.id, code)
                return redirect(url_for("agent.consent_page", consent_id=mandate.id), code=303)
    return render_template("agent/resident_new.html", form=form,
                           item_choices=[("", "全部可代办的事项")] + [(i.code, i.name) for i in agent_items()],
                           month_choices=[(str(m), f"{m} 个月") for m in consent.MONTHS]), form.status


def _page(mandate, form=None, status: int = 200):
    """The consent's page; the resident's (masked) details only while it is being given or in force."""
    shown = mandate.being_given or mandate.in_force
    if shown:
        log_read(mandate)
    return render_template("agent/consent.html", mandate=mandate, person=get_person(mandate.person_id) if shown else None,
                           form=form or Parsed(values={"code": ""}), village=get_village(mandate.village_id),
                           demo_code=session.get(DEMO_CODES, {}).get(str(mandate.id))), status


@bp.get("/consents/<int:consent_id>")
def consent_page(consent_id: int):
    return _page(consent.mine(current_actor(), consent_id))


@bp.post("/consents/<int:consent_id>/code")
def consent_code(consent_id: int):
    form = parse(CodeInput, request.form)
    if form.ok:
        try:
            mandate = consent.confirm_code(current_actor(), consent_id, form.data.code, requester())
        except DomainError as exc:
            form.refuse(exc, "code")
        else:
            session.get(DEMO_CODES, {}).pop(str(consent_id), None)
            return redirect(url_for("agent.resident", mandate_id=mandate.id), code=303)
    return _page(consent.mine(current_actor(), consent_id), form, form.status)


@bp.post("/consents/<int:consent_id>/resend")
def consent_resend(consent_id: int):
    form = Parsed(values={"code": ""})
    try:
        _remember_demo_code(consent_id, consent.send_code(current_actor(), consent_id, requester()))
    except DomainError as exc:
        form.refuse(exc, "code")
        return _page(consent.mine(current_actor(), consent_id), form, form.status)
    return redirect(url_for("agent.consent_page", consent_id=consent_id), code=303)


@bp.post("/consents/<int:consent_id>/evidence")
def consent_evidence(consent_id: int):
    form = parse(EvidenceInput, request.form)
    try:
        if not form.ok:
            raise DomainError(form.errors.get("kind", "请选择要上传的内容"), field="files")
        consent.add_evidence(current_actor(), consent_id, EVIDENCE[form.data.kind], uploaded_files(request))
    except DomainError as exc:
        form.refuse(exc, "files")
        return _page(consent.mine(current_actor(), consent_id), form, form.status)
    return redirect(url_for("agent.consent_page", consent_id=consent_id) + "#evidence", code=303)


@bp.post("/consents/<int:consent_id>/submit")
def consent_submit(consent_id: int):
    form = Parsed(values={})
    try:
        consent.ask_confirmation(current_actor(), consent_id)
    except DomainError as exc:
        form.refuse(exc, "files")
        return _page(consent.mine(current_actor(), consent_id), form, form.status)
    return redirect(url_for("agent.consent_page", consent_id=consent_id), code=303)


@bp.post("/consents/<int:consent_id>/cancel")
def consent_cancel(consent_id: int):
    """Drop a consent not yet in force: asked wrongly, or the resident changed their mind."""
    consent.withdraw(current_actor(), consent_id, request.remote_addr or "")
    return redirect(url_for("agent.home"), code=303)


@bp.get("/consents/<int:consent_id>/letter")
def consent_letter(consent_id: int):
    """The 授权委托书 to print, with the resident's and the agent's details filled in: only for a
    paper consent being given, and the read is logged (the full ID number is on it)."""
    mandate = consent.being_given(current_actor(), consent_id)
    if mandate.method != "paper":
        raise NotFound("这份委托用短信确认，不需要纸质授权委托书")
    log_read(mandate)
    return render_template("agent/letter.html", mandate=mandate, person=get_person(mandate.person_id),
                           village=get_village(mandate.village_id))




@bp.get("/consents/<int:consent_id>/files/<key>")
def consent_file(consent_id: int, key: str):
    actor = current_actor()
    return send_upload(consent.evidence_file(actor, consent.being_given(actor, consent_id), key))


@bp.route("/confirm/<int:consent_id>", methods=["GET", "POST"])
def confirm(consent_id: int):
    """The second person of the village looks at a paper consent's evidence and confirms it."""
    actor = current_actor()
    form = Parsed(values={"decision": "", "reason": ""})
    if request.method == "POST":
        form = parse(ConfirmInput, request.form)
        if form.ok:
            try:
                consent.decide_confirmation(actor, consent_id, form.data.decision == "agree", form.data.reason,
                                            request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, "reason")
            else:
                return redirect(url_for("agent.home"), code=303)
    mandate = consent.for_confirmation(actor, consent_id, request.remote_addr or "")
    return render_template("agent/confirm.html", mandate=mandate, person=get_person(mandate.person_id),
                           form=form, agent=get_agent(mandate.agent_id)), form.status


@bp.get("/confirm/<int:consent_id>/files/<key>")
def confirm_file(consent_id: int, key: str):
    actor = current_actor()
    return send_upload(consent.evidence_file(actor, consent.for_confirmation(actor, consent_id), key))
