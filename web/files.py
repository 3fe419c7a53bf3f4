"""Sending a stored file (a material, a result, a consent's evidence) to whoever may see it: the
caller has checked that, and logged the read where it must be."""
from flask import make_response

from services.registry import registry


def send_upload(upload):
    """The file as stored, shown in the browser, never kept by it."""
    response = make_response(registry().storage.get(upload.key))
    response.mimetype = upload.content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "no-store"
    return response
