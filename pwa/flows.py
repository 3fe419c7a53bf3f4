"""The phone's flow views that other front ends mount too (the kiosk, the village agent): the
same views over the same services, under the front end's prefix and in its layout
(web.frontends). Each front end adds the pages it shares beyond these."""
from . import apply, booking, pay, query, ratings, track

FLOWS = [
    ("/apply/<code>/materials", apply.apply_materials, ["GET", "POST"]),
    ("/apply/<code>/materials/remove/<key>", apply.apply_remove_file, ["POST"]),
    ("/apply/<code>/check", apply.apply_check, ["GET"]),
    ("/apply/<code>/submit", apply.apply_submit, ["POST"]),
    ("/my", track.my_cases, ["GET"]),
    ("/my/<number>", track.my_case, ["GET", "POST"]),
    ("/my/<number>/resubmit", track.my_case_resubmit, ["POST"]),
    ("/my/<number>/rate", ratings.rate_case, ["GET", "POST"]),
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


def mount(bp, also: list, prefix: str = "") -> None:
    """Serve FLOWS, and `also`, on a front end's blueprint, under the same endpoint names."""
    for rule, view, methods in [*also, *FLOWS]:
        bp.add_url_rule(prefix + rule, view.__name__, view, methods=methods)
