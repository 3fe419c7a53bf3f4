"""Staff security as an attacker would try it: two-step sign-in with single-use codes, a
slowdown nobody can turn against a colleague, and server-side sessions that end everywhere."""
import hashlib
import html
import json
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from commands import DATA, DEMO_TOTP, seed_demo_staff
from extensions import db
from services.attempts import Attempt
from services.audit import AuditEntry
from services.people.sessions import AccountSession
from services.people.staff import StaffUser
from tests.conftest import enrol_on_page, form_post, second_step_code, staff_sign_in

ADMIN, WINDOW = ("admin", "Admin-demo-2026"), ("chengguan", "Window-demo-2026")
FREE_NAME = 5  # tries of a name before any wait (services.people.throttle.FREE)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))

def handing(client, page_url: str, data: dict, post_url: str | None = None):
    """An administrator's action that hands something over: its page, after the redirect."""
    return form_post(client, page_url, data, post_url=post_url, follow_redirects=True)


@pytest.fixture
def staff(app):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")


def signed_in(app, username, password):
    client = app.test_client()
    assert staff_sign_in(app, client, username, password).status_code == 303
    return client


def password_step(client, username, password):
    return form_post(client, "/office/login", {"username": username, "password": password})


def account(app, username) -> StaffUser:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        db.session.expunge(user)
        return user


def earlier(app, model, column: str, by: timedelta) -> None:
    """Move the clock: every row's time `by` earlier (in Python: SQLite does no date arithmetic)."""
    with app.app_context():
        for row in db.session.scalars(select(model)):
            setattr(row, column, getattr(row, column) - by)
        db.session.commit()


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def handed_over(response, what: str = "enrolment-code") -> str:
    """The code or temporary password on the page an administrator hands over."""
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    return re.search(rf'data-{what}>([^<]+)<', text(response)).group(1)


