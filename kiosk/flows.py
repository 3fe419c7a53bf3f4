"""The flows the kiosk shares with the phone: the same views over the same services, rendered
in the kiosk's layout (web.frontends) and linking within the kiosk. What differs at a kiosk —
the home screen, identifying, the form one question a screen, materials by camera, the
printed receipt, a scanned code's page,
leaving — is in the other modules of this package."""
from pwa import apply, booking, pay, query, routes, track

from . import bp

SHARED = [
    ("/items/<code>", routes.guide, ["GET"]),
    ("/s/<section>", routes.section, ["GET"]),
    ("/places", routes.places, ["GET"]),
    ("/items/<code>/feedback", routes.feedback, ["GET", "POST"]),
    ("/items/<code>/feedback/thanks", routes.feedback_thanks, ["GET"]),
    ("/apply/<code>/materials", apply.apply_materials, ["GET", "POST"]),
    ("/apply/<code>/materials/remove/<key>", apply.apply_remove_file, ["POST"]),
    ("/apply/<code>/check", apply.apply_check, ["GET"]),
    ("/apply/<code>/submit", apply.apply_submit, ["POST"]),
    ("/my", track.my_cases, ["GET"]),
    ("/my/<number>", track.my_case, ["GET", "POST"]),
    ("/my/<number>/resubmit", track.my_case_resubmit, ["POST"]),
    ("/files/<key>", track.material_file, ["GET"]),
    ("/track", track.track_lookup, ["GET", "POST"]),
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
    bp.add_url_rule(rule, view.__name__, view, methods=methods)
