"""Routes of the demo domain."""
ROUTES: list = []
