"""Form helpers shared by the front ends."""


def attach_error(form, exc, default: str) -> None:
    """Show a domain error next to the field it names (or next to `default`)."""
    form[exc.field if exc.field in form else default].errors.append(exc.message)
