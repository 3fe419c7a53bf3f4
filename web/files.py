"""Sending a stored file (a material, a result, a consent's evidence) to whoever may see it: the
caller has checked that, and logged the read where it must be."""
from flask import make_response

from services.cases.materials import check_kept
from services.registry import registry


def send_upload(upload):
    """The file as stored, shown in the browser, never kept by it; one deleted at the end of its
    retention period is a page saying so (whatever path led here), not a missing file's 500."""
    response = make_response(registry().storage.get(check_kept(upload).key))
    response.mimetype = upload.content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "no-store"
    return response
