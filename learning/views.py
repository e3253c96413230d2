from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.vary import vary_on_headers

from learning.forms import BankFilterForm
from learning.models import Question, Source

BANK_PAGE_SIZE = 25


def home(request: HttpRequest) -> HttpResponse:
    return redirect("bank")


def cited(question: Question, sources: dict[str, Source]) -> list[dict[str, str]]:
    """A question's citations with their sources' titles, for display."""
    out = []
    for citation in question.citations:
        key, _, section = citation.partition(": ")
        source = sources.get(key)
        out.append(
            {
                "title": source.title if source else key,
                "file": source.file if source else "",
                "section": section,
            }
        )
    return out


@vary_on_headers("HX-Request")
def bank(request: HttpRequest) -> HttpResponse:
    form = BankFilterForm(request.GET or None)
    questions = Question.objects.active().select_related("topic").prefetch_related("levels")
    if form.is_valid():
        data = form.cleaned_data
        questions = questions.at_levels([lv.key for lv in data["level"]])
        questions = questions.in_topics([data["topic"]] if data["topic"] else [])
        if data["kind"]:
            questions = questions.filter(kind=data["kind"])
        if data["q"]:
            questions = questions.filter(prompt__icontains=data["q"])
        if not data["inaccuracies"]:
            questions = questions.filter(default_deck=True)
    elif form.is_bound:
        questions = questions.none()
    else:
        questions = questions.filter(default_deck=True)
    page = Paginator(questions.order_by("topic__pk", "key"), BANK_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sources = {s.key: s for s in Source.objects.all()}
    for question in page:
        question.cited = cited(question, sources)
    query = request.GET.copy()
    query.pop("page", None)
    template = "learning/bank.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})
