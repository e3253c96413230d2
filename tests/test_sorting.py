"""Sortable tables: what ?sort= may ask for, and the order and headers it gives."""

from learning.sorting import Order, columns, order_read, sort_rows

KEYS = ["name", "score"]
DEFAULT = Order("name")


def test_a_sort_names_a_column_one_way_or_the_other():
    assert order_read("score", KEYS, DEFAULT) == Order("score", False)
    assert order_read("-score", KEYS, DEFAULT) == Order("score", True)
    assert Order("score", True).param == "-score"


def test_anything_else_leaves_the_usual_order():
    for junk in (None, "", "-", "--score", "scores", "score ", "SCORE", "x" * 10_000, 3, ["score"]):
        assert order_read(junk, KEYS, DEFAULT) == DEFAULT, junk


def test_headers_say_how_the_table_is_sorted_and_what_a_click_asks_for():
    by_score = {c.key: c for c in columns([("name", "Name"), ("score", "Score")], Order("score"))}
    assert by_score["score"].sorted == "ascending" and by_score["score"].next_param == "-score"
    assert by_score["name"].sorted is None and by_score["name"].next_param == "name"
    down = columns([("score", "Score")], Order("score", True))[0]
    assert down.sorted == "descending" and down.next_param == "score"


def test_rows_sort_by_the_column_with_ties_in_a_stable_order():
    rows = [("b", 2), ("a", 2), ("c", 1)]
    keys = {"name": lambda r: r[0], "score": lambda r: r[1]}

    def by_name(r):
        return r[0]

    assert sort_rows(rows, Order("score"), keys, then=by_name) == [("c", 1), ("a", 2), ("b", 2)]
    assert sort_rows(rows, Order("score", True), keys, then=by_name) == [
        ("a", 2),
        ("b", 2),
        ("c", 1),
    ]
