"""Form widgets the site's forms share."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.html import conditional_escape, escape, format_html
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


def _value(value: Any) -> str:
    """An option's value as the templates write it: `stringformat:'s'`, then escaped."""
    return escape(str(value))


class ManyOptionsSelect(forms.SelectMultiple):
    """A <select multiple> of many grouped choices (the deck builder's facts, about 600
    in some 40 relations), written in Python exactly as Django's select and option
    templates write it: rendering each option through its template took most of the
    deck builder's time."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f'\n  <optgroup label="{conditional_escape(group)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{_value(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class ManyCheckboxes(forms.CheckboxSelectMultiple):
    """Check boxes for many choices (the deck builder's relations and topics), written in
    Python exactly as Django's multiple_input, checkbox_option and input templates write
    them, for the same reason as `ManyOptionsSelect`."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        box_id, box_class = widget["attrs"].get("id"), widget["attrs"].get("class")
        parts = [
            "<div",
            f' id="{conditional_escape(box_id)}"' if box_id else "",
            f' class="{conditional_escape(box_class)}"' if box_class else "",
            ">",
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{conditional_escape(group)}</label>")
            for option in options:
                parts.append(f"<div>\n    {self._option(option)}</div>")
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        return mark_safe("".join(parts).strip())

    @staticmethod
    def _option(option: dict[str, Any]) -> str:
        value = "" if option["value"] is None else f' value="{_value(option["value"])}"'
        box = (
            f'<input type="{conditional_escape(option["type"])}" '
            f'name="{conditional_escape(option["name"])}"{value}{_attrs(option["attrs"])}>\n'
        )
        if not option["wrap_label"]:
            return f"{box}\n\n"
        option_id = option["attrs"].get("id")
        label_for = f' for="{conditional_escape(option_id)}"' if option_id else ""
        return f"<label{label_for}>{box} {conditional_escape(option['label'])}</label>\n\n"
