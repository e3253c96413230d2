"""An editor fixes a fact's wording in the admin; the learner's next session shows it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from learning.models import Card, Fact, Question, ReviewLog, Role
from learning.roles import roles_ensure
from learning.study.services import review_record
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
WORDING = "Tibialis anterior lifts the foot at the ankle: the ISNCSCI key muscle for L4."


def log_in(page: Page, username: str, url: str) -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_an_editor_fixes_wording_with_a_preview_and_the_learner_keeps_their_schedule(
    page: Page, spine_bank
):
    fact = Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )
    question = Question.objects.get(facts=fact, template="mcq-forward", is_active=True)
    learner = UserFactory(username="ankle-learner")
    learner.groups.add(roles_ensure()[Role.LEARNER])
    review_record(
        learner=learner,
        question=question,
        answer=list(question.answers),
        correct=True,
        rating=ReviewLog.Rating.GOOD,
        expected_count=0,
        duration_ms=6000,
        now=timezone.now() - timedelta(days=12),
        desired_retention=0.9,
    )
    card = Card.objects.get(learner=learner, question=question)
    schedule = (card.due, card.stability, card.difficulty, card.reps)
    editor = UserFactory(username="fact-editor", is_staff=True)
    editor.groups.add(roles_ensure()[Role.CONTENT_EDITOR])

    log_in(page, "fact-editor", f"/admin/login/?next=/admin/learning/fact/{fact.pk}/change/")
    preview = page.locator("#fact-preview")
    expect(preview).to_contain_text("Which key muscle function tests the L4 nerve root myotome?")
    expect(preview.locator(".preview-choices .right").first).to_contain_text("Ankle dorsiflexion")
    page.fill("#id_explanation", WORDING)
    page.locator("#id_explanation").press("End")  # a key up: the preview follows the typing
    expect(preview).to_contain_text(WORDING)
    expect(preview).to_contain_text("reworded")
    assert WORDING not in Question.objects.get(pk=question.pk).explanation, "not saved yet"
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("questions were regenerated")

    card.refresh_from_db()
    assert (card.due, card.stability, card.difficulty, card.reps) == schedule
    assert card.reset_at is None

    page.context.clear_cookies()
    log_in(page, "ankle-learner", "/accounts/login/?next=/study/")
    expect(page.locator("#prompt")).to_have_text(question.prompt)
    expect(page.locator("#study .tags")).not_to_contain_text("new")
    expect(page.locator("#study .tags")).not_to_contain_text("changed")
    page.locator("label.option", has_text="Ankle dorsiflexion").click()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#study .verdict-line")).to_contain_text("Right")
    expect(page.locator("#study .explanation")).to_contain_text(WORDING)
    expect(page.locator("#study [data-rate='3']")).to_contain_text("Good")
