"""Every page of every role meets WCAG 2.1 A and AA, as axe-core checks it in Chromium.

One test per role, each in one browser context: signed out, learner, instructor and
content editor. Each walks its pages as that person would, through the htmx states too
(a question of each kind, right and wrong feedback, the bank's filtered results, the
deck builder's preview, the fact form's live preview), audits each page and state with
axe-core, and fails once at the end listing every violation. A few pages are audited
again in the dark colour scheme and at a phone's width.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from learning.models import (
    Card,
    Enrolment,
    Fact,
    LearnerSettings,
    ProblemReport,
    Question,
)
from tests.accessibility import Audit
from tests.browser import name_the_deck
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    DeckFactory,
    EditorFactory,
    EnrolmentFactory,
    InstructorFactory,
    UserFactory,
    review,
)
from tests.test_browser_study import STUDY, answer_by_keyboard, question_on

PASSWORD = "correct horse battery staple"


def answer(learner: Any, question: Question, *, right: bool, when: Any) -> None:
    review(learner, question, right=right, when=when, duration_ms=5000)


@pytest.fixture
def world(spine_bank) -> dict[str, Any]:
    """A course with an assigned deck, a learner with a week of study behind her (a leech,
    a report the editors answered, a deck of her own), ten classmates whose first attempts
    fill the item statistics, and an editor."""
    now = timezone.now()
    instructor = InstructorFactory(username="dr-spine")
    course = CourseFactory(instructors=[instructor], name="Spine block")
    deck = DeckFactory(course=course, owner=instructor, name="The L2 level", levels=["L2"])
    AssignmentFactory(course=course, deck=deck, created_at=now - timedelta(days=3))
    ada = UserFactory(username="ada", email="ada@example.org")
    EnrolmentFactory(course=course, learner=ada)
    questions = list(deck.questions().order_by("position", "pk")[:8])
    for n, question in enumerate(questions):
        answer(ada, question, right=n % 3 != 0, when=now - timedelta(days=6 - n % 5))
    Card.objects.filter(learner=ada, question=questions[0]).update(lapses=8)
    ProblemReport.objects.create(
        question=questions[0],
        reporter=ada,
        problem=ProblemReport.Problem.TYPO,
        prompt_seen=questions[0].prompt,
        answers_seen=questions[0].answers,
        created_at=now - timedelta(days=2),
        closed_at=now - timedelta(days=1),
        resolution=ProblemReport.Resolution.FIXED,
        resolution_note="The wording is clearer now.",
    )
    DeckFactory(course=None, owner=ada, name="My L1 deck", levels=["L1"])
    for n in range(10):
        classmate = UserFactory(username=f"classmate{n:02}")
        EnrolmentFactory(course=course, learner=classmate)
        for k, question in enumerate(questions[:3]):
            answer(classmate, question, right=(n + k) % 3 != 0, when=now - timedelta(days=2))
    return {
        "now": now,
        "course": course,
        "deck": deck,
        "ada": ada,
        "questions": questions,
        "instructor": instructor,
        "editor": EditorFactory(username="ed"),
    }


def log_in(page: Page, username: str, url: str = "/accounts/login/") -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "login" not in u)


def in_the_dark(page: Page, audit: Audit, state: str) -> None:
    """Audit the page again in the dark colour scheme."""
    page.emulate_media(color_scheme="dark")
    audit(page, f"{state}, dark")
    page.emulate_media(color_scheme="light")


def on_a_phone(page: Page, audit: Audit, state: str) -> None:
    """Audit the page again at a phone's width."""
    size = page.viewport_size
    page.set_viewport_size({"width": 375, "height": 740})
    audit(page, f"{state}, phone")
    page.set_viewport_size(size)


