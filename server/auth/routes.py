"""Routes of the auth domain."""
ROUTES: list = []
