"""Routes of the audit domain."""
ROUTES: list = []