# Signed out -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_signed_out_pages_meet_wcag_21_aa(page: Page) -> None:
    UserFactory(username="someone")
    audit = Audit("signed out")
    page.goto("/")
    audit(page, "home page")
    on_a_phone(page, audit, "home page")
    in_the_dark(page, audit, "home page")
    page.goto("/accounts/login/")
    audit(page, "log in")
    page.fill("#id_username", "someone")
    page.fill("#id_password", "wrong")
    page.keyboard.press("Enter")
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "log in, wrong password")
    page.goto("/accounts/signup/")
    audit(page, "sign up")
    page.fill("#id_username", "someone")  # taken
    page.fill("#id_email", "someone@example.org")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "other")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "sign up, with errors")
    for url, state in [
        ("/accounts/password_reset/", "forgotten password"),
        ("/accounts/password_reset/done/", "reset mail sent"),
        ("/accounts/reset/MQ/not-a-token/", "reset link no longer valid"),
        ("/accounts/reset/done/", "password reset"),
        ("/no-such-page/", "not found"),
        ("/admin/login/", "fact base log in"),
    ]:
        page.goto(url)
        audit(page, state)
    audit.assert_clean(at_least=12)


# The learner ------------------------------------------------------------------------------


def _study_each_kind(page: Page, audit: Audit) -> None:
    """A question of each kind, and the feedback of a right and of a wrong answer."""
    page.goto("/study/")
    expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
    audit(page, "study, a question")
    in_the_dark(page, audit, "study, a question")
    question = question_on(page)
    answer_by_keyboard(page, question, right=False)
    expect(page.locator(f"{STUDY} .verdict-line")).to_contain_text("Not quite")
    audit(page, "study, feedback of a wrong answer (htmx)")
    page.keyboard.press("Enter")  # Next question
    expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
    audit(page, "study, the next question (htmx)")
    question = question_on(page)
    answer_by_keyboard(page, question, right=True)
    expect(page.locator(f"{STUDY} [data-rate='3']")).to_be_focused()
    audit(page, "study, feedback of a right answer with the ratings (htmx)")
    in_the_dark(page, audit, "study, the ratings")
    on_a_phone(page, audit, "study, the ratings")
    page.locator(f"{STUDY} .card-tools summary").click()
    audit(page, "study, flag or note opened")
    page.keyboard.press("Escape")
    page.locator(f"{STUDY} [data-rate='3']").focus()
    page.keyboard.press("Space")  # Good
    expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
    audit(page, "study, after a rating, with undo (htmx)")
    for kind in ("typed", "order", "multi", "truefalse", "vignette"):
        page.goto(f"/study/custom/?kind={kind}")
        expect(page.locator(f"{STUDY} form[data-answer]")).to_be_visible()
        audit(page, f"study, a {kind} question")
    question = question_on(page)
    answer_by_keyboard(page, question, right=True)
    expect(page.locator(f"{STUDY} .verdict-line")).to_contain_text("Right")
    page.locator(f"{STUDY} details.report summary").click()
    audit(page, "study, report a problem opened")
    page.locator(f"{STUDY} details.report input[type=radio]").first.check()
    page.locator(f"{STUDY} details.report").get_by_role("button", name="Send the report").click()
    expect(page.locator(f"{STUDY} .message.success")).to_be_visible()
    audit(page, "study, report filed (htmx)")


