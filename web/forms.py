"""Form helpers shared by the front ends."""


def attach_error(form, exc, default: str) -> None:
    """Show a domain error next to the field it names (or next to `default`)."""
    form[exc.field if exc.field in form else default].errors.append(exc.message)


def uploaded_files(request, name: str = "files") -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file chosen in one file input; empty choices dropped."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(name) if f and f.filename]
