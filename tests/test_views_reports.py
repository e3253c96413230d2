"""Reporting a problem with a question, and the editors' queue of reports."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learning.models import ProblemReport, Question, ReviewLog, Role
from learning.roles import roles_ensure
from learning.study.services import review_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def answered(learner, question: Question) -> None:
    review_record(
        learner=learner,
        question=question,
        answer=["no idea"],
        correct=False,
        rating=ReviewLog.Rating.AGAIN,
        expected_count=0,
        duration_ms=4000,
        now=timezone.now(),
        desired_retention=0.9,
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def question(spine_bank):
    return Question.objects.active().filter(kind="mcq").order_by("key").first()


@pytest.fixture
def learner(question):
    learner = UserFactory()
    learner.groups.add(roles_ensure()[Role.LEARNER])
    answered(learner, question)
    return learner


def test_the_feedback_and_the_card_page_offer_to_report_a_problem(learner, question):
    client = client_for(learner)
    card = learner.cards.get(question=question)
    page = client.get(reverse("card", args=[card.pk])).content.decode()
    assert "Report a problem with this question" in page
    assert reverse("question_report", args=[question.pk]) in page


def test_a_learner_reports_a_question_they_answered_with_htmx(learner, question):
    client = client_for(learner)
    url = reverse("question_report", args=[question.pk])
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode()
    assert "Another choice is also correct" in form.content.decode()

    response = client.post(
        url,
        {"problem": "distractor-correct", "comment": "<b>L3</b> is also right here."},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200 and "is with the editors" in response.content.decode()
    report = ProblemReport.objects.get()
    assert (report.reporter, report.question, report.problem) == (
        learner,
        question,
        "distractor-correct",
    )
    assert report.prompt_seen == question.prompt and report.answers_seen == question.answers
    assert report.is_open


def test_without_htmx_a_report_redirects_and_thanks(learner, question):
    client = client_for(learner)
    url = reverse("question_report", args=[question.pk])
    response = client.post(url, {"problem": "typo", "comment": ""})
    assert response.status_code == 302 and response["Location"].endswith("?filed=1")
    page = client.get(response["Location"]).content.decode()
    assert "is with the editors" in page and "1 open report" in page


def test_a_report_without_a_problem_is_refused_and_nothing_is_filed(learner, question):
    client = client_for(learner)
    url = reverse("question_report", args=[question.pk])
    for data in ({"comment": "hm"}, {"problem": "made-up"}):
        response = client.post(url, data)
        assert response.status_code == 422
        assert "errorlist" in response.content.decode()
    assert not ProblemReport.objects.exists()


def test_learners_may_report_only_questions_they_have_answered(learner, question):
    other = Question.objects.active().exclude(pk=question.pk).first()
    client = client_for(learner)
    assert client.get(reverse("question_report", args=[other.pk])).status_code == 404
    response = client.post(reverse("question_report", args=[other.pk]), {"problem": "typo"})
    assert response.status_code == 404 and not ProblemReport.objects.exists()


def test_instructors_may_report_any_active_question(question):
    instructor = UserFactory()
    instructor.groups.add(roles_ensure()[Role.INSTRUCTOR])
    client = client_for(instructor)
    url = reverse("question_report", args=[question.pk])
    assert client.post(url, {"problem": "ambiguous"}).status_code == 302
    retired = Question.objects.filter(is_active=False).first() or Question.objects.create(
        **{
            f.name: getattr(question, f.name)
            for f in Question._meta.concrete_fields
            if f.name not in ("id", "key", "is_active")
        },
        key="mcq-retired00001",
        is_active=False,
    )
    assert client.get(reverse("question_report", args=[retired.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, question):
    response = client.get(reverse("question_report", args=[question.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_editors_see_the_queue_linked_to_fact_and_question_and_close_with_a_resolution(
    learner, question
):
    client_for(learner).post(
        reverse("question_report", args=[question.pk]),
        {"problem": "wrong-answer", "comment": "<script>alert(1)</script>"},
    )
    report = ProblemReport.objects.get()
    editor = UserFactory(is_staff=True)
    editor.groups.add(roles_ensure()[Role.CONTENT_EDITOR])
    client = client_for(editor)

    queue = client.get(reverse("admin:learning_problemreport_changelist") + "?state=open")
    html = queue.content.decode()
    assert queue.status_code == 200 and "The marked answer is wrong" in html
    assert reverse("admin:learning_question_change", args=[question.pk]) in html
    fact = question.facts.first()
    assert reverse("admin:learning_fact_change", args=[fact.pk]) in html
    page = client.get(reverse("admin:learning_problemreport_change", args=[report.pk]))
    assert "<script>alert(1)</script>" not in page.content.decode()

    response = client.post(
        reverse("admin:learning_problemreport_change", args=[report.pk]),
        {"resolution": "fixed", "resolution_note": "Corrected the fact's object.", "_save": "Save"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert not report.is_open and report.closed_by == editor and report.resolution == "fixed"


def test_editors_close_reports_in_bulk(learner, question):
    client_for(learner).post(reverse("question_report", args=[question.pk]), {"problem": "typo"})
    editor = UserFactory(is_staff=True)
    editor.groups.add(roles_ensure()[Role.CONTENT_EDITOR])
    report = ProblemReport.objects.get()
    client_for(editor).post(
        reverse("admin:learning_problemreport_changelist"),
        {"action": "close_not_a_problem", "_selected_action": [str(report.pk)]},
    )
    report.refresh_from_db()
    assert report.resolution == "not-a-problem" and report.closed_by == editor


def test_the_reporter_reads_what_the_editors_did_and_wrote_back(learner, question):
    reporter = client_for(learner)
    reporter.post(reverse("question_report", args=[question.pk]), {"problem": "typo"})
    editor = UserFactory(is_staff=True)
    editor.groups.add(roles_ensure()[Role.CONTENT_EDITOR])
    report = ProblemReport.objects.get()
    client_for(editor).post(
        reverse("admin:learning_problemreport_change", args=[report.pk]),
        {
            "resolution": "fixed",
            "resolution_note": "Spelling <i>fixed</i>, thank you.",
            "_save": "1",
        },
    )

    page = reporter.get(reverse("question_report", args=[question.pk])).content.decode()
    assert "Your reports on this question" in page and "Fixed in the fact base" in page
    assert "Spelling &lt;i&gt;fixed&lt;/i&gt;, thank you." in page
    dashboard = reporter.get(reverse("dashboard")).content.decode()
    assert "The editors answered your reports" in dashboard
    assert "Spelling &lt;i&gt;fixed&lt;/i&gt;, thank you." in dashboard
    assert reverse("question_report", args=[question.pk]) in dashboard
    # Someone else's report, and an answer of long ago, are not on the dashboard.
    other = UserFactory()
    assert (
        "The editors answered" not in client_for(other).get(reverse("dashboard")).content.decode()
    )
    ProblemReport.objects.update(closed_at=timezone.now() - timedelta(days=40))
    assert "The editors answered" not in reporter.get(reverse("dashboard")).content.decode()


def test_the_thank_you_for_a_report_reads_as_a_success_not_a_warning(learner, question):
    client = client_for(learner)
    response = client.post(
        reverse("question_report", args=[question.pk]),
        {"problem": "typo"},
        headers={"HX-Request": "true"},
    )
    assert 'class="message success" role="status"' in response.content.decode()


def test_a_learner_reports_a_question_answered_right_before_rating_it(spine_bank):
    from tests.test_views_study import answer_data, shown

    newcomer = UserFactory()
    client = client_for(newcomer)
    question, token, _ = shown(client)
    feedback = client.post(
        reverse("study_answer"), answer_data(question, token), headers={"HX-Request": "true"}
    ).content.decode()
    assert not ReviewLog.objects.filter(learner=newcomer).exists(), "recorded once rated"
    report_form = feedback.split('class="report-form"')[1]
    token = re.search(r'name="shown" value="([^"]+)"', report_form)[1]
    url = reverse("question_report", args=[question.pk])

    response = client.post(url, {"problem": "typo", "shown": token}, headers={"HX-Request": "true"})

    assert response.status_code == 200 and "is with the editors" in response.content.decode()
    assert ProblemReport.objects.get().reporter == newcomer
    # The token is this learner's, for this question: not another's, not another question.
    other = client_for(UserFactory())
    assert other.post(url, {"problem": "typo", "shown": token}).status_code == 404
    elsewhere = Question.objects.active().exclude(pk=question.pk).first()
    response = client.post(
        reverse("question_report", args=[elsewhere.pk]), {"problem": "typo", "shown": token}
    )
    assert response.status_code == 404
    assert ProblemReport.objects.count() == 1
