"""Steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page


def name_the_deck(page: Page, name: str) -> None:
    """Type the deck's name and leave the field, as a person does before saving: leaving it
    refreshes the preview (htmx, on change), and its answer is awaited, so that the preview
    and the save do not reach the live server at once. On SQLite its threads share the one
    in-memory connection of the test database, and a save meeting a preview there was once
    answered as if nobody were signed in; production gives each request its own."""
    field = page.get_by_label("Deck name")
    field.fill(name)
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        field.press("Tab")
