"""A learner answers questions on figures in Chromium, by keyboard and by click, on a
phone's width, and sees the answer marked on the figure in the feedback."""

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from learning.models import Question
from tests.test_browser_study import STUDY, question_on, settled

# One question of each kind of figure, found in the bank by its words.
FIGURE_PROMPTS = {
    "spine": "Which vertebra is highlighted?",
    "foramen": "Which anatomical structure is highlighted?",
    "key-points": "Which key sensory point is marked?",
    "myotomes": "does the orange arrow show?",
}


def inked_pixels(page: Page, png: bytes) -> int:
    """How many pixels of a screenshot are not white: a drawing, not an empty box. Read
    by the browser itself, from a blank page."""
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    probe = page.context.new_page()
    try:
        return probe.evaluate(
            """async (src) => {
                const img = new Image(); img.src = src; await img.decode();
                const canvas = document.createElement("canvas");
                canvas.width = img.width; canvas.height = img.height;
                const ctx = canvas.getContext("2d"); ctx.drawImage(img, 0, 0);
                const px = ctx.getImageData(0, 0, img.width, img.height).data;
                let inked = 0;
                for (let i = 0; i < px.length; i += 4) {
                    if (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235) inked++;
                }
                return inked;
            }""",
            data,
        )
    finally:
        probe.close()


def log_in(page: Page, name: str) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(name, f"{name}@example.org", "iliopsoas-L2-hip")
    page.goto("/accounts/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", "iliopsoas-L2-hip")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def right_index(question: Question) -> int:
    return list(question.choices).index(question.answers[0])


@pytest.mark.django_db(transaction=True)
def test_a_learner_answers_figure_questions_by_keyboard_and_by_click_on_a_phone(page, spine_bank):
    log_in(page, "figure-student")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/study/custom/?figures=1&start=1")

    # By keyboard: the number key of the right option, then Enter.
    question = question_on(page)
    assert question.figure
    drawing = page.locator(f"{STUDY} .question figure svg")
    expect(drawing).to_be_visible()
    box = drawing.bounding_box()
    assert box and box["width"] <= 375, "the drawing fits a phone's width"
    page.keyboard.press(str(right_index(question) + 1))
    page.keyboard.press("Enter")
    expect(page.locator(f"{STUDY} .verdict-line")).to_have_text(re.compile("Right"))
    marked = page.locator(f"{STUDY} figure.answered svg")
    expect(marked).to_be_visible()
    expect(marked.locator("desc")).to_contain_text("is marked in green")
    settled(page)
    page.keyboard.press("Space")  # Good

    # By click: the option, then Check answer; wrong on purpose this time.
    expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
    question = question_on(page)
    assert question.figure
    wrong = next(i for i, c in enumerate(question.choices) if c not in question.answers)
    page.locator(f"{STUDY} label.option").nth(wrong).click()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator(f"{STUDY} .verdict-line")).to_have_text(re.compile("Not quite"))
    expect(page.locator(f"{STUDY} .correct-answer")).to_contain_text(question.answers[0])
    marked = page.locator(f"{STUDY} figure.answered svg")
    expect(marked).to_be_visible()
    assert inked_pixels(page, marked.screenshot()) > 2000


@pytest.mark.django_db(transaction=True)
def test_every_kind_of_figure_draws_in_the_browser(page, spine_bank, tmp_path):
    log_in(page, "figure-viewer")
    for kind, words in FIGURE_PROMPTS.items():
        page.goto(f"/bank/?figures=on&q={words.replace(' ', '+').replace('?', '%3F')}")
        drawing = page.locator("#results figure svg").first
        expect(drawing).to_be_visible()
        png = drawing.screenshot(path=str(tmp_path / f"figure-{kind}.png"))
        box = drawing.bounding_box()
        inked = inked_pixels(page, png)
        # A drawing covers a good share of its box; an empty or broken one does not.
        assert inked > 0.08 * box["width"] * box["height"], (kind, inked)


@pytest.mark.django_db(transaction=True)
def test_a_lettered_figure_is_answered_with_the_letter_key(page, spine_bank):
    """ "Which letter marks ...?": the letter's own key chooses it, as the hint says."""
    from django.contrib.auth import get_user_model

    from learning.tokens import AgainToken

    log_in(page, "letter-student")
    learner = get_user_model().objects.get(username="letter-student")
    question = Question.objects.filter(is_active=True, template="figure-letter").first()
    again = AgainToken(learner.pk, question.pk).sign()
    page.goto(f"/study/?again={again}")
    assert question_on(page) == question
    hint = page.locator(f"{STUDY} form[data-answer] .actions")
    expect(hint).to_contain_text("A–D or 1–4 choose")
    letter = question.answers[0]
    page.keyboard.press(letter.lower())
    expect(page.locator(f"{STUDY} label[data-key='{letter.lower()}'] input")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator(f"{STUDY} .verdict-line")).to_have_text(re.compile("Right"))
