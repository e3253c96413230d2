"""The main task of each role, done with the keyboard alone, in Chromium.

No clicks: the focus moves with Tab and Shift+Tab (and must be seen wherever it lands),
links and buttons are taken with Enter, boxes ticked with Space, answers given with the
study page's keys. A learner signs in from the home page and studies a few questions;
an instructor creates a course, builds a deck and assigns it; an editor finds a fact
and edits it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from learning.models import Assignment, Course, Fact, ReviewLog
from tests.accessibility import tab_to
from tests.factories import EditorFactory, InstructorFactory, UserFactory
from tests.test_browser_study import STUDY, answer_by_keyboard, question_on

PASSWORD = "correct horse battery staple"


@pytest.mark.django_db(transaction=True)
def test_a_learner_signs_in_from_the_home_page_and_studies_by_keyboard_alone(
    page: Page, spine_bank: None
) -> None:
    UserFactory(username="kay")
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type("kay")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Study", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Today's questions")).to_be_visible()
    page.wait_for_load_state("load")  # the keyboard script is deferred: let it attach
    for number in range(4):
        expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
        right = number != 1
        answer_by_keyboard(page, question_on(page), right=right)
        if right:
            expect(page.locator(f"{STUDY} [data-rate='3']")).to_be_focused()
            page.keyboard.press("Space")  # Good
        else:
            expect(page.locator(f"{STUDY} [data-next]")).to_be_focused()
            page.keyboard.press("Enter")  # Next question
        expect(page.locator(f"{STUDY} .verdict-line")).to_have_count(0)
    assert ReviewLog.objects.filter(learner__username="kay").count() == 4

    tab_to(page, page.get_by_role("link", name="Progress", exact=True), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#done-today")).to_have_text("4")


@pytest.mark.django_db(transaction=True)
def test_an_instructor_creates_a_course_builds_a_deck_and_assigns_it_by_keyboard_alone(
    page: Page, spine_bank: None
) -> None:
    InstructorFactory(username="kit")
    page.goto("/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("kit")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Teach"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Course name"))
    page.keyboard.type("Spine block 2027")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Spine block 2027")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Build a deck"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Deck name"))
    page.keyboard.type("Upper lumbar roots")
    tab_to(page, page.get_by_role("checkbox", name="L1-L2", exact=True))
    page.keyboard.press("Space")
    expect(page.locator("#deck-count")).not_to_have_text("0")
    tab_to(page, page.get_by_role("button", name="Save the deck"), limit=250)
    page.keyboard.press("Enter")
    expect(page.get_by_text("The deck Upper lumbar roots is saved.")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Assign a deck"))
    page.keyboard.press("Enter")
    due = timezone.localdate() + timedelta(days=10)
    tab_to(page, page.get_by_label("Due date"))
    page.keyboard.type(f"{due:%m%d%Y}")  # Chromium's date field, in its en-US order
    expect(page.get_by_label("Due date")).to_have_value(f"{due:%Y-%m-%d}")
    tab_to(page, page.get_by_role("button", name="Assign"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("rowheader", name="Upper lumbar roots")).to_be_visible()

    course = Course.objects.get(name="Spine block 2027")
    assignment = Assignment.objects.get(course=course)
    assert (assignment.deck.name, assignment.due_on) == ("Upper lumbar roots", due)
    assert assignment.deck.levels == ["L1-L2"]


@pytest.mark.django_db(transaction=True)
def test_an_editor_finds_a_fact_and_edits_it_by_keyboard_alone(
    page: Page, spine_bank: None
) -> None:
    EditorFactory(username="eve")
    fact = Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )
    page.goto("/admin/login/?next=/admin/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("eve")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The fact base")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Facts", exact=True).first)
    page.keyboard.press("Enter")
    presses = tab_to(page, page.locator("#searchbar"))
    assert presses < 60, "the search box comes before most of the filters"
    page.keyboard.type("tibialis anterior")
    page.keyboard.press("Enter")
    row = page.locator("#result_list tr", has_text="key-muscle")
    tab_to(page, row.get_by_role("link", name="L4 nerve root"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf".*/fact/{fact.pk}/change/"))

    wording = "Tibialis anterior lifts the foot at the ankle: the ISNCSCI key muscle for L4."
    tab_to(page, page.get_by_label("Explanation"))
    page.keyboard.press("Control+A")
    page.keyboard.type(wording)
    expect(page.locator("#fact-preview")).to_contain_text(wording)
    tab_to(page, page.locator("input[name=_save]"), limit=200)
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("questions were regenerated")
    fact.refresh_from_db()
    assert fact.explanation == wording
