"""The question bank in Chromium: filters and pages as htmx swaps them, and Back."""

import re

import pytest
from playwright.sync_api import Page, expect

from learning.models import Question
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def shown_matches_url(page: Page) -> None:
    """The questions on screen are those the address names: its words and its page."""
    query = dict(re.findall(r"[?&](q|page)=([^&]*)", page.url))
    words = query.get("q", "")
    expect(page.locator("#id_q")).to_have_value(words)
    held = Question.objects.active().filter(default_deck=True, prompt__icontains=words).count()
    expect(page.locator("#results .results-head strong")).to_have_text(
        f"{held} question{'s' if held != 1 else ''}"
    )
    pages = -(-held // 25)
    if pages > 1:
        expect(page.locator("#results .pager")).to_contain_text(
            f"Page {query.get('page', '1')} of {pages}"
        )


@pytest.mark.django_db(transaction=True)
def test_typing_words_then_next_keeps_questions_and_address_together_and_back_reloads(
    page: Page, spine_bank: None
) -> None:
    UserFactory(username="reader")
    page.goto("/accounts/login/?next=/bank/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/bank/" in r.url else None)

    # Words typed, and Next clicked while the box still has the focus: before, leaving the
    # box sent a second request, and whichever came back last won.
    page.locator("#id_q").click()
    page.keyboard.type("nerve")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r".*q=nerve.*"))
    page.wait_for_load_state("networkidle")
    shown_matches_url(page)
    assert len(asked) <= 2, asked

    # The keyboard stays on Next from page to page.
    page.locator("#bank-next").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r".*page=2.*"))
    expect(page.locator("#bank-next")).to_be_focused()
    shown_matches_url(page)

    # Back loads the page the address names, from the server (the page fixture fails the
    # test on any Content-Security-Policy report).
    page.go_back()
    page.wait_for_load_state("load")
    expect(page).not_to_have_url(re.compile(r".*page=2.*"))
    shown_matches_url(page)
    page.go_forward()
    page.wait_for_load_state("load")
    expect(page).to_have_url(re.compile(r".*page=2.*"))
    shown_matches_url(page)
