"""Routes of the users domain."""
ROUTES: list = []
