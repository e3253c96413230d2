"""Class progress and item statistics, read as an instructor reads them (the page and its CSV)."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning.courses import itemstats, teaching
from learning.models import Card, Question, ReviewLog
from tests.factories import (
    AssignmentFactory,
    CourseFactory,
    DeckFactory,
    EnrolmentFactory,
    UserFactory,
    review,
)

pytestmark = pytest.mark.django_db


answer = review


def exported(client, course):
    response = client.get(reverse("teach_progress_csv", args=[course.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# Class progress ---------------------------------------------------------------------


def test_the_class_table_shows_each_learners_study_of_the_course(teacher, course):
    assignment = AssignmentFactory(
        course=course, deck=DeckFactory(course=course, levels=["L2"], topics=["dermatome"])
    )
    keen, idle = UserFactory(username="keen"), UserFactory(username="idle")
    for learner in (keen, idle):
        EnrolmentFactory(course=course, learner=learner)
    deck_questions = list(assignment.deck.questions().order_by("pk")[:3])
    elsewhere = Question.objects.in_default_decks().exclude(levels__key="L2").first()
    for question in deck_questions:
        answer(keen, question)
    answer(keen, deck_questions[0], right=False)  # a second review of the first
    answer(keen, elsewhere)  # not course work

    rows = {row["username"]: row for row in exported(teacher, course)}

    assert rows["keen"]["questions seen"] == "3"
    assert rows["keen"]["reviews"] == "4"
    assert int(rows["keen"]["mastery %"]) > 0
    assert rows["idle"]["questions seen"] == "0" and rows["idle"]["mastery %"] == "0"
    column = next(c for c in rows["keen"] if c.endswith(": standing"))
    assert rows["idle"][column] in ("on track", "behind")
    page = teacher.get(reverse("teach_progress", args=[course.pk])).content.decode()
    assert "keen" in page and "idle" in page
    assert "The class by level and topic" in page and "L2" in page


def test_standings_move_from_behind_to_target_reached(teacher, course, clock):
    # At 10 a.m. the due day ends three whole days away (3 days 18 hours): a first Good
    # answer (stability 2.3 days) fades below 90% by then, Easy on top of it does not.
    # Recall counts whole days, so the hour decided it without a fixed clock.
    deck = DeckFactory(course=course, levels=["L1"], topics=["dermatome"])
    assignment = AssignmentFactory(
        course=course,
        deck=deck,
        target_share=0.5,
        created_at=timezone.now() - timedelta(days=4),
        due_on=timezone.localdate() + timedelta(days=3),
    )
    learner = UserFactory(username="early")
    EnrolmentFactory(course=course, learner=learner, joined_at=assignment.created_at)
    late = UserFactory(username="late")
    EnrolmentFactory(course=course, learner=late)
    column = f"{deck.name} (due {assignment.due_on:%Y-%m-%d}): standing"

    # Four days gone and nothing begun: behind; but not someone who joined today.
    assert [row[column] for row in exported(teacher, course)] == ["behind", "on track"]
    clock.tick(minutes=1)
    for question in deck.questions():
        answer(learner, question)
    # Begun, but a single Good answer today fades below 90% before the due day ends.
    assert exported(teacher, course)[0][column] == "on track"
    clock.tick(minutes=1)
    for question in deck.questions():
        answer(learner, question, rating=ReviewLog.Rating.EASY)
    assert exported(teacher, course)[0][column] == "target reached"


def test_mastered_means_known_for_good_not_answered_a_minute_ago(teacher, course):
    deck = DeckFactory(course=course, levels=["L1"], topics=["dermatome"])
    assignment = AssignmentFactory(
        course=course, deck=deck, due_on=timezone.localdate() + timedelta(days=30)
    )
    learner = UserFactory(username="quick")
    EnrolmentFactory(course=course, learner=learner)
    question = deck.questions().first()
    answer(learner, question)
    answer(learner, question, when=timezone.now() + timedelta(minutes=1))
    facts = len(assignment.deck.taught_facts())
    column = f"{deck.name} (due {assignment.due_on:%Y-%m-%d}): facts mastered of {facts}"
    assert exported(teacher, course)[0][column] == "0"


def test_the_export_has_everyone_while_the_page_shows_a_page_at_a_time(teacher, course):
    AssignmentFactory(course=course)
    for n in range(30):
        EnrolmentFactory(course=course, learner=UserFactory(username=f"learner{n:02}"))
    EnrolmentFactory(course=course, learner=UserFactory(username="=HYPERLINK(1)"))
    rows = exported(teacher, course)
    assert len(rows) == 31
    assert "'=HYPERLINK(1)" in {r["username"] for r in rows}, "formulas are made inert"
    page = teacher.get(reverse("teach_progress", args=[course.pk])).content.decode()
    assert page.count('id="learner-') == 25 and "Page 1 of 2" in page
    second = teacher.get(
        reverse("teach_progress", args=[course.pk]), {"page": 2}, headers={"HX-Request": "true"}
    ).content.decode()
    assert second.count('id="learner-') == 6 and "<html" not in second


def _class_of(course, size):
    assignments = [
        AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=levels))
        for levels in (["L1"], ["L2", "L3"])
    ]
    questions = list(assignments[0].deck.questions()[:4]) + list(
        assignments[1].deck.questions()[:4]
    )
    now = timezone.now()
    learners = [UserFactory() for _ in range(size)]
    for learner in learners:
        EnrolmentFactory(course=course, learner=learner)
    Card.objects.bulk_create(
        Card(
            learner=learner,
            question=question,
            state=2,
            stability=4.0 + n,
            difficulty=5.0,
            due=now + timedelta(days=2),
            last_review=now - timedelta(days=n),
            reps=1,
            review_count=1,
        )
        for learner in learners
        for n, question in enumerate(questions)
    )
    return learners


def _progress_queries(client, course) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("teach_progress", args=[course.pk]))
    assert response.status_code == 200
    return len(captured)


def test_class_progress_costs_the_same_queries_for_3_and_30_learners(teacher, instructor):
    small, large = CourseFactory(instructors=[instructor]), CourseFactory(instructors=[instructor])
    _class_of(small, 3)
    _class_of(large, 30)
    # Computed on the first visit (by the task, which the tests run at once, inside the
    # request), read as stored on the next while nobody studies.
    computed = _progress_queries(teacher, small), _progress_queries(teacher, large)
    stored = _progress_queries(teacher, small), _progress_queries(teacher, large)
    print(f"\nclass progress page queries (3, 30 learners): computed {computed}, stored {stored}")
    assert computed[0] == computed[1] <= 30
    assert stored[0] == stored[1] <= 16


def test_class_progress_is_computed_again_once_a_learner_studies(teacher, course):
    assignment = AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    learner = UserFactory(username="steady")
    EnrolmentFactory(course=course, learner=learner)
    url = reverse("teach_progress", args=[course.pk])

    def reviews_shown():
        page = teacher.get(url).content.decode()
        return int(re.search(r'id="learner-\d+".*?class="reviews">(\d+)<', page, re.S).group(1))

    assert reviews_shown() == 0
    assert reviews_shown() == 0  # read as stored
    answer(learner, assignment.deck.questions().first())
    assert reviews_shown() == 1


def test_a_busy_class_has_its_report_computed_at_most_once_a_minute(course, settings, clock):
    settings.COURSE_REPORT_FRESH_SECONDS = 60
    assignment = AssignmentFactory(course=course, deck=DeckFactory(course=course, levels=["L2"]))
    learner = UserFactory(username="busy")
    EnrolmentFactory(course=course, learner=learner)
    start = timezone.now()

    def reviews_now():
        data = teaching.class_progress(course, timezone.now())
        return {row.username: row.reviews for row in data.learners}["busy"], data.computed_at

    assert reviews_now() == (0, start)
    clock.tick(seconds=5)
    answer(learner, assignment.deck.questions().first())
    # Within the minute the report is shown as computed, and says when that was ...
    clock.tick(seconds=25)
    assert reviews_now() == (0, start)
    # ... and after it, the review is counted.
    clock.tick(seconds=31)
    assert reviews_now() == (1, start + timedelta(seconds=61))


# Item statistics -------------------------------------------------------------------------


def _first_attempts(course, questions, pattern):
    """Learners answering `questions` first right or wrong as `pattern` (learner -> scores);
    a later review of each answers the other way, which must not count."""
    learners = []
    for scores in pattern:
        learner = UserFactory()
        EnrolmentFactory(course=course, learner=learner)
        start = timezone.now() - timedelta(days=3)
        for question, right in zip(questions, scores, strict=True):
            if right is None:
                continue
            answer(learner, question, right=bool(right), when=start)
            answer(learner, question, right=not right, when=start + timedelta(days=1))
        learners.append(learner)
    return learners


def test_item_statistics_come_from_first_attempts_and_wait_for_ten_learners(teacher, course):
    deck = DeckFactory(course=course, levels=["L2"], kinds=["mcq"])
    AssignmentFactory(course=course, deck=deck)
    q1, q2, q3 = deck.questions().order_by("pk")[:3]
    pattern = [
        (1, 1, 1),
        (1, 1, 0),
        (1, 0, 1),
        (1, 1, None),
        (0, 0, 0),
        (0, 1, 0),
        (1, 0, 0),
        (0, 0, 1),
        (1, 1, 1),
        (0, 0, None),
    ]
    _first_attempts(course, [q1, q2, q3], pattern)
    expected = itemstats.item_statistics(
        {
            n: {q.pk: s for q, s in zip((q1, q2, q3), scores, strict=True) if s is not None}
            for n, scores in enumerate(pattern)
        }
    )
    page = teacher.get(reverse("teach_items", args=[course.pk])).content.decode()
    table = page.split('id="question-stats"')[1].split("</table>")[0]
    for question in (q1, q2):  # ten learners each
        stats = expected[question.pk]
        row = table.split(question.prompt)[1].split("</tr>")[0]
        assert re.search(r'class="facility">(\d+)%<', row)[1] == str(round(stats.facility))
        shown = re.search(r'class="discrimination[^"]*">(-?\d+)<', row)[1]
        assert shown == str(round(stats.discrimination))
    assert q3.prompt not in table, "eight learners are not enough"
    assert expected[q1.pk].facility == 60.0  # first attempts, not the later reviews
    worst = [expected[q.pk] for q in (q1, q2)]
    order = sorted(worst, key=lambda s: s.worst_first)
    assert table.index(Question.objects.get(pk=order[0].item).prompt) < table.index(
        Question.objects.get(pk=order[1].item).prompt
    )
    templates = page.split('id="template-stats"')[1].split("</table>")[0]
    assert "Single answer: given the" in templates, "templates are named in words"
    assert "mcq-" not in templates


def test_a_question_whose_answer_changed_counts_from_its_first_attempt_since(teacher, course):
    deck = DeckFactory(course=course, levels=["L2"], kinds=["mcq"])
    AssignmentFactory(course=course, deck=deck)
    question, other = deck.questions().order_by("pk")[:2]
    learners = _first_attempts(course, [question, other], [(0, 1)] * 6 + [(0, 0)] * 6)
    Question.objects.filter(pk=question.pk).update(answer_changed_at=timezone.now())
    later = timezone.now() + timedelta(minutes=5)
    for learner in learners:
        answer(learner, question, right=True, when=later)
    page = teacher.get(reverse("teach_items", args=[course.pk])).content.decode()
    row = page.split(question.prompt)[1].split("</tr>")[0]
    assert "100%" in row, "only the answers since the change count"


def test_item_statistics_sort_by_any_column_and_ignore_a_sort_they_do_not_have(teacher, course):
    deck = DeckFactory(course=course, levels=["L2"], kinds=["mcq"])
    AssignmentFactory(course=course, deck=deck)
    questions = list(deck.questions().order_by("pk")[:3])
    _first_attempts(course, questions, [(1, 0, 1)] * 5 + [(1, 1, 0)] * 5)
    url = reverse("teach_items", args=[course.pk])

    def prompts_in_order(**query):
        page = teacher.get(url, query).content.decode()
        table = page.split('id="question-stats"')[1].split("</table>")[0]
        return sorted((q for q in questions), key=lambda q: table.index(q.prompt)), page

    easiest_last, page = prompts_in_order(sort="facility")
    assert easiest_last[-1] == questions[0], "everyone got the first right: facility 100%"
    assert 'aria-sort="ascending"' in page and "Questions</h2>" in page
    easiest_first, page = prompts_in_order(sort="-facility")
    assert easiest_first[0] == questions[0] and 'aria-sort="descending"' in page
    usual, page = prompts_in_order()
    assert usual == prompts_in_order(sort="no-such-column")[0]
    assert "Questions, worst first" in page


# Sorting the class table, and one learner's page --------------------------------------------


def _class_with_three(course):
    assignment = AssignmentFactory(
        course=course, deck=DeckFactory(course=course, levels=["L2"], topics=["dermatome"])
    )
    questions = list(assignment.deck.questions().order_by("pk")[:3])
    people = {}
    for name, answered in (("bea", 2), ("al", 0), ("cy", 3)):
        people[name] = UserFactory(username=name, email=f"{name}@example.org")
        EnrolmentFactory(course=course, learner=people[name])
        for question in questions[:answered]:
            answer(people[name], question)
    return assignment, questions, people


def _names_in_table(page):
    return re.findall(r'<th scope="row"><a href="[^"]+">([a-z]+)</a></th>', page)


def test_the_class_table_sorts_by_its_columns_with_links_that_work_without_javascript(
    teacher, course
):
    assignment, _, _ = _class_with_three(course)
    url = reverse("teach_progress", args=[course.pk])
    assert _names_in_table(teacher.get(url).content.decode()) == ["al", "bea", "cy"]
    page = teacher.get(url, {"sort": "-seen"}).content.decode()
    assert _names_in_table(page) == ["cy", "bea", "al"]
    assert 'href="?sort=seen"' in page, "clicked again, it sorts the other way"
    assert _names_in_table(teacher.get(url, {"sort": "reviews"}).content.decode()) == [
        "al",
        "bea",
        "cy",
    ]
    by_assignment = teacher.get(url, {"sort": f"-a{assignment.pk}"}).content.decode()
    # Nobody has a fact mastered for a week yet: they all tie, and ties go by name.
    assert _names_in_table(by_assignment) == ["al", "bea", "cy"]
    header = by_assignment.split(f'id="sort-a{assignment.pk}"')[0].rsplit("<th", 1)[1]
    assert 'aria-sort="descending"' in header
    for junk in ("password", "-", "a999999", "<script>"):
        response = teacher.get(url, {"sort": junk})
        assert response.status_code == 200
        assert _names_in_table(response.content.decode()) == ["al", "bea", "cy"]
    fragment = teacher.get(url, {"sort": "-seen"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert _names_in_table(fragment.content.decode()) == ["cy", "bea", "al"]


def test_a_learners_page_shows_their_first_latest_and_recall_of_each_assigned_question(
    teacher, course
):
    assignment, questions, people = _class_with_three(course)
    bea = people["bea"]
    first = questions[0]
    answer(bea, first, right=False, when=timezone.now() + timedelta(minutes=1))
    url = reverse("teach_learner", args=[course.pk, bea.pk])
    page = teacher.get(url).content.decode()

    assert "bea@example.org" in page and assignment.deck.name in page
    assert 'id="learner-answered">2<' in page, "two of the assigned questions answered"
    rows = re.findall(r'<tr id="answer-(\d+)">(.*?)</tr>', page, re.S)
    assert {int(pk) for pk, _ in rows} == {q.pk for q in questions[:2]}
    row = dict(rows)[str(first.pk)]
    first_cell, latest_cell = re.findall(r'<td class="attempt">(.*?)</td>', row, re.S)
    assert ">right<" in first_cell and "Good" in first_cell
    assert ">wrong<" in latest_cell and "not this" in latest_cell
    assert 'class="recall' in row
    # The weakest first: the question just failed has the lowest recall.
    assert rows[0][0] == str(first.pk)
    by_question = teacher.get(url, {"sort": "-question"}).content.decode()
    assert 'aria-sort="descending"' in by_question


def test_a_learners_page_is_for_their_courses_instructors_only(teacher, course, instructor):
    _, _, people = _class_with_three(course)
    bea = people["bea"]
    url = reverse("teach_learner", args=[course.pk, bea.pk])
    assert teacher.get(url).status_code == 200

    other_course = CourseFactory()
    outsider = UserFactory()
    EnrolmentFactory(course=other_course, learner=outsider)
    # Someone who is not in this course is not found here, even by its instructor.
    assert teacher.get(reverse("teach_learner", args=[course.pk, outsider.pk])).status_code == 404
    # Another course's instructor finds no such course.
    stranger = Client()
    stranger.force_login(other_course.instructors.get())
    assert stranger.get(url).status_code == 404
    # The learner themselves, and a learner of another course, are refused.
    for who in (bea, outsider):
        client = Client()
        client.force_login(who)
        response = client.get(url)
        assert response.status_code == 403
        assert "bea@example.org" not in response.content.decode()


def test_a_learners_page_costs_the_same_queries_however_much_they_studied(teacher, course):
    assignment, questions, people = _class_with_three(course)
    more = list(assignment.deck.questions().order_by("pk")[3:15])

    def queries(learner):
        with CaptureQueriesContext(connection) as captured:
            response = teacher.get(reverse("teach_learner", args=[course.pk, learner.pk]))
        assert response.status_code == 200
        return len(captured)

    few = queries(people["bea"])
    for question in more:
        answer(people["bea"], question)
        answer(people["bea"], question, right=False)
    assert queries(people["bea"]) == few
