"""How the JSON API answers an error, everywhere (the API's handlers, its guard, the app's
exception handlers): one shape, `{"error": {"code", "message", "fields"?}}`, never cached."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def api_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})
