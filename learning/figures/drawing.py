"""Figures drawn as SVG on the server, from their data: no external image, no script.

`figure_svg` draws one figure for one use: a region highlighted for "Which structure
is highlighted?", four regions lettered for "Which letter marks ...?", or, in the
feedback, the answer marked in green with its name. The title and the description say
what the drawing is and how it is marked, never which structure the question is about
until the learner has answered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

from learning.figures.data import Figure, Region, Shape

# The dashboard's palette: quiet fills, one strong colour for what matters.
FILLS = {
    "bone": ("#efe9dc", "#7a7265"),
    "disc": ("#d6e0ea", "#6f7f8f"),
    "nerve": ("#f4d77a", "#9c7a12"),
    "cord": ("#f7e3a1", "#9c7a12"),
    "skin": ("#fbefe7", "#9a7b68"),
    "line": ("none", "#9a7b68"),
    "space": ("#ffffff", "#7a7265"),
    "movement": ("none", "#52606d"),
    "point": ("#52606d", "#ffffff"),
}
HIGHLIGHT = ("#e8590c", "#9c3500")
ANSWER = ("#2f9e44", "#1b5e2a")
LETTERED = "#1c4f82"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
POINT_RADIUS = 6
BADGE_RADIUS = 11
CAPTION_HEIGHT = 30

NUMBERS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}
HIGHLIGHT_WORDS = {
    "point": "One point is marked in orange.",
    "arrow": "One arrow is drawn in orange.",
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _points(shape: Shape) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)


def _shape(
    shape: Shape, fill: str, stroke: str, *, width: float = 1.5, marked: bool = False
) -> str:
    kind, v = shape.kind, shape.values
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{_num(width)}"'
    if shape.style == "space" and not marked:
        paint += ' stroke-dasharray="4 3"'
    if kind == "rect":
        x, y, w, h = v
        return (
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
            f'rx="{_num(min(8.0, w / 5, h / 5))}" {paint}/>'
        )
    if kind == "ellipse":
        cx, cy, rx, ry = v
        return f'<ellipse cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(rx)}" ry="{_num(ry)}" {paint}/>'
    if kind == "point":
        radius = POINT_RADIUS + (3 if marked else 0)
        return (
            f'<circle cx="{_num(v[0])}" cy="{_num(v[1])}" r="{radius}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"/>'
        )
    if kind == "polygon":
        return f'<polygon points="{_points(shape)}" {paint} stroke-linejoin="round"/>'
    # An arrow: a line through its points and a head at the last one; a plain line
    # (a ligament, say) has no head.
    colour = stroke if shape.style in ("movement", "line") or marked else fill
    if shape.style == "line" and not marked:
        return (
            f'<polyline points="{_points(shape)}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5" stroke-linecap="round"/>'
        )
    thickness = 6 if marked else 4
    (x1, y1), (x2, y2) = shape.points[-2], shape.points[-1]
    angle = math.atan2(y2 - y1, x2 - x1)
    size = 14 if marked else 12
    head = [
        (x2 + math.cos(angle) * 4, y2 + math.sin(angle) * 4),
        (x2 - size * math.cos(angle - 0.45), y2 - size * math.sin(angle - 0.45)),
        (x2 - size * math.cos(angle + 0.45), y2 - size * math.sin(angle + 0.45)),
    ]
    head_points = " ".join(f"{_num(x)},{_num(y)}" for x, y in head)
    return (
        f'<polyline points="{_points(shape)}" fill="none" stroke="{colour}" '
        f'stroke-width="{thickness}" stroke-linecap="round" stroke-linejoin="round"/>'
        f'<polygon points="{head_points}" fill="{colour}"/>'
    )


def _region(region: Region, mark: str) -> str:
    shape = region.shape
    if mark in ("highlight", "answer"):
        fill, stroke = HIGHLIGHT if mark == "highlight" else ANSWER
        if shape.kind == "arrow":
            return _shape(shape, stroke, fill, marked=True)
        return _shape(shape, fill, stroke, width=2.5, marked=True)
    fill, stroke = FILLS[shape.style]
    if mark == "lettered":
        stroke = LETTERED
        return _shape(shape, fill, stroke, width=2.2)
    return _shape(shape, fill, stroke)


def _badge(region: Region, letter: str, *, answer: bool) -> str:
    lx, ly = region.label
    ax, ay = region.shape.anchor
    out = []
    distance = math.hypot(ax - lx, ay - ly)
    if distance > BADGE_RADIUS + 6:
        # A leader from the badge's edge to the region.
        ex = lx + (ax - lx) * BADGE_RADIUS / distance
        ey = ly + (ay - ly) * BADGE_RADIUS / distance
        out.append(
            f'<line x1="{_num(ex)}" y1="{_num(ey)}" x2="{_num(ax)}" y2="{_num(ay)}" '
            f'stroke="{LETTERED}" stroke-width="1.3"/>'
        )
    ring = ANSWER[1] if answer else LETTERED
    out.append(
        f'<circle cx="{_num(lx)}" cy="{_num(ly)}" r="{BADGE_RADIUS}" fill="#ffffff" '
        f'stroke="{ring}" stroke-width="2"/>'
        f'<text x="{_num(lx)}" y="{_num(ly + 4.5)}" text-anchor="middle" font-size="13" '
        f'font-weight="700" font-family="{FONT}" fill="{ring}">{escape(letter)}</text>'
    )
    return "".join(out)


def description(figure: Figure, marks: Mapping[str, str], answer_name: str = "") -> str:
    """What the drawing shows and how it is marked; the answer only once it is given."""
    parts = [figure.description]
    letters = sorted(m for m in marks.values() if len(m) == 1)
    highlighted = [e for e, m in marks.items() if m == "highlight"]
    if letters:
        count = NUMBERS.get(len(letters), str(len(letters)))
        parts.append(f"{count} places carry the letters {letters[0]} to {letters[-1]}.")
    elif highlighted:
        region = figure.region(highlighted[0])
        kind = region.shape.kind if region else ""
        parts.append(HIGHLIGHT_WORDS.get(kind, "One structure is shaded in orange."))
    if answer_name:
        parts.append(f"The answer, {answer_name}, is marked in green.")
    if figure.note:
        parts.append(figure.note)
    return " ".join(parts)


def figure_svg(
    figure: Figure,
    marks: Mapping[str, str],
    *,
    ident: str,
    answer: str = "",
    answer_name: str = "",
) -> str:
    """The figure as an SVG document.

    `marks`: entity -> "highlight" or a letter; `answer`: the entity to mark in green
    (feedback), named `answer_name` under the drawing; `ident`: unique on the page,
    for the title's and description's ids."""
    height = figure.height + (CAPTION_HEIGHT if answer_name else 0)
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(figure.width)} '
        f'{_num(height)}" width="{_num(figure.width)}" height="{_num(height)}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" class="figure-drawing">',
        f"<title id={quoteattr(title_id)}>{escape(figure.title)}</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(description(figure, marks, answer_name))}</desc>",
        f'<rect x="0" y="0" width="{_num(figure.width)}" height="{_num(height)}" fill="#ffffff"/>',
    ]
    body += [_shape(shape, *FILLS[shape.style]) for shape in figure.outline]

    # Marked regions last, so nothing covers them; points and arrows above areas.
    def order(region: Region) -> tuple[int, int]:
        marked = 1 if region.entity in marks or region.entity == answer else 0
        return (marked, 1 if region.shape.kind in ("point", "arrow") else 0)

    for region in sorted(figure.regions, key=order):
        mark = marks.get(region.entity, "")
        if region.entity == answer:
            mark = "answer"
        elif len(mark) == 1:
            mark = "lettered"
        body.append(_region(region, mark))
    for region in figure.regions:
        letter = marks.get(region.entity, "")
        if len(letter) == 1:
            body.append(_badge(region, letter, answer=region.entity == answer))
    if answer_name:
        body.append(
            f'<text x="{_num(figure.width / 2)}" y="{_num(figure.height + 20)}" '
            f'text-anchor="middle" font-size="15" font-weight="600" font-family="{FONT}" '
            f'fill="{ANSWER[1]}">{escape(answer_name)}</text>'
        )
    body.append("</svg>")
    return "".join(body)
