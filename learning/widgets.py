"""Form widgets the site's forms share."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@lru_cache(maxsize=8)
def _options(choices: tuple[tuple[Any, Any], ...]) -> tuple[tuple[str, str, str], ...]:
    """Each choice's value, and its <option> plain and selected, escaped once."""
    options = []
    for value, label in choices:
        text, shown = escape(str(value)), escape(str(label))
        options.append(
            (
                str(value),
                f'\n  <option value="{text}">{shown}</option>\n',
                f'\n  <option value="{text}" selected>{shown}</option>\n',
            )
        )
    return tuple(options)


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """The attributes as Django's attrs.html template writes them, in their order."""
    return mark_safe(
        "".join(
            f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


class LongSelect(forms.Select):
    """A plain <select> of many flat choices (the ~600 time zones), written as Django's
    Select writes it but without rendering every option through the option template on
    every page, which took most of the settings page's time. Nothing changes for the
    person choosing: the same list, no script needed."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        head = format_html(
            '<select name="{}"{}>', name, _attrs(self.build_attrs(self.attrs, attrs))
        )
        body = "".join(
            selected if value in chosen else plain
            for value, plain, selected in _options(tuple(self.choices))
        )
        return mark_safe(f"{head}{body}\n</select>")
