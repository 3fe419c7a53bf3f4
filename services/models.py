"""Imports every module that defines tables, so migrations and the app see all of them."""
from services import (  # noqa: F401
                      appointments,
                      attempts,
                      audit,
                      department_api,
                      feedback,
                      kiosks,
                      logistics,
                      outbox,
                      payments,
                      places,
                      reconciliation,
                      sms,
                      workdays,
)
from services.cases import drafts, lifecycle, materials, numbers, papers, ratings  # noqa: F401
from services.exchange import keys, webhooks  # noqa: F401
from services.people import (  # noqa: F401
                      agents,
                      consent,
                      identity,
                      organisations,
                      sessions,
                      signin,
                      staff,
                      two_factor,
)
