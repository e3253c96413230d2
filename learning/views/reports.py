"""Reporting a problem with a question: learners, instructors and editors file, editors close."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from learning.content.models import ProblemReport, Question
from learning.forms import ProblemReportForm, posted
from learning.tokens import CardToken, TokenInvalid
from learning.views import HtmxHttpRequest


@vary_on_headers("HX-Request")
def question_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET shows the form, POST files the report; htmx gets the fragment."""
    # Learners may report only what they have answered, or were just shown (a right
    # answer is recorded once rated): anything else is not found.
    shown = _shown_to(request, pk)
    questions = Question.objects.active() if shown else Question.objects.reportable_by(request.user)
    question = get_object_or_404(questions, pk=pk)
    form = ProblemReportForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            report = form.save(commit=False)
            report.question = question
            report.reporter = request.user
            report.prompt_seen = question.prompt
            report.answers_seen = list(question.answers)
            report.created_at = timezone.now()
            report.save()
            if request.htmx:
                return render(request, "learning/report.html#filed", {"question": question})
            return redirect(f"{reverse('question_report', args=[question.pk])}?filed=1")
        status = 422
    context = {
        "question": question,
        "form": form,
        "shown": request.POST.get("shown", "") if shown else "",
        "filed": request.GET.get("filed") == "1",
        "open_reports": ProblemReport.objects.open().filter(
            reporter=request.user, question=question
        ),
        # What the editors did with each, in their words to the reporter.
        "my_reports": ProblemReport.objects.filter(reporter=request.user, question=question),
    }
    template = "learning/report.html" + ("#report-form" if request.htmx else "")
    return render(request, template, context, status=status)


def _shown_to(request: HttpRequest, pk: int) -> bool:
    """Whether the posted study token says question `pk` was shown to this learner."""
    try:
        token = CardToken.load(request.POST.get("shown", ""))
    except TokenInvalid:
        return False
    return token.learner == request.user.pk and token.question == pk