@pytest.mark.django_db(transaction=True)
def test_a_learners_pages_meet_wcag_21_aa(page: Page, world: dict[str, Any]) -> None:
    ada = world["ada"]
    audit = Audit("learner")
    log_in(page, "ada")
    page.goto("/dashboard/")
    expect(page.locator("svg.spine")).to_be_visible()
    expect(page.get_by_text("The editors answered your reports")).to_be_visible()
    audit(page, "progress")
    in_the_dark(page, audit, "progress")
    on_a_phone(page, audit, "progress")

    _study_each_kind(page, audit)

    page.goto("/study/custom/")
    audit(page, "choose what to study")
    # Every level and topic in sight: no list is a box to scroll inside.
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('.checks > div')]"
        ".filter(list => list.scrollHeight > list.clientHeight + 1).length"
    )
    assert clipped == 0
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "choose what to study, nothing chosen")
    page.goto("/study/custom/?level=L2&topic=anatomy")
    audit(page, "study a chosen level and topic")

    card = Card.objects.filter(learner=ada).order_by("-lapses").first()
    page.goto(f"/cards/{card.pk}/")
    audit(page, "a card's history")
    page.goto(f"/questions/{card.question_id}/report/")
    audit(page, "report a problem, with the editors' answer")

    page.goto("/bank/")
    audit(page, "question bank")
    page.fill("#id_q", "nerve")
    expect(page).to_have_url(re.compile(r".*q=nerve.*"))
    page.locator("#results details.why").first.locator("summary").click()
    audit(page, "question bank, filtered by words, an answer opened (htmx)")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r".*page=2.*"))
    audit(page, "question bank, page 2 (htmx)")
    in_the_dark(page, audit, "question bank")

    page.goto("/decks/new/")
    audit(page, "build a deck")
    page.get_by_role("checkbox", name="L1-L2", exact=True).check()
    expect(page.locator("#deck-count")).not_to_have_text("0")
    audit(page, "build a deck, the preview (htmx)")
    page.get_by_label("Questions I pick by hand from those that match").check()
    expect(page.locator("#preview .pick").first).to_be_visible()
    audit(page, "build a deck, picking by hand (htmx)")
    name_the_deck(page, "Picked, none yet")
    page.get_by_role("button", name="Save the deck").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "build a deck, refused with errors")

    for url, state in [
        ("/decks/", "my decks"),
        ("/assignments/", "assignments"),
        ("/join/", "join a course"),
        ("/settings/", "settings"),
        ("/cards/held/", "suspended and buried cards"),
        ("/my-data/", "your data"),
        ("/accounts/password_change/", "change password"),
        ("/teach/", "a teacher's page, refused"),
        ("/cards/999999/", "someone else's card, not found"),
    ]:
        page.goto(url)
        audit(page, state)
    in_the_dark(page, audit, "your data")
    page.goto("/join/")
    page.get_by_label("Join code").fill("NOPE")
    page.get_by_role("button", name="Join").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "join a course, unknown code")

    page.goto("/study/custom/?leeches=1&kind=order")
    expect(page.locator(f"{STUDY} .done")).to_be_visible()
    audit(page, "study, nothing left of a choice")
    # Done for now: out of the course, no new questions today, nothing due.
    Enrolment.objects.filter(learner=ada).delete()
    LearnerSettings.objects.filter(learner=ada).update(new_per_day=0)
    Card.objects.filter(learner=ada).update(due=world["now"] + timedelta(days=3))
    page.goto("/study/")
    expect(page.locator(f"{STUDY} .done")).to_be_visible()
    audit(page, "study, done for now")
    audit.assert_clean(at_least=45)


# The instructor ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_instructors_pages_meet_wcag_21_aa(page: Page, world: dict[str, Any]) -> None:
    course, ada = world["course"], world["ada"]
    audit = Audit("instructor")
    log_in(page, "dr-spine")
    base = f"/teach/courses/{course.pk}"
    for url, state in [
        ("/teach/", "your courses"),
        ("/teach/courses/new/", "a new course"),
        (f"{base}/", "the course"),
        (f"{base}/progress/", "class progress"),
        (f"{base}/items/", "item statistics"),
        (f"{base}/items/?sort=-facility", "item statistics, sorted"),
        (f"{base}/learners/{ada.pk}/", "one learner's answers"),
        (f"{base}/enrol/", "enrol learners"),
        (f"{base}/assignments/new/", "assign a deck"),
        (f"{base}/decks/{world['deck'].pk}/", "change a deck"),
    ]:
        page.goto(url)
        audit(page, state)
    in_the_dark(page, audit, "enrol learners")

    page.goto(f"{base}/progress/")
    page.get_by_role("link", name="Mastery").click()
    expect(page).to_have_url(re.compile(r".*sort=mastery.*"))
    audit(page, "class progress, sorted by mastery (htmx)")
    in_the_dark(page, audit, "class progress")
    on_a_phone(page, audit, "class progress")
    page.get_by_role("link", name="ada", exact=True).click()
    expect(page.get_by_role("heading", name="ada")).to_be_visible()
    page.get_by_role("link", name="First attempt").click()
    expect(page).to_have_url(re.compile(r".*sort=first.*"))
    audit(page, "one learner's answers, sorted (htmx)")
    in_the_dark(page, audit, "one learner's answers")
    on_a_phone(page, audit, "one learner's answers")
    page.goto(f"{base}/items/")
    on_a_phone(page, audit, "item statistics")

    page.goto(f"{base}/enrol/")
    page.get_by_label("Emails, one a line").fill("nobody@example.org\nnot an email")
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("#bad-rows")).to_be_visible()
    audit(page, "enrol learners, rows refused")
    page.goto(f"{base}/decks/new/")
    audit(page, "build a course deck")
    page.get_by_role("checkbox", name="L1-L2", exact=True).check()
    expect(page.locator("#deck-count")).not_to_have_text("0")
    audit(page, "build a course deck, the preview (htmx)")
    page.goto(f"{base}/assignments/new/")
    page.get_by_label("Due date").fill("2000-01-01")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    audit(page, "assign a deck, a date in the past")
    question = world["questions"][0]
    page.goto(f"/questions/{question.pk}/report/")
    audit(page, "flag a question for the editors")
    audit.assert_clean(at_least=23)


