"""Courses, decks and assignments: the instructor's pages, and the learner's side of them.

Instructor pages need the instructor role (403 without it); a course is found
only among the courses the user teaches, so anyone else's course is 404.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from learning import ratelimit, sorting
from learning.courses import item_report, learner_report, stored_reports, teaching
from learning.courses.forms import (
    INSTRUCTOR_PERMISSION,
    AssignmentForm,
    CourseForm,
    DeckForm,
    EnrolForm,
    InstructorAddForm,
    JoinForm,
)
from learning.courses.itemstats import MIN_LEARNERS
from learning.courses.models import Course, CourseReport, Enrolment
from learning.courses.services import (
    InstructorRemovalRefused,
    course_create,
    course_enrol_emails,
    course_join,
    course_team_remove,
)
from learning.exports import spreadsheet_safe
from learning.forms import posted
from learning.study.decks import deck_preview, decks_sized
from learning.study.models import Deck
from learning.study.services import assignment_exam_set
from learning.views import HtmxHttpRequest
from learning.views.auth import rate_limited

LEARNERS_PAGE_SIZE = 50
PROGRESS_PAGE_SIZE = 25
ANSWERS_PAGE_SIZE = 50
ITEMS_SHOWN = 50  # questions on the item statistics page, worst first, unless all are asked

View = Callable[..., HttpResponse]


def instructor_only(view: View) -> View:
    """Django's `permission_required`: 403 without the instructor role, with a page
    that says whom it is for (`spinequiz.urls.permission_denied` reads `for_whom`)."""
    guarded = permission_required(INSTRUCTOR_PERMISSION, raise_exception=True)(view)
    guarded.for_whom = "instructors"  # type: ignore[attr-defined]
    return guarded


def course_taught(view: View) -> View:
    """Pass the URL's course to the view, if the user teaches it; anyone else's is not found."""

    @instructor_only
    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        course = get_object_or_404(Course.objects.taught_by(request.user), pk=pk)
        return view(request, course, *args, **kwargs)

    return wrapped


def _course_url(course: Course) -> str:
    return reverse("teach_course", args=[course.pk])


# Courses ---------------------------------------------------------------------------


@instructor_only
@require_safe
def teach(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.taught_by(request.user).annotate(
        learner_count=Count("enrolments", distinct=True),
        assignment_count=Count("assignments", distinct=True),
    )
    return render(request, "learning/teach/home.html", {"courses": courses, "form": CourseForm()})


@instructor_only
def course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        course = course_create(name=form.cleaned_data["name"], instructor=request.user)
        messages.success(request, f"{course.name} is ready. Give your learners its join code.")
        return redirect(_course_url(course))
    return render(
        request,
        "learning/teach/course_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _course_context(request: HttpRequest, course: Course, **extra: Any) -> dict[str, Any]:
    decks = decks_sized(course.decks.all())
    learners = Paginator(
        Enrolment.objects.filter(course=course)
        .select_related("learner")
        .order_by("learner__username", "pk"),
        LEARNERS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    join_url = request.build_absolute_uri(f"{reverse('join')}?{urlencode({'code': course.code})}")
    context = {
        "course": course,
        "learners": learners,
        "instructors": course.instructors.order_by("username"),
        "decks": decks,
        "assignments": course.assignments.select_related("deck"),
        "join_url": join_url,
        "enrol_form": EnrolForm(),
        "instructor_form": InstructorAddForm(course=course),
    }
    context.update(extra)
    return context


@course_taught
@vary_on_headers("HX-Request")
@require_safe
def course_detail(request: HtmxHttpRequest, course: Course) -> HttpResponse:
    template = "learning/teach/course.html" + ("#learners" if request.htmx else "")
    return render(request, template, _course_context(request, course))


@course_taught
@require_POST
def course_code_rotate(request: HttpRequest, course: Course) -> HttpResponse:
    course.code_rotate()
    messages.success(
        request, f"The new join code is {course.code_display}; the old one no longer works."
    )
    return redirect(_course_url(course))


@course_taught
def course_enrol(request: HttpRequest, course: Course) -> HttpResponse:
    form = EnrolForm(posted(request), request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = course_enrol_emails(
            course=course, text=form.cleaned_data["text"], now=timezone.now()
        )
        if report.ok:
            count = len(report.enrolled)
            messages.success(request, f"Enrolled {count} learner{'s' if count != 1 else ''}.")
            return redirect(_course_url(course))
    failed = request.method == "POST"
    return render(
        request,
        "learning/teach/enrol.html",
        {"course": course, "form": form, "report": report},
        status=422 if failed else 200,
    )


@course_taught
@require_POST
def course_learner_remove(request: HttpRequest, course: Course, learner_pk: int) -> HttpResponse:
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("learner"), course=course, learner_id=learner_pk
    )
    enrolment.delete()
    messages.success(
        request,
        f"{enrolment.learner.get_username()} is no longer in {course.name}; their own study is kept.",
    )
    return redirect(_course_url(course))


@course_taught
@require_POST
def course_instructor_add(request: HttpRequest, course: Course) -> HttpResponse:
    form = InstructorAddForm(request.POST, course=course)
    if not form.is_valid():
        return render(
            request,
            "learning/teach/course.html",
            _course_context(request, course, instructor_form=form),
            status=422,
        )
    user = form.cleaned_data["who"]
    course.instructors.add(user)
    messages.success(request, f"{user.get_username()} now teaches {course.name} with you.")
    return redirect(_course_url(course))


@course_taught
@require_POST
def course_instructor_remove(request: HttpRequest, course: Course, user_pk: int) -> HttpResponse:
    instructor = get_object_or_404(course.instructors, pk=user_pk)
    try:
        course_team_remove(course=course, instructor=instructor, by=request.user)
    except InstructorRemovalRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(_course_url(course))
    if instructor == request.user:
        messages.success(request, f"You no longer teach {course.name}.")
        return redirect("teach")
    messages.success(request, f"{instructor.get_username()} no longer teaches {course.name}.")
    return redirect(_course_url(course))


# Decks: one builder for a course's decks and for a learner's own ----------------------


def _preview(form: DeckForm, deck: Deck) -> dict[str, Any]:
    """What the deck would hold: counts and a sample, or the lists to pick from."""
    if form.is_bound:
        form.is_valid()
        criteria = form.criteria()
        mode = form.cleaned_data.get("mode", "filter")
        picked_ids = form.cleaned_data.get("picked", [])
    else:
        criteria = replace(deck.filter, picked=())
        mode = "picked" if deck.picked else "filter"
        picked_ids = list(deck.picked)
    return deck_preview(criteria, mode=mode, picked_ids=picked_ids)


def _deck_builder(
    request: HtmxHttpRequest, deck: Deck, *, done_url: str, context: dict[str, Any]
) -> HttpResponse:
    """GET: the builder; POST action=preview: the preview (htmx: just it); POST: save."""
    previewing = request.POST.get("action") == "preview"
    form = (
        DeckForm(request.POST)
        if request.method == "POST"
        else DeckForm(initial=DeckForm.initial_of(deck) if deck.pk else None)
    )
    if request.method == "POST" and not previewing and form.is_valid():
        created = deck.pk is None
        form.apply(deck).save()
        verb = "saved" if created else "updated"
        messages.success(request, f"The deck {deck.name} is {verb}.")
        return redirect(done_url)
    context = {
        **context,
        "form": form,
        "deck": deck,
        "preview": _preview(form, deck),
        "show_errors": request.method == "POST" and not previewing,
        "done_url": done_url,
    }
    template = "learning/deck_builder.html"
    if request.htmx and previewing:
        template += "#preview"
    failed = request.method == "POST" and not previewing
    return render(request, template, context, status=422 if failed else 200)


@course_taught
@vary_on_headers("HX-Request")
def course_deck_new(request: HttpRequest, course: Course) -> HttpResponse:
    deck = Deck(course=course, owner=request.user)
    return _deck_builder(request, deck, done_url=_course_url(course), context={"course": course})


@course_taught
@vary_on_headers("HX-Request")
def course_deck_edit(request: HttpRequest, course: Course, deck_pk: int) -> HttpResponse:
    deck = get_object_or_404(course.decks, pk=deck_pk)
    return _deck_builder(request, deck, done_url=_course_url(course), context={"course": course})


def _deck_delete(request: HttpRequest, deck: Deck, done_url: str) -> HttpResponse:
    try:
        deck.delete()
    except ProtectedError:
        messages.error(request, f"{deck.name} is assigned; delete its assignments before the deck.")
    else:
        messages.success(request, f"The deck {deck.name} is deleted.")
    return redirect(done_url)


@course_taught
@require_POST
def course_deck_delete(request: HttpRequest, course: Course, deck_pk: int) -> HttpResponse:
    return _deck_delete(request, get_object_or_404(course.decks, pk=deck_pk), _course_url(course))


# Assignments -------------------------------------------------------------------------


def _assignment_form(
    request: HttpRequest, course: Course, form: AssignmentForm, *, creating: bool
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            assignment = form.save(commit=False)
            assignment.course = course
            assignment.save()
            assignment_exam_set(
                assignment=assignment,
                on=form.cleaned_data["exam_on"],
                target=form.exam_target(),
                now=timezone.now(),
            )
        messages.success(
            request,
            f"{assignment.deck.name} is {'assigned' if creating else 'updated'}, due {assignment.due_on:%d %B %Y}.",
        )
        return redirect(_course_url(course))
    return render(
        request,
        "learning/teach/assignment_form.html",
        {"course": course, "form": form, "creating": creating},
        status=422 if form.errors else 200,
    )


@course_taught
def course_assignment_new(request: HttpRequest, course: Course) -> HttpResponse:
    if not course.decks.exists():
        messages.info(request, "Build a deck first: an assignment asks learners to master one.")
        return redirect("teach_deck_new", course.pk)
    form = AssignmentForm(posted(request), course=course)
    return _assignment_form(request, course, form, creating=True)


@course_taught
def course_assignment_edit(
    request: HttpRequest, course: Course, assignment_pk: int
) -> HttpResponse:
    assignment = get_object_or_404(course.assignments, pk=assignment_pk)
    form = AssignmentForm(posted(request), instance=assignment, course=course)
    return _assignment_form(request, course, form, creating=False)


@course_taught
@require_POST
def course_assignment_delete(
    request: HttpRequest, course: Course, assignment_pk: int
) -> HttpResponse:
    assignment = get_object_or_404(course.assignments.select_related("deck"), pk=assignment_pk)
    assignment.delete()
    messages.success(request, f"The assignment of {assignment.deck.name} is deleted.")
    return redirect(_course_url(course))


# Class progress and item statistics ---------------------------------------------------


@course_taught
@vary_on_headers("HX-Request")
@require_safe
def course_progress(request: HtmxHttpRequest, course: Course) -> HttpResponse:
    data = teaching.class_progress(course, timezone.now())
    labels = teaching.learner_columns(data)
    order = sorting.order_read(
        request.GET.get("sort"), [key for key, _ in labels], teaching.LEARNERS_DEFAULT
    )
    rows = teaching.learners_sorted(data, order)
    page = Paginator(rows, PROGRESS_PAGE_SIZE).get_page(request.GET.get("page"))
    columns = sorting.columns(labels, order)
    template = "learning/teach/progress.html" + ("#learners" if request.htmx else "")
    return render(
        request,
        template,
        {
            "course": course,
            "data": data,
            "page": page,
            "columns": columns[: len(teaching.LEARNER_COLUMNS)],
            # Each assignment's column says how many facts its target asks for.
            "assignment_columns": [
                (column, f"(of {summary.target})")
                for column, summary in zip(
                    columns[len(teaching.LEARNER_COLUMNS) :], data.assignments, strict=True
                )
            ],
        },
    )


@course_taught
@require_safe
def course_progress_csv(request: HttpRequest, course: Course) -> HttpResponse:
    # A download cannot refresh itself: never computed yet, it is computed now.
    data = teaching.class_progress(course, timezone.now(), wait=True)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"spinequiz-progress-{course.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    header = [
        "username",
        "email",
        "joined",
        "questions seen",
        "reviews",
        "last review",
        "mastery %",
    ]
    for summary in data.assignments:
        name = f"{summary.assignment.deck.name} (due {summary.assignment.due_on:%Y-%m-%d})"
        header += [f"{name}: facts mastered of {summary.facts}", f"{name}: standing"]
    writer.writerow([spreadsheet_safe(h) for h in header])
    for row in data.learners:
        cells = [
            row.username,
            row.email,
            f"{row.joined_at:%Y-%m-%d}",
            row.questions_seen,
            row.reviews,
            f"{row.last_review:%Y-%m-%d %H:%M}" if row.last_review else "",
            round(row.mastery * 100),
        ]
        for standing in row.assignments:
            cells += [standing.mastered, standing.standing.value]
        writer.writerow([spreadsheet_safe(c) for c in cells])
    return response


@course_taught
@require_safe
def course_report_fresh(request: HttpRequest, course: Course, kind: str) -> HttpResponse:
    """Asked every few seconds by a report page whose report the task worker is computing:
    204 while it is not done; once it is, htmx is told to reload the page."""
    if kind not in CourseReport.Kind.values:
        raise Http404("No such report.")
    since = request.GET.get("since", "")
    try:
        moment = float(since) if since else None
    except ValueError:
        return HttpResponse("since: a time in seconds, or nothing", status=400)
    if moment is not None and not math.isfinite(moment):
        return HttpResponse("since: a time in seconds, or nothing", status=400)
    if not stored_reports.report_done_since(course, kind, moment):
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


@course_taught
@require_safe
def course_items(request: HttpRequest, course: Course) -> HttpResponse:
    report = item_report.item_report(course, timezone.now())
    every = request.GET.get("all") == "1"
    keys = [key for key, _ in item_report.ITEM_COLUMNS]
    order = sorting.order_read(request.GET.get("sort"), keys, item_report.ITEMS_DEFAULT)
    # The worst come first; a long tail of good questions is there on request. Sorting
    # by another column sorts the questions shown.
    questions = report.questions if every else report.questions[:ITEMS_SHOWN]
    return render(
        request,
        "learning/teach/items.html",
        {
            "course": course,
            "report": report,
            "min_learners": MIN_LEARNERS,
            "questions": item_report.items_sorted(questions, order),
            "columns": sorting.columns(item_report.ITEM_COLUMNS, order),
            "worst_first": order == item_report.ITEMS_DEFAULT,
            "every": every,
            "items_shown": ITEMS_SHOWN,
        },
    )


@course_taught
@vary_on_headers("HX-Request")
@require_safe
def course_learner(request: HtmxHttpRequest, course: Course, learner_pk: int) -> HttpResponse:
    """One learner of the course: their standing, their mastery, their answers."""
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("learner"), course=course, learner_id=learner_pk
    )
    report = learner_report.learner_report(
        course, enrolment.learner, enrolment.joined_at, timezone.now()
    )
    keys = [key for key, _ in learner_report.ANSWER_COLUMNS]
    order = sorting.order_read(request.GET.get("sort"), keys, learner_report.ANSWERS_DEFAULT)
    answers = Paginator(
        learner_report.answers_sorted(report.answered, order), ANSWERS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    template = "learning/teach/learner.html" + ("#answers" if request.htmx else "")
    return render(
        request,
        template,
        {
            "course": course,
            "report": report,
            "answers": answers,
            "columns": sorting.columns(learner_report.ANSWER_COLUMNS, order),
        },
    )


# The learner's side: joining, assignments, own decks --------------------------------


def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(posted(request), initial={"code": request.GET.get("code", "")})
    if request.method == "POST":
        # Wrong codes are counted, per account and per address: guessing codes is slow.
        tries = (
            (ratelimit.WRONG_CODES_PER_ACCOUNT, str(request.user.pk)),
            (ratelimit.WRONG_CODES_PER_ADDRESS, ratelimit.client_address(request)),
        )
        for limit, who in tries:
            if limit.exceeded(who):
                return rate_limited(request, limit)
        if not form.is_valid():
            for limit, who in tries:
                limit.hit(who)
    if request.method == "POST" and form.is_valid():
        course = form.course
        if course_join(course=course, learner=request.user, now=timezone.now()):
            messages.success(request, f"You have joined {course.name}.")
        else:
            messages.info(request, f"You are already in {course.name}.")
        return redirect("assignments")
    return render(
        request, "learning/courses/join.html", {"form": form}, status=422 if form.errors else 200
    )


@require_safe
def assignments(request: HttpRequest) -> HttpResponse:
    progress_rows = teaching.learner_assignments(request.user, timezone.now())
    courses = Course.objects.attended_by(request.user).prefetch_related("instructors")
    return render(
        request,
        "learning/courses/assignments.html",
        {"rows": progress_rows, "courses": courses},
    )


@require_safe
def decks(request: HttpRequest) -> HttpResponse:
    own = decks_sized(Deck.objects.personal(request.user))
    return render(request, "learning/courses/decks.html", {"decks": own})


@vary_on_headers("HX-Request")
def deck_new(request: HttpRequest) -> HttpResponse:
    return _deck_builder(
        request, Deck(owner=request.user), done_url=reverse("decks"), context={"course": None}
    )


@vary_on_headers("HX-Request")
def deck_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deck = get_object_or_404(Deck.objects.personal(request.user), pk=pk)
    return _deck_builder(request, deck, done_url=reverse("decks"), context={"course": None})


@require_POST
def deck_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deck = get_object_or_404(Deck.objects.personal(request.user), pk=pk)
    return _deck_delete(request, deck, reverse("decks"))
