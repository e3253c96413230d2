"""A new learner signs up and studies by keyboard alone, in Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from learning.models import Question
from learning.tokens import QuestionToken

STUDY = "#study"
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling"  # htmx still at work


def settled(page: Page) -> None:
    """Wait until htmx has swapped and settled, as a person would before the next key."""
    expect(page.locator(BUSY)).to_have_count(0)


def question_on(page: Page) -> Question:
    token = page.locator(f"{STUDY} form[data-answer] input[name=token]").input_value()
    return Question.objects.get(pk=QuestionToken.load(token).question)


def answer_by_keyboard(page: Page, question: Question, *, right: bool) -> None:
    keyboard = page.keyboard
    choices = list(question.choices)
    if question.kind == "typed":
        keyboard.type(question.answers[0] if right else "no idea")
        keyboard.press("Enter")
        return
    if question.kind == "order":
        order = list(question.answers) if right else list(reversed(question.answers))
        for item in choices:  # the first select has the focus; Tab walks the rest
            keyboard.type(str(order.index(item) + 1))
            keyboard.press("Tab")
        keyboard.press("Enter")  # the focus is now on "Check answer"
        return
    if question.kind == "multi":
        picks = [i for i, c in enumerate(choices) if (c in question.answers) == right] or [0]
    else:
        picks = [next(i for i, c in enumerate(choices) if (c in question.answers) == right)]
    for index in picks:
        keyboard.press(str(index + 1))
    keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_a_new_learner_studies_ten_questions_by_keyboard_and_sees_progress(page, spine_bank):
    page.goto("/accounts/signup/")
    page.fill("#id_username", "keyboard-student")
    page.fill("#id_email", "keys@example.org")
    page.fill("#id_password1", "iliopsoas-L2-hip")
    page.fill("#id_password2", "iliopsoas-L2-hip")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()

    page.goto("/study/")
    wrong_on_purpose = 2
    for number in range(10):
        expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
        settled(page)  # the keyboard is on the first answer field once htmx has settled
        question = question_on(page)
        answer_by_keyboard(page, question, right=number != wrong_on_purpose)
        verdict = page.locator(f"{STUDY} .verdict-line")
        if number == wrong_on_purpose:
            expect(verdict).to_have_text(re.compile("Not quite"))
            expect(page.locator(f"{STUDY} .explanation")).to_contain_text(question.explanation[:40])
            expect(page.locator(f"{STUDY} .correct-answer")).to_contain_text(question.answers[0])
            page.keyboard.press("Enter")  # Next question
        else:
            expect(verdict).to_have_text(re.compile("Right"))
            expect(page.locator(f"{STUDY} [data-rate='3']")).to_be_focused()
            page.keyboard.press("Space")  # Good
        expect(page.locator(f"{STUDY} .verdict-line")).to_have_count(0)

    page.goto("/dashboard/")
    expect(page.locator("#done-today")).to_have_text("10")
    expect(page.locator("#streak")).to_have_text("1")
    expect(page.locator("svg.calendar")).to_have_attribute("aria-label", re.compile(r"10 in all"))
    studied = [
        t
        for t in page.locator("svg.spine text.pct").all_inner_texts()
        if t not in ("0%", "no facts")
    ]
    assert studied, "some level shows mastery above 0%"
    expect(page.locator("svg.forecast")).to_have_attribute(
        "aria-label", re.compile(r": [1-9]\d* in all")
    )


@pytest.mark.django_db(transaction=True)
def test_undo_bury_and_suspend_by_keyboard_and_the_rating_buttons_in_reach_on_a_phone(
    page, spine_bank
):
    from django.contrib.auth import get_user_model

    from learning.models import Card, ReviewLog

    get_user_model().objects.create_user("phone-student", "p@example.org", "iliopsoas-L2-hip")
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto("/accounts/login/")
    page.fill("#id_username", "phone-student")
    page.fill("#id_password", "iliopsoas-L2-hip")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto("/study/")

    expect(page.locator(f"{STUDY} .remaining")).to_contain_text("20 new")
    first = question_on(page)
    answer_by_keyboard(page, first, right=True)
    rate = page.locator(f"{STUDY} .rate-buttons")
    expect(rate).to_be_visible()
    box = rate.bounding_box()
    assert box and box["y"] + box["height"] <= 667, "the rating buttons are on screen"
    page.keyboard.press("Space")  # Good
    expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
    assert ReviewLog.objects.count() == 1

    settled(page)
    page.keyboard.press("u")  # undo: the same question again, its review gone
    expect(page.locator(f"{STUDY} .messages")).to_contain_text("undone")
    assert question_on(page) == first
    assert ReviewLog.objects.count() == 0

    settled(page)
    page.keyboard.press("-")  # bury it until tomorrow
    expect(page.locator(f"{STUDY} .messages")).to_contain_text("Buried")
    assert question_on(page) != first
    second = question_on(page)
    settled(page)
    page.keyboard.press("@")  # suspend the next one
    expect(page.locator(f"{STUDY} .messages")).to_contain_text("Suspended")
    assert question_on(page) not in (first, second)
    held = {c.question_id: (c.buried_on is not None, c.suspended) for c in Card.objects.all()}
    assert held == {first.pk: (True, False), second.pk: (False, True)}
