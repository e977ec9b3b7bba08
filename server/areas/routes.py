"""Routes of the areas domain."""
ROUTES: list = []
