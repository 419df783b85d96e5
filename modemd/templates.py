"""The template service: named texts with placeholders, checked, counted and rendered.

Templates belong to the practice, not to one key: every key (location) sees and uses the same
set. The starter set (modemd.starter_templates) is added once to a new database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modemd.analysis import Analysis, analyze
from modemd.clock import Clock
from modemd.errors import TextError, ValidationError
from modemd.starter_templates import STARTERS
from modemd.store.templates import Template, TemplateStore
from modemd.templating import SAMPLE_VALUES, check_values, placeholders_in, render

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_DESCRIPTION = 200
SEED_TASK = "starter_templates"


@dataclass(frozen=True)
class Counted:
    """A template with the text it gives for the sample values and that text's analysis."""

    template: Template
    placeholders: tuple[str, ...]
    sample_text: str
    analysis: Analysis | None  # None when the sample text breaks the text rules


class TemplateService:
    """Create, change, delete, count and render templates."""

    def __init__(
        self, store: TemplateStore, *, defaults: Mapping[str, str], clock: Clock,
        national: Sequence[str] = (), max_length: int = 600, national_locking: bool = False,
    ):
        self.store = store
        # Configured practice values ({praxis}, {telefon}, {link}); empty ones are not set.
        self.defaults = {k: v for k, v in defaults.items() if v}
        self.clock = clock
        self.national = tuple(national)
        self.national_locking = national_locking
        self.max_length = max_length

    def seed(self) -> int:
        """Add the starter set if this database never had it; returns how many were added."""
        rows = [(s.name, s.text, s.description) for s in STARTERS]
        return self.store.seed_once(SEED_TASK, rows, self.clock.now())

    # --- reading -------------------------------------------------------------------------
    def list(self, after_id: int | None, limit: int) -> list[Template]:
        return self.store.list(after_id, limit)

    def get(self, template_id: int) -> Template | None:
        return self.store.get(template_id)

    def counted(self, template: Template) -> Counted:
        """The template with its count for the sample values (and the configured defaults)."""
        values = {**SAMPLE_VALUES, **self.defaults}
        text = render(template.text, values)
        try:
            analysis = analyze(text, national=self.national, max_characters=self.max_length,
                               locking=self.national_locking)
        except TextError:
            analysis = None
        return Counted(template, tuple(placeholders_in(template.text)), text, analysis)

    # --- writing (raise ValidationError, or store.templates.NameTaken) --------------------
    def create(self, data: Mapping[str, Any]) -> Template:
        name, text, description = self._checked(data)
        return self.store.add(name, text, description, self.clock.now())

    def update(self, template_id: int, data: Mapping[str, Any]) -> Template | None:
        name, text, description = self._checked(data)
        return self.store.update(template_id, name, text, description, self.clock.now())

    def delete(self, template_id: int) -> Template | None:
        return self.store.delete(template_id)

    # --- rendering for a message ---------------------------------------------------------
    def render(self, ref: object, values: object) -> str:
        """The text of template `ref` (its name, or its id) filled with `values`.

        Raises ValidationError: unknown template (field "template"), unknown placeholder or
        missing value (field "values.<placeholder>").
        """
        if isinstance(ref, bool) or not isinstance(ref, str | int):
            raise ValidationError("invalid_type", "template must be a template name or id",
                                  "template")
        template = self.store.get(ref) if isinstance(ref, int) else self.store.by_name(ref)
        if template is None:
            raise ValidationError("unknown_template", f"there is no template {ref!r}",
                                  "template")
        given = check_values(values)
        return render(template.text, {**self.defaults, **given})

    def _checked(self, data: Mapping[str, Any]) -> tuple[str, str, str]:
        name, text = data.get("name"), data.get("text")
        description = data.get("description", "")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ValidationError(
                "invalid_name" if name is not None else "missing_field",
                "name must be 1 to 64 letters, digits, '-', '_' or '.', starting with a "
                "letter or digit", "name")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("missing_field" if text is None else "invalid_type",
                                  "text is required: the template text", "text")
        if len(text) > self.max_length:
            raise ValidationError("text_too_long", f"the template has {len(text)} characters, "
                                  f"at most {self.max_length} are allowed", "text")
        placeholders_in(text)
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise ValidationError("invalid_type", f"description must be a string of at most "
                                  f"{MAX_DESCRIPTION} characters", "description")
        return name, text, description
