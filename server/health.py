"""GET /healthz: 200 when the database answers, 503 when it does not."""
from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from server.db import ping


@get("/healthz", include_in_schema=False, opt={"access": "public"})
async def healthz(state: State) -> Response:
    if await ping(state.engine):
        return Response({"status": "ok"}, status_code=200)
    return Response({"status": "unavailable"}, status_code=503)
