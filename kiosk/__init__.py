"""The township hall's touch kiosk (自助终端): the same flows as the phone, by touch, in the
elder look, for one person at a time. Only a registered kiosk's browser gets in; every page is
no-store; a person is identified for one visit (services.kiosks.KioskVisit), which ends on 退出,
on printing the receipt, or after a minute of nobody touching the screen."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

from . import apply, device, flows, identify, materials, routes  # noqa: E402,F401  (routes attach to bp)
