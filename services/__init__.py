"""The domain. Plain functions and small classes; no request objects in here."""