# The content editor -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_content_editors_pages_meet_wcag_21_aa(page: Page, world: dict[str, Any]) -> None:
    audit = Audit("content editor")
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    log_in(page, "ed", "/admin/login/?next=/admin/")
    fact = Fact.objects.get(
        subject__key="root-l4",
        relation__key="key-muscle",
        object__key="movement-ankle-dorsiflexion",
    )
    fact.explanation += " Tested with the foot lifted against resistance."
    fact.save()  # a second version, so the history has a change to show
    question = world["questions"][0]
    report = ProblemReport.objects.get()
    for url, state in [
        ("/admin/", "the fact base"),
        ("/admin/learning/fact/", "facts"),
        ("/admin/learning/fact/?status__exact=published&q=nerve", "facts, searched and filtered"),
        (f"/admin/learning/fact/{fact.pk}/history/", "a fact's history"),
        ("/admin/learning/fact/import/", "import the fact base"),
        ("/admin/learning/arguablepair/add/", "add an arguable pair"),
        ("/admin/learning/entity/", "entities"),
        (f"/admin/learning/entity/{fact.subject_id}/change/", "an entity"),
        (f"/admin/learning/relation/{fact.relation_id}/change/", "a relation"),
        ("/admin/learning/level/", "levels"),
        (f"/admin/learning/level/{fact.subject.levels.first().pk}/change/", "a level"),
        ("/admin/learning/source/", "sources"),
        ("/admin/learning/topic/", "topics"),
        ("/admin/learning/entitykind/", "entity kinds"),
        ("/admin/learning/question/", "questions"),
        (f"/admin/learning/question/{question.pk}/change/", "a question"),
        ("/admin/learning/problemreport/", "problem reports"),
        (f"/admin/learning/problemreport/{report.pk}/change/", "a problem report"),
        ("/admin/password_change/", "change password"),
    ]:
        page.goto(url)
        audit(page, state)
    version = fact.history.order_by("history_date").first()
    page.goto(f"/admin/learning/fact/{fact.pk}/history/{version.history_id}/")
    audit(page, "a past version of a fact")
    in_the_dark(page, audit, "a past version of a fact")

    page.goto(f"/admin/learning/fact/{fact.pk}/change/")
    preview = page.locator("#fact-preview")
    expect(preview.locator(".preview-summary")).to_be_visible()
    audit(page, "a fact, with the preview of its questions (htmx)")
    page.fill("#id_explanation", "Tibialis anterior lifts the foot: the L4 key muscle.")
    page.locator("#id_explanation").press("End")
    expect(preview).to_contain_text("reworded")
    audit(page, "a fact, edited, the preview following (htmx)")
    in_the_dark(page, audit, "a fact, edited")
    page.fill("#id_citations-0-section", "")
    page.locator("#id_citations-0-section").press("Backspace")
    expect(preview.locator(".errorlist").first).to_be_visible()
    audit(page, "a fact, a citation broken, the preview's errors (htmx)")
    page.get_by_text("Add another Citation").click()
    audit(page, "a fact, a citation added")

    # At 1280 px every column of the fact list fits beside the filters.
    page.goto("/admin/learning/fact/")
    widths = page.evaluate(
        "() => [document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist-form .results').clientWidth]"
    )
    assert page.viewport_size["width"] == 1280 and widths[0] <= widths[1], widths

    page.goto("/admin/learning/fact/add/")
    expect(preview.locator(".errorlist").first).to_be_visible()
    audit(page, "add a fact")
    page.locator("input[name=_save]").click()
    expect(page.locator(".errornote")).to_be_visible()
    audit(page, "add a fact, refused with errors")
    assert not missing, f"asked for and not found: {missing}"  # /favicon.ico, say
    audit.assert_clean(at_least=28)
