"""The API's errors as JSON: {"error": {"status": ..., "message": ...}}."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

JSON_ERRORS = {
    400: "The request is not valid.",
    401: "A valid API token is needed: Authorization: Bearer <token>.",
    403: "This token may only read; creating invitations needs a read-and-invite token.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "The intake has not been submitted yet.",
    413: "The request is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "The request's content is not valid.",
    429: "Too many requests with this token; wait and try again.",
    500: "Something went wrong on our side.",
}


def error(status: int, message: str | None = None, **extra: Any) -> Response:
    """A JSON error: {"error": {"status": ..., "message": ...}}."""
    body: dict[str, Any] = {"status": status, "message": message or JSON_ERRORS.get(status, "")}
    body.update(extra)
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="intake"'
    return response
