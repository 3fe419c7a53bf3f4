"""The flows an agent does for a resident: the phone's own views over the same services,
under /agent/r/<consent>/, in the agent's layout. web.access.applicant() is the resident and
current_actor() the agent acting under that consent (agent.guard has checked it)."""
from pwa import apply, booking, pay, query, track

from . import bp

SHARED = [
    ("/apply/<code>", apply.apply_form, ["GET", "POST"]),
    ("/apply/<code>/materials", apply.apply_materials, ["GET", "POST"]),
    ("/apply/<code>/materials/remove/<key>", apply.apply_remove_file, ["POST"]),
    ("/apply/<code>/check", apply.apply_check, ["GET"]),
    ("/apply/<code>/submit", apply.apply_submit, ["POST"]),
    ("/cases/<number>/receipt", apply.receipt, ["GET"]),
    ("/my", track.my_cases, ["GET"]),
    ("/my/<number>", track.my_case, ["GET", "POST"]),
    ("/my/<number>/resubmit", track.my_case_resubmit, ["POST"]),
    ("/files/<key>", track.material_file, ["GET"]),
    ("/query/<code>", query.query, ["GET"]),
    ("/pay/<code>", pay.pay, ["GET", "POST"]),
    ("/pay/sandbox/<number>", pay.pay_sandbox, ["GET", "POST"]),
    ("/pay/orders/<number>", pay.pay_order, ["GET", "POST"]),
    ("/book", booking.book_hospitals, ["GET"]),
    ("/book/dept/<int:department_id>", booking.book_sessions, ["GET"]),
    ("/book/session/<int:session_id>", booking.book_session, ["GET", "POST"]),
    ("/bookings", booking.bookings, ["GET"]),
    ("/bookings/<code>", booking.booking, ["GET", "POST"]),
]

for rule, view, methods in SHARED:
    bp.add_url_rule("/r/<int:mandate_id>" + rule, view.__name__, view, methods=methods)
