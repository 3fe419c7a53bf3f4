"""The flows the kiosk shares with the phone: the same views over the same services, rendered
in the kiosk's layout (web.frontends) and linking within the kiosk. What differs at a kiosk —
the home screen, identifying, the form one question a screen, materials by camera, the
printed receipt, a scanned code's page,
leaving — is in the other modules of this package."""
from pwa import public, routes, track
from pwa.flows import mount

from . import bp

mount(bp, [
    ("/items/<code>", routes.guide, ["GET"]),
    ("/s/<section>", routes.section, ["GET"]),
    ("/places", routes.places, ["GET"]),
    ("/items/<code>/feedback", routes.feedback, ["GET", "POST"]),
    ("/items/<code>/feedback/thanks", routes.feedback_thanks, ["GET"]),
    ("/track", track.track_lookup, ["GET", "POST"]),
    ("/public-cases", public.public_cases, ["GET"]),
    ("/powers", public.powers, ["GET"]),
    ("/powers/<code>", public.power, ["GET"]),
])