def test_a_new_member_enrols_with_the_handed_over_code_then_sets_their_own_password(app, staff):
    admin = signed_in(app, *ADMIN)
    made = form_post(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                  "township_id": "", "department": "", "password": "Maple-river-2026"})
    assert made.status_code == 422  # a window needs its township: pick one
    with app.app_context():
        from services.places import township_id_by_name
        xinji = str(township_id_by_name("新集乡"))
    made = handing(admin, "/office/accounts", {"username": "xinji", "name": "新集窗口", "role": "window",
                                                  "township_id": xinji, "department": "", "password": "Maple-river-2026"})
    enrolment_code = handed_over(made)  # shown once, to hand over in person
    assert re.fullmatch(r"\d{4} \d{4}", enrolment_code) and "当面" in text(made)
    assert enrolment_code.replace(" ", "") not in account(app, "xinji").enrolment_code_hash  # kept hashed only

    member = app.test_client()
    assert password_step(member, "xinji", "Maple-river-2026").headers["Location"].endswith("/office/login/second")
    assert member.get("/office/").status_code == 302  # the password alone signs nobody in
    page = text(member.get("/office/login/second"))
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")
    assert "<svg" in page and "开通两步验证" in page and "开通码" in page
    assert secret in text(member.get("/office/login/second")).replace(" ", "")  # reloading shows the same one
    assert account(app, "xinji").totp_secret is None  # kept by this browser only, until confirmed
    # Someone else past the password step meanwhile gets a secret of their own, never this one
    other = app.test_client()
    password_step(other, "xinji", "Maple-river-2026")
    assert secret not in text(other.get("/office/login/second")).replace(" ", "")
    # ...and knowing the first password, without the code handed over, enrols nothing
    stranger = form_post(other, "/office/login/second", {"enrolment_code": "1234 5678", "code": pyotp.TOTP(
        re.search(r"data-secret>([A-Z2-7 ]+)<", text(other.get("/office/login/second"))).group(1).replace(" ", "")).now()})
    assert stranger.status_code == 422 and "开通码不对" in text(stranger)
    assert account(app, "xinji").two_factor_since is None
    wrong = form_post(member, "/office/login/second", {"enrolment_code": enrolment_code, "code": "000000"})
    assert wrong.status_code == 422 and "验证码不对" in text(wrong)
    assert f'value="{enrolment_code}"' in text(wrong)  # what was typed stays, for the next try
    done = form_post(member, "/office/login/second", {"enrolment_code": enrolment_code.replace(" ", "-"),
                                                      "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r'<span class="code">([0-9a-f]{8}-[0-9a-f]{8})</span>', text(done))
    assert done.status_code == 200 and len(set(codes)) == 10 and "只显示这一次" in text(done)
    assert account(app, "xinji").totp_secret == secret and account(app, "xinji").enrolment_code_hash is None
    assert "no-store" in done.headers["Cache-Control"]
    assert {"two_factor_enrolled", "login", "two_factor_failed"} <= set(actions(app))

    # The administrator chose the password: nothing but changing it until it is changed
    for path in ("/office/", "/office/people", "/office/supervision"):
        assert member.get(path).headers["Location"].endswith("/office/security")
    assert "data-password-first" in text(member.get("/office/security"))
    changed = form_post(member, "/office/security", {"current": "Maple-river-2026", "password": "Harbour-lantern-9"},
                        post_url="/office/security/password")
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/office/")
    assert member.get("/office/").status_code == 200 and not account(app, "xinji").must_change_password

    # The next sign-in asks for the code; one of the paper codes stands in for it, once
    again = app.test_client()
    password_step(again, "xinji", "Harbour-lantern-9")
    assert "两步验证" in text(again.get("/office/login/second"))
    assert form_post(again, "/office/login/second", {"code": codes[0].upper()}).status_code == 303
    reused = app.test_client()
    password_step(reused, "xinji", "Harbour-lantern-9")
    refused = form_post(reused, "/office/login/second", {"code": codes[0]})
    assert refused.status_code == 422 and "已经用过" in text(refused)
    assert "recovery_code_used" in actions(app)


def test_an_enrolment_code_works_once_within_seven_days_and_only_the_latest(app, staff):
    from services.people.staff import StaffUser as Model

    admin = signed_in(app, *ADMIN)
    user_id = account(app, "chengguan").id
    first = handed_over(handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-two-factor"))
    latest = handed_over(handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-two-factor"))

    def enrol(code: str):
        client = app.test_client()
        password_step(client, *WINDOW)
        return enrol_on_page(client, "/office/login/second", code)[0]

    assert "开通码不对" in text(enrol(first))  # a new reset makes the earlier code worthless
    with app.app_context():  # seven days and a second later
        user = db.session.get(Model, user_id)
        user.enrolment_code_until -= timedelta(days=7, seconds=1)
        db.session.commit()
    stale = app.test_client()
    password_step(stale, *WINDOW)
    closed = stale.get("/office/login/second")  # said before any QR code to scan
    assert closed.status_code == 403 and "需要开通码" in text(closed) and "data-secret" not in text(closed)
    refused = form_post(stale, "/office/login", {"enrolment_code": latest, "code": "123456"},
                        post_url="/office/login/second")
    assert refused.status_code == 403 and "已超过 7 天" in text(refused)  # nothing to enrol with
    latest = handed_over(handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-two-factor"))
    assert enrol(latest).status_code == 200 and account(app, "chengguan").two_factor_since is not None
    with app.app_context():  # used up: after a reset of the app alone, the same code opens nothing
        two_factor_reset = db.session.get(Model, user_id)
        two_factor_reset.two_factor_since = None
        db.session.commit()
    again = app.test_client()
    password_step(again, *WINDOW)
    assert again.get("/office/login/second").status_code == 403


def test_a_password_reset_before_enrolling_brings_a_fresh_enrolment_code(app, staff):
    admin = signed_in(app, *ADMIN)
    user_id = account(app, "chengguan").id
    handed_over(handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-two-factor"))
    both = handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-password")
    temporary, code = handed_over(both, "temporary-password"), handed_over(both, "enrolment-code")
    client = app.test_client()
    password_step(client, "chengguan", temporary)
    assert enrol_on_page(client, "/office/login/second", code)[0].status_code == 200  # enrolled, recovery codes shown
    assert client.get("/office/").headers["Location"].endswith("/office/security")  # then their own password


def test_an_administrator_resets_a_forgotten_password(app, staff):
    admin, member = signed_in(app, *ADMIN), signed_in(app, *WINDOW)
    user_id = account(app, "chengguan").id
    temporary = handed_over(handing(admin, "/office/accounts", {},
                                      post_url=f"/office/accounts/{user_id}/reset-password"), "temporary-password")
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    assert member.get("/office/").status_code == 302  # signed out everywhere at once
    assert password_step(app.test_client(), *WINDOW).status_code == 422  # the old password is gone
    client = app.test_client()
    assert staff_sign_in(app, client, "chengguan", temporary).status_code == 303  # two-step sign-in as before
    assert client.get("/office/").headers["Location"].endswith("/office/security")
    same = form_post(client, "/office/security", {"current": temporary, "password": temporary},
                     post_url="/office/security/password")
    assert same.status_code == 422 and client.get("/office/").status_code == 302
    assert form_post(client, "/office/security", {"current": temporary, "password": "Window-demo-2027x"},
                     post_url="/office/security/password").status_code == 303
    assert client.get("/office/").status_code == 200
    assert "reset_password" in actions(app)
    # Only an administrator resets, and never their own
    town_admin = signed_in(app, "cgadmin", "Township-demo-2026")
    assert form_post(town_admin, "/office/", {}, post_url=f"/office/accounts/{user_id}/reset-password"
                     ).status_code == 403
    own = form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{account(app, 'admin').id}/reset-password")
    assert own.status_code == 400


def test_a_code_is_good_once(app, staff):
    with app.app_context():
        db.session.execute(update(StaffUser).values(totp_last_step=None))
        db.session.commit()
    code = pyotp.TOTP(DEMO_TOTP).now()
    first, second = app.test_client(), app.test_client()
    password_step(first, *WINDOW)
    password_step(second, *WINDOW)
    assert form_post(first, "/office/login/second", {"code": code}).status_code == 303
    replay = form_post(second, "/office/login/second", {"code": code})  # seen over a shoulder
    assert replay.status_code == 422 and second.get("/office/").status_code == 302


def test_the_second_step_waits_only_five_minutes(app, staff):
    client = app.test_client()
    password_step(client, *WINDOW)
    with client.session_transaction() as session:
        session["pending_sign_in"] = {**session["pending_sign_in"], "at": session["pending_sign_in"]["at"] - 301}
    assert client.get("/office/login/second").headers["Location"].endswith("/office/login")


def test_wrong_passwords_slow_down_the_name_alike_whether_it_exists_or_not(app, staff):
    def five_wrong_then_right(username, password):
        client = app.test_client()
        answers = [text(password_step(client, username, "Wrong-guess-2026")) for _ in range(5)]
        answers.append(text(password_step(client, username, password)))
        return [re.search(r'class="error"[^>]*>([^<]+)<', a).group(1) for a in answers]

    real = five_wrong_then_right("chengguan", WINDOW[1])
    unknown = five_wrong_then_right("nobody.here", "Whatever-it-2026")
    assert real[:5] == ["用户名或密码不对"] * 5 and "请 30 秒后再试" in real[5]
    assert real == unknown  # the answers tell nothing about which names exist
    earlier(app, Attempt, "at", timedelta(seconds=31))  # half a minute later the name may try again
    assert password_step(app.test_client(), *WINDOW).status_code == 303


def test_a_stranger_cannot_lock_the_owner_out_of_their_own_browser(app, staff):
    owner = signed_in(app, *WINDOW)  # this browser now carries its mark for chengguan
    form_post(owner, "/office/", {}, post_url="/office/logout")
    attacker = app.test_client()
    for _ in range(12):
        password_step(attacker, "chengguan", "Wrong-guess-2026")
    assert "后再试" in text(password_step(app.test_client(), *WINDOW))  # a fresh browser is slowed
    assert staff_sign_in(app, owner, *WINDOW).status_code == 303  # the owner's own is not


def test_the_administrator_sees_and_clears_slowed_names(app, staff):
    for _ in range(6):
        password_step(app.test_client(), "chengguan", "Wrong-guess-2026")
    admin = signed_in(app, *ADMIN)
    page = text(admin.get("/office/throttles"))
    assert "用户名：chengguan" in page and "来源地址：ip:127.0.0.1" in page
    key = re.search(r'data-throttle="(slow:staff:name:chengguan)"', page).group(1)
    assert form_post(admin, "/office/throttles", {"key": key}, post_url="/office/throttles/clear").status_code == 303
    assert "用户名：chengguan" not in text(admin.get("/office/throttles"))
    assert "clear_throttle" in actions(app)
    assert password_step(app.test_client(), *WINDOW).status_code == 303
    window = signed_in(app, *WINDOW)
    assert window.get("/office/throttles").status_code == 403


def test_a_cookie_copied_before_signing_out_is_worth_nothing_after(app, staff):
    member = signed_in(app, *WINDOW)
    thief = app.test_client()
    thief.set_cookie("session", member.get_cookie("session").value)
    assert thief.get("/office/").status_code == 200
    form_post(member, "/office/", {}, post_url="/office/logout")
    assert thief.get("/office/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AccountSession.ended_why)) == "logout"


def test_changing_the_password_ends_every_other_session(app, staff):
    here, elsewhere = signed_in(app, *WINDOW), signed_in(app, *WINDOW)
    wrong = form_post(here, "/office/security", {"current": "Not-my-password-1", "password": "Maple-river-lantern-9"},
                      post_url="/office/security/password")
    assert wrong.status_code == 422 and "当前密码不对" in text(wrong)
    weak = form_post(here, "/office/security", {"current": WINDOW[1], "password": "1234567890ab"},
                     post_url="/office/security/password")
    assert weak.status_code == 422 and "太常见或太好猜" in text(weak)
    done = form_post(here, "/office/security", {"current": WINDOW[1], "password": "Maple-river-lantern-9"},
                     post_url="/office/security/password")
    assert done.status_code == 200 and "其他电脑和手机上的登录已全部退出" in text(done)
    assert here.get("/office/").status_code == 200 and elsewhere.get("/office/").status_code == 302
    assert staff_sign_in(app, app.test_client(), "chengguan", "Maple-river-lantern-9").status_code == 303


def test_disabling_an_account_or_signing_it_out_everywhere_ends_its_sessions_at_once(app, staff):
    admin, member = signed_in(app, *ADMIN), signed_in(app, *WINDOW)
    user_id = account(app, "chengguan").id
    accounts = text(admin.get("/office/accounts"))
    assert 'data-account="chengguan"' in accounts and "已开通" in accounts

    form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/sign-out")
    assert member.get("/office/").status_code == 302
    member = signed_in(app, *WINDOW)
    form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/disable")
    assert member.get("/office/").status_code == 302
    refused = password_step(app.test_client(), *WINDOW)
    assert refused.status_code == 422 and "用户名或密码不对" in text(refused)
    form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/enable")
    assert signed_in(app, *WINDOW).get("/office/").status_code == 200
    own = form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{account(app, 'admin').id}/disable")
    assert own.status_code == 400 and "另一位管理员" in text(own)
    assert {"sign_out_everywhere", "disable_staff", "enable_staff"} <= set(actions(app))


def test_the_administrator_resets_a_lost_authenticator(app, staff):
    admin, member = signed_in(app, *ADMIN), signed_in(app, *WINDOW)
    user_id = account(app, "chengguan").id
    assert handed_over(handing(admin, "/office/accounts", {},
                                 post_url=f"/office/accounts/{user_id}/reset-two-factor"))
    assert member.get("/office/").status_code == 302
    client = app.test_client()
    password_step(client, *WINDOW)
    assert "开通两步验证" in text(client.get("/office/login/second"))
    assert account(app, "chengguan").two_factor_since is None
    assert "reset_two_factor" in actions(app)


def test_thirty_idle_minutes_end_a_session(app, staff):
    member = signed_in(app, *WINDOW)
    earlier(app, AccountSession, "seen_at", timedelta(minutes=31))
    response = member.get("/office/")
    assert response.status_code == 302 and "timeout=1" in response.headers["Location"]
    assert member.get("/office/").status_code == 302  # ended, not merely idle: no way back


def test_the_security_page_lists_sessions_and_renews_recovery_codes(app, staff):
    member = signed_in(app, *WINDOW)
    signed_in(app, *WINDOW)
    page = text(member.get("/office/security"))
    assert page.count("<tr><td>") == 2 and "（本机）" in page
    unproven = form_post(member, "/office/security", {"code": "000000"}, post_url="/office/security/recovery-codes")
    assert unproven.status_code == 422 and "验证码不对" in text(unproven)  # an unlocked computer is not enough
    renewed = form_post(member, "/office/security", {"code": second_step_code(app, "chengguan")},
                        post_url="/office/security/recovery-codes")
    assert len(re.findall(r'<span class="code">[0-9a-f]{8}-[0-9a-f]{8}</span>', text(renewed))) == 10
    assert "还剩 <b>10</b>" in member.get("/office/security").get_data(as_text=True)


def test_an_agents_session_ends_everywhere_too(app, agents):
    """Village agents sign in with a password as staff do: the same server-side sessions."""
    agent = agents.signed_in("daiban1")
    copied = app.test_client()
    copied.set_cookie("session", agent.get_cookie("session").value)
    assert copied.get("/agent/").status_code == 200
    form_post(agent, "/agent/", {}, post_url="/agent/logout")
    assert copied.get("/agent/").status_code == 302


def test_the_current_password_is_guessed_no_faster_than_at_sign_in(app, staff):
    member = signed_in(app, *WINDOW)
    answers = [text(form_post(member, "/office/security", {"current": f"Guess-number-{n}", "password": "Maple-river-9x"},
                              post_url="/office/security/password")) for n in range(6)]
    assert all("当前密码不对" in a for a in answers[:5]) and "后再试" in answers[5]
    assert actions(app).count("login_failed") == 5


def test_guesses_sent_all_at_once_each_see_the_ones_before(app, staff):
    """Five free tries, then a wait — also for twelve sent in the same instant (many workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from services.people.passwords import authenticate
    from services.people.staff import StaffUser as Model

    def guess(n):
        with app.app_context():
            try:
                authenticate(Model, "staff", "admin", "Wrong-guess-2026", f"net:2001:db8:{n}::/64")
            except Exception as exc:  # noqa: BLE001  (the refusal is the answer)
                return str(exc)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(guess, range(12)))
    assert answers.count("用户名或密码不对") == 5 and sum("后再试" in a for a in answers) == 7


def test_right_passwords_are_never_counted_as_wrong_ones(app, staff):
    """A right password's count is given back at once, though the sign-in ends a request later
    (the second step): a member signing in all morning from new browsers is never slowed."""
    for _ in range(FREE_NAME + 3):
        assert password_step(app.test_client(), *WINDOW).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Attempt.key)).all() == []


def test_the_sign_in_flood_limit_counts_refusals_only(app, staff):
    """A township hall signs its staff in every morning from one address: 25 right password steps
    pass; 20 refusals from that address then stop the 21st try (429), right or wrong."""
    hall = app.test_client()
    assert all(password_step(hall, *WINDOW).status_code == 303 for _ in range(25))
    answers = [password_step(hall, f"guess{n}", "Wrong-guess-2026").status_code for n in range(21)]
    assert answers[:20] == [422] * 20 and answers[20] == 429
    assert password_step(hall, *WINDOW).status_code == 429


def test_no_administrator_resets_another_administrators_two_step_sign_in_in_the_console(app, staff):
    """Else one administrator, resetting both the password and the second step of another, could
    sign in as them. Whoever holds the server does it (`flask reset-two-factor`), audit-logged."""
    from services.people import two_factor
    from services.people.staff import create_account

    with app.app_context():
        second = create_account("fuadmin", "Granite-harbour-71", "赵建军", "admin")
        two_factor.demo_enrol(second, DEMO_TOTP)
        db.session.commit()
        second_id = second.id
    admin = signed_in(app, *ADMIN)
    row = re.search(r'<tr data-account="fuadmin">.*?</tr>', text(admin.get("/office/accounts")), re.S).group(0)
    assert "reset-password" in row and "reset-two-factor" not in row and "服务器管理人员" in row
    refused = form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{second_id}/reset-two-factor")
    assert refused.status_code == 403 and "flask reset-two-factor" in text(refused)
    assert account(app, "fuadmin").two_factor_since is not None and "reset_two_factor" not in actions(app)

    # The county's only other administrator lost both phone and password: the server's command
    result = app.test_cli_runner().invoke(args=["reset-two-factor", "FuAdmin", "--new-password"])  # as typed
    assert result.exit_code == 0, result.output
    temporary = re.search(r"临时密码：(\S+)（", result.output).group(1)
    code = re.search(r"开通码：(\d{4} \d{4})", result.output).group(1)
    client = app.test_client()
    password_step(client, "fuadmin", temporary)
    assert enrol_on_page(client, "/office/login/second", code)[0].status_code == 200
    with app.app_context():
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.actor_kind, AuditEntry.target)
                                     .order_by(AuditEntry.id)).all()
    assert {("reset_password", "system", f"staff:{second_id}"),
            ("reset_two_factor", "system", f"staff:{second_id}")} <= set(entries)
    unknown = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody"])
    assert unknown.exit_code != 0 and "没有这个用户名" in unknown.output


def test_a_password_reset_in_the_console_brings_no_enrolment_code_for_an_administrator(app, staff):
    """Else an administrator not yet enrolled (or just reset at the server) would be handed over,
    password and code together, to whoever reset the password."""
    from services.people.staff import create_account

    with app.app_context():
        second_id = create_account("fuadmin", "Granite-harbour-71", "赵建军", "admin").id
    admin = signed_in(app, *ADMIN)
    row = re.search(r'<tr data-account="fuadmin">.*?</tr>', text(admin.get("/office/accounts")), re.S).group(0)
    assert "需在服务器上重置" in row
    handed = handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{second_id}/reset-password")
    assert handed_over(handed, "temporary-password") and "data-enrolment-code" not in text(handed)
    assert "flask reset-two-factor fuadmin" in text(handed)
    assert account(app, "fuadmin").enrolment_code_hash is None


def test_a_refreshed_handover_page_shows_the_same_code_until_handed_over(app, staff):
    """A refresh is a GET: the same code again, never a new one that voids the one printed. Held
    sealed in the administrator's own session, gone after 已交给本人 (or 30 minutes)."""
    from itsdangerous import URLSafeTimedSerializer

    admin = signed_in(app, *ADMIN)
    user_id = account(app, "chengguan").id
    reset = form_post(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-two-factor")
    assert reset.status_code == 303 and reset.headers["Location"].endswith("/office/handover")
    code = handed_over(admin.get("/office/handover"))
    assert handed_over(admin.get("/office/handover")) == code  # refreshed: the same, still good
    with app.app_context():
        assert db.session.get(StaffUser, user_id).enrolment_code_hash is not None
    cookie = admin.get_cookie("session").value
    held = URLSafeTimedSerializer(app.secret_key, salt="cookie-session", signer_kwargs={  # as Flask signs it
        "key_derivation": "hmac", "digest_method": hashlib.sha1}).loads(cookie)
    assert code.replace(" ", "") not in str(held) and code not in str(held)  # sealed, not in clear
    done = form_post(admin, "/office/handover", {}, post_url="/office/handover/done")
    assert done.status_code == 303 and done.headers["Location"].endswith("/office/accounts")
    gone = admin.get("/office/handover")
    assert gone.status_code == 200 and "没有要交给本人的凭据" in text(gone) and code not in text(gone)
    assert admin.get("/office/handover").status_code == 200  # and stays gone
    # Held no longer than 30 minutes
    handed_over(handing(admin, "/office/accounts", {}, post_url=f"/office/accounts/{user_id}/reset-password"))
    with admin.session_transaction() as session:
        from services.sealing import open_sealed, seal

        with app.app_context():
            held = json.loads(open_sealed(session["handover"], "session.handover"))
            held["at"] -= 1801
            session["handover"] = seal(json.dumps(held), "session.handover")
    assert "没有要交给本人的凭据" in text(admin.get("/office/handover"))
