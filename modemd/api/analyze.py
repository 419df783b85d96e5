"""`POST /api/v1/analyze`: what a text costs before it is sent."""

from __future__ import annotations

from typing import Any

from modemd.analysis import analyze
from modemd.api.base import ApiError, Routes, json_body, reject_unknown
from modemd.errors import TextError
from modemd.store.keys import ApiKey


def install(r: Routes) -> None:
    """Register the analysis route."""
    ctx = r.ctx

    @r.route("POST", "/api/v1/analyze")
    def post_analyze(key: ApiKey) -> Any:
        data = json_body()
        reject_unknown(data, {"text", "template", "values"})
        text = data.get("text")
        if data.get("template") is not None:
            if text is not None:
                raise ApiError(422, "conflicting_fields", "give either text or template, "
                               "not both", "text")
            text = ctx.templates.render(data["template"], data.get("values"))
        if text is None:
            raise ApiError(422, "missing_field", "text is required", "text")
        if not isinstance(text, str):
            raise ApiError(422, "invalid_type", "text must be a string", "text")
        try:
            result = analyze(text, national=ctx.messages.national,
                             max_characters=ctx.messages.max_length,
                             locking=ctx.messages.national_locking)
        except TextError as exc:
            raise ApiError(422, exc.code, str(exc), "text") from None
        return result.to_json()
