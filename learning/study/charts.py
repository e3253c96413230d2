"""Server-rendered SVG pictures: the spine, the calendar, the forecast, the workload."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from learning.content.models import Level
from learning.study.progress import Cell, mastery_colour
from learning.study.workload import Point

VERTEBRA_HEIGHT = 40
DISC_HEIGHT = 14
SPINE_WIDTH = 300


def _percent(cell: Cell | None) -> str:
    return f"{round(cell.mastery * 100)}%" if cell and cell.facts else "no facts"


def spine_svg(levels: Sequence[Level], by_level: Mapping[str, Cell]) -> SafeString:
    """The lumbar spine from T12 to S1, each level coloured by mastery; a click studies it."""
    parts: list[str] = []
    y = 8
    centre = SPINE_WIDTH / 2
    for level in levels:
        cell = by_level.get(level.key)
        fill = mastery_colour(cell.mastery if cell else 0.0)
        href = f"{reverse('study_custom')}?{urlencode({'level': level.key})}"
        # The link's name starts with what it shows ("L2 40%"), as a voice user says it.
        label = f"{level.key} {_percent(cell)}"
        if cell and cell.facts:
            label += f": mastery over {cell.facts} facts, {cell.seen} studied"
        if level.kind == Level.Kind.VERTEBRAL:
            height = VERTEBRA_HEIGHT
            if level.key.startswith("S"):
                shape = (
                    f'<path d="M{centre - 62},{y} L{centre + 62},{y} L{centre + 34},'
                    f'{y + height + 16} L{centre - 34},{y + height + 16} Z"/>'
                )
                height += 16
            else:
                width = 96 + (level.order / 700) * 28
                shape = (
                    f'<rect x="{centre - width / 2:.0f}" y="{y}" width="{width:.0f}" '
                    f'height="{height}" rx="9"/>'
                    f'<rect x="{centre + width / 2 - 4:.0f}" y="{y + 12}" width="26" '
                    f'height="{height - 24}" rx="5"/>'
                )
            text_y = y + height / 2 + 5
        else:
            height = DISC_HEIGHT
            shape = (
                f'<rect x="{centre - 50}" y="{y + 2}" width="100" height="{height - 4}" rx="5"/>'
            )
            text_y = y + height / 2 + 4
        parts.append(
            f'<a href="{escape(href)}" class="spine-level" aria-label="{escape(label)}. '
            f'Study {escape(level.key)}">'
            f"<title>{escape(label)}</title>"
            f'<g fill="{fill}" stroke="var(--line, #999)" stroke-width="1">{shape}</g>'
            f'<text x="{centre - 86}" y="{text_y:.0f}" text-anchor="end" '
            f'class="{"seg" if level.kind != Level.Kind.VERTEBRAL else "vert"}">'
            # The space between the two texts keeps them two words when read together.
            f"{escape(level.key)}</text> "
            f'<text x="{centre + 92}" y="{text_y:.0f}" class="pct">{escape(_percent(cell))}'
            f"</text></a>"
        )
        y += height
    return mark_safe(
        # A group, not an image: an image's content is hidden, and these are links.
        f'<svg class="spine" viewBox="0 0 {SPINE_WIDTH} {y + 8}" role="group" '
        f'aria-labelledby="spine-title"><title id="spine-title">Mastery by spinal level, '
        f"T12 to S1: darker is better known</title>{''.join(parts)}</svg>"
    )


def calendar_svg(weeks: Sequence[Sequence[tuple[date, int]]]) -> SafeString:
    """A heatmap of reviews per day, a column per week."""
    cell, gap = 13, 3
    most = max((n for week in weeks for _, n in week), default=0) or 1
    parts: list[str] = []
    last_month = None
    for column, week in enumerate(weeks):
        x = 24 + column * (cell + gap)
        for day, count in week:
            row = day.weekday()
            level = 0 if count == 0 else 1 + min(3, int(3 * count / most))
            title = f"{day:%a %d %b}: {count} review{'s' if count != 1 else ''}"
            parts.append(
                f'<rect x="{x}" y="{16 + row * (cell + gap)}" width="{cell}" '
                f'height="{cell}" rx="3" class="heat{level}"><title>{title}</title>'
                f"</rect>"
            )
            if day.day <= 7 and row == 0 and day.month != last_month:
                parts.append(f'<text x="{x}" y="11" class="axis">{day:%b}</text>')
                last_month = day.month
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text x="0" y="{16 + row * (cell + gap) + 10}" class="axis">{name}</text>')
    width = 24 + len(weeks) * (cell + gap)
    total = sum(n for week in weeks for _, n in week)
    return mark_safe(
        f'<svg class="calendar" viewBox="0 0 {width} {16 + 7 * (cell + gap)}" role="img" '
        f'aria-label="Reviews per day over the last {len(weeks)} weeks: {total} in all">'
        f"{''.join(parts)}</svg>"
    )


def forecast_svg(days: Sequence[tuple[date, int]]) -> SafeString:
    """Cards due on each of the coming days, as bars over a day axis, with a count axis."""
    bar, gap, height, left, top = 12, 4, 90, 30, 18
    most = max((n for _, n in days), default=0)
    scale = _nice_ceiling(most)
    parts: list[str] = []
    ticks = (0, scale // 2, scale) if scale >= 2 else (0, scale)[: scale + 1]
    for value in ticks:
        y = top + height - round(height * value / scale) if scale else top + height
        parts.append(
            f'<line x1="{left - 4}" x2="{left + len(days) * (bar + gap)}" y1="{y}" y2="{y}" '
            f'class="{"baseline" if value == 0 else "grid"}"/>'
            f'<text x="{left - 7}" y="{y + 4}" text-anchor="end" class="axis">{value}</text>'
        )
    for index, (day, count) in enumerate(days):
        x = left + index * (bar + gap)
        h = 0 if count == 0 else max(2, round(height * count / scale))
        label = "today" if index == 0 else f"{day:%a %d %b}"
        parts.append(
            f'<rect x="{x}" y="{top + height - h}" width="{bar}" height="{h}" rx="2" '
            f'class="bar"><title>{label}: {count} due</title></rect>'
        )
        if index % 7 == 0:
            parts.append(
                f'<text x="{x}" y="{top + height + 16}" class="axis">'
                f"{'Today' if index == 0 else f'{day:%d %b}'}</text>"
            )
    width = left + len(days) * (bar + gap)
    total = sum(n for _, n in days)
    peak = f", at most {most} on one day" if most else ""
    return mark_safe(
        f'<svg class="forecast" viewBox="0 0 {width} {top + height + 22}" role="img" '
        f'aria-label="Reviews due over the next {len(days)} days: {total} in all{peak}">'
        f'<text x="0" y="9" class="axis">cards due</text>'
        f"{''.join(parts)}</svg>"
    )


def _nice_ceiling(value: int) -> int:
    """The axis's top: `value` rounded up to 1, 2 or 5 times a power of ten (0 stays 0)."""
    if value <= 0:
        return 0
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def workload_svg(
    points: Sequence[Point], *, best: float | None, measure: str, title: str
) -> SafeString:
    """One measure of the workload forecast (`reviews_per_day` or `known`) against desired
    retention, a line for the first 30 days and one for 90, the best retention marked.
    Drawn narrow and tall enough to read on a phone; the page gives the table beside it."""
    width, height, left, bottom, top = 320, 180, 34, 36, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    series = [(f"{measure}_30", "30 days", "w30"), (f"{measure}_90", "90 days", "w90")]
    most = (
        _nice_ceiling(
            math.ceil(max((getattr(p, key) for p in points for key, _, _ in series), default=0))
        )
        or 1
    )
    low, high = (points[0].retention, points[-1].retention) if points else (0.75, 0.97)
    span = (high - low) or 1

    def x(retention: float) -> float:
        return left + plot_w * (retention - low) / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / most)

    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'class="axis-line"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis-line"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" class="axis">{most:g}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for index, point in enumerate(points):
        if index % 2 == 0:
            parts.append(
                f'<text x="{x(point.retention):.1f}" y="{height - 20}" text-anchor="middle" '
                f'class="axis">{round(point.retention * 100)}%</text>'
            )
    if best is not None:
        parts.append(
            f'<line x1="{x(best):.1f}" y1="{top}" x2="{x(best):.1f}" y2="{top + plot_h}" '
            f'class="best"><title>Most knowledge per minute at {round(best * 100)}%</title></line>'
        )
    for key, label, css in series:
        coords = " ".join(f"{x(p.retention):.1f},{y(getattr(p, key)):.1f}" for p in points)
        parts.append(f'<polyline points="{coords}" class="{css}"/>')
        for p in points:
            parts.append(
                f'<circle cx="{x(p.retention):.1f}" cy="{y(getattr(p, key)):.1f}" r="3" '
                f'class="{css}"><title>{round(p.retention * 100)}%, {label}: '
                f"{getattr(p, key):g}</title></circle>"
            )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 3}" text-anchor="middle" '
        f'class="axis">desired retention</text>'
    )
    return mark_safe(
        f'<svg class="workload" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(parts)}</svg>'
    )
