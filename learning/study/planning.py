"""What a learner's plan is made of: their courses' assignments and their own decks, the pace
each exam asks, the new questions each deck offers, and how far each exam stands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from learning.content.models import Question
from learning.study import exam as exam_plan
from learning.study import pacing
from learning.study.daily import (
    DUE_FIELDS,
    FACTS,
    NEW_FETCH_MAX,
    NEW_LOOKAHEAD,
    Plan,
    Session,
    Today,
    _candidate,
    _due_by,
    _due_fetch,
    _limits,
    _with_cards,
    facts_of,
    new_today,
    today,
)
from learning.study.models import (
    Assignment,
    Deck,
    Exam,
    FactMemory,
    LearnerSettings,
)
from learning.study.scheduling import (
    Candidate,
    day_of,
    day_start,
)


def _studied_facts(learner: Any, *, before_today: Today | None = None) -> QuerySet[Any]:
    """Ids of the facts the learner has studied (before today), as a subquery."""
    cards = Question.facts.through.objects.filter(
        question__cards__learner=learner, question__cards__review_count__gt=0
    )
    if before_today is not None:
        cards = cards.exclude(question_id__in=before_today.first_seen)
    return cards.values("fact_id")


def _assignments_and_own_decks(learner: Any) -> tuple[list[Assignment], list[Deck]]:
    """The assignments of the learner's courses (each with its deck and course) and the
    learner's own decks, in one query: one row per own deck or assignment."""
    rows = (
        Deck.objects.filter(
            Q(owner=learner, course__isnull=True)
            | Q(assignments__course__enrolments__learner=learner)
        )
        .annotate(
            assignment_pk=F("assignments__pk"),
            assignment_due_on=F("assignments__due_on"),
            assignment_target_share=F("assignments__target_share"),
            assignment_target_recall=F("assignments__target_recall"),
            assignment_created_at=F("assignments__created_at"),
            assignment_course_id=F("assignments__course_id"),
            assignment_course_name=F("assignments__course__name"),
            assignment_exam_on=F("assignments__exam__on"),
            assignment_exam_target=F("assignments__exam__target"),
            assignment_exam_set_at=F("assignments__exam__created_at"),
        )
        .order_by("assignment_pk", "pk")
    )
    # The course's model named through the assignment: studying imports nothing of courses.
    course_model = Assignment._meta.get_field("course").related_model
    assignments, own = [], []
    for deck in rows:
        if deck.assignment_pk is None:
            own.append(deck)
            continue
        assignment = Assignment(
            pk=deck.assignment_pk,
            course=course_model(pk=deck.assignment_course_id, name=deck.assignment_course_name),
            deck=deck,
            due_on=deck.assignment_due_on,
            target_share=deck.assignment_target_share,
            target_recall=deck.assignment_target_recall,
            created_at=deck.assignment_created_at,
        )
        assignment._state.adding = False  # read from the database, not a new one
        # Its exam, if the course set one: (day, target, when it was set).
        assignment.exam_values = (
            (deck.assignment_exam_on, deck.assignment_exam_target, deck.assignment_exam_set_at)
            if deck.assignment_exam_on
            else None
        )
        assignments.append(assignment)
    return assignments, own


def _exam_paces(learner: Any, assignments: list[Assignment], today: date) -> list[Assignment]:
    """The pace of each exam to come, as an unsaved assignment of the exam's deck due on
    its last day for new facts: the assignments' exams (read with them), and the
    learner's own (one query, only for a learner who has set one). Reviews are told
    that an exam may cap their intervals (`services.exams_until_note`)."""
    from learning.study.services import exams_until_note

    study_settings = LearnerSettings.of(learner)
    exams = [
        (a.deck, *a.exam_values) for a in assignments if a.exam_values and a.exam_values[0] >= today
    ]
    if study_settings.exams_until and study_settings.exams_until >= today:
        own = Exam.objects.filter(learner=learner, on__gte=today).select_related("deck").first()
        if own is not None:
            exams.append((own.deck, own.on, own.target, own.created_at))
    paces = []
    for n, (deck, on, target, set_at) in enumerate(exams, 1):
        set_on = day_of(set_at, study_settings.zone)
        pace = Assignment(
            pk=-n,
            deck=deck,
            due_on=exam_plan.last_new_day(set_on, on),
            target_share=exam_plan.facts_share(target),
            target_recall=exam_plan.card_recall(target),
            created_at=set_at,
        )
        paces.append(pace)
    exams_until_note(learner, study_settings, max((on for _, on, _, _ in exams), default=None))
    return paces


def _held_by(decks: list[Deck]) -> QuerySet[Any]:
    """Ids of the active questions the decks hold, as a subquery."""
    return Question.objects.in_decks([d.filter for d in decks]).values("pk")


def _any_of(decks: list[Deck]) -> Q:
    held = Q()
    for deck in decks:
        held |= deck.filter.q()
    return held


def _new_offers(
    learner: Any, learner_plan: Plan, done: Today, *, fetch: int, new_left: int, figures: bool
) -> list[pacing.Offer]:
    """A few never-seen questions of each pool: those that serve an assignment's pace
    (one query), and the others, the learner's own decks first (one query)."""
    unseen = new_today(learner_plan.questions(), learner, done.day, done.seen_facts)
    if not figures:
        unseen = unseen.filter(figure="")
    links = Question.facts.through.objects
    paced = [
        a
        for a in learner_plan.paced
        if learner_plan.quotas.get(a.pk, 0) > 0 and learner_plan.unstudied.get(a.pk)
    ]
    offers: dict[int, pacing.Offer] = {}
    if paced:
        # In the deck and about one of its facts not studied yet: it serves the pace.
        serves = {
            f"paced_{a.pk}": a.deck.filter.q()
            & Q(pk__in=links.filter(fact_id__in=learner_plan.unstudied[a.pk]).values("question_id"))
            for a in paced
        }
        any_pace = Q()
        for condition in serves.values():
            any_pace |= condition
        flags = {k: ExpressionWrapper(v, output_field=BooleanField()) for k, v in serves.items()}
        for pk, fact_ids, *inside in (
            unseen.filter(any_pace)
            .annotate(**flags)
            .order_by("position", "pk")
            .values_list("pk", FACTS, *flags)[:fetch]
        ):
            offers[pk] = pacing.Offer(
                Candidate(pk, facts_of(fact_ids)),
                paced_for=frozenset(a.pk for a, held in zip(paced, inside, strict=True) if held),
                assigned=True,
            )
    if new_left:
        mine = (
            ExpressionWrapper(_any_of(learner_plan.own), output_field=BooleanField())
            if learner_plan.own
            else Value(False)
        )
        # Ordered by position alone when there is no own deck, so the bank's index serves.
        in_order = ("-own", "position", "pk") if learner_plan.own else ("position", "pk")
        for pk, fact_ids, is_own in (
            unseen.annotate(own=mine).order_by(*in_order).values_list("pk", FACTS, "own")[:fetch]
        ):
            if pk not in offers:
                offers[pk] = pacing.Offer(
                    Candidate(pk, facts_of(fact_ids)), assigned=not is_own, own=bool(is_own)
                )
    return list(offers.values())


def _planned_session(
    learner: Any,
    now: datetime,
    learner_plan: Plan,
    *,
    limit: int,
    study_settings: LearnerSettings,
    done: Today,
) -> Session:
    """`session` for a learner with assignments or decks (four or five more queries)."""
    limits = _limits(study_settings, done)
    assigned = [a.deck for a in learner_plan.assignments]
    whens = []
    if assigned:
        whens.append(When(question__in=_held_by(assigned), then=Value(int(pacing.Rank.ASSIGNED))))
    if learner_plan.own:
        whens.append(
            When(question__in=_held_by(learner_plan.own), then=Value(int(pacing.Rank.OWN)))
        )
    cards = learner_plan.cards(learner)
    if not study_settings.figure_questions:
        cards = cards.filter(question__figure="")
    due_rows = list(
        cards.studiable(done.day)
        .filter(due__lte=_due_by(now, done))
        .annotate(rank=Case(*whens, default=Value(int(pacing.Rank.OTHER))))
        .order_by("rank", "due")
        .values_list(*DUE_FIELDS, "rank")[: _due_fetch(limit, limits)]
    )
    # Enough new questions to fill today's pace and limit (and count them, up to
    # NEW_FETCH_MAX), with room for siblings.
    planned_new = limits.new_left + sum(learner_plan.quotas.values())
    fetch = min(NEW_FETCH_MAX, NEW_LOOKAHEAD * planned_new)
    fetch = max(limit * NEW_LOOKAHEAD, fetch)
    offers = _new_offers(
        learner,
        learner_plan,
        done,
        fetch=fetch,
        new_left=limits.new_left,
        figures=study_settings.figure_questions,
    )
    composed = pacing.compose_planned(
        due=[(pacing.Rank(row[-1]), _candidate(row)) for row in due_rows],
        new=offers,
        quotas=learner_plan.quotas,
        now=now,
        limits=limits,
        seen_today=done.seen,
        day_end=done.end,
        new_done=done.new_done,
        reviews_done=done.review_cards_done,
    )
    remaining = composed.remaining()
    if fetch == NEW_FETCH_MAX and remaining.new < planned_new:
        remaining = replace(remaining, new_more=True)
    return Session(_with_cards(composed.order[:limit], due_rows), remaining)


# Exams ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamOutlook:
    """An exam as the dashboard shows it: the plan, and the recall it predicts on the day."""

    exam: Exam
    deck: Deck
    outlook: exam_plan.Outlook


def exam_outlooks(learner: Any, now: datetime) -> list[ExamOutlook]:
    """The learner's exams to come, each with its plan and predicted recall on the day.
    No query for a learner without an exam; three per exam otherwise."""
    from learning.study.services import exam_deck, exams_of

    study_settings = LearnerSettings.of(learner)
    zone = study_settings.zone
    day = day_of(now, zone)
    if study_settings.exams_until is None or study_settings.exams_until < day:
        return []
    done = today(learner, study_settings, now)
    first_today = {fact for c in done.seen if c.question_id in done.first_seen for fact in c.facts}
    parameters = study_settings.fsrs_parameters
    out = []
    for exam in exams_of(learner, since=day):
        deck = exam_deck(exam)
        facts = set(deck.taught_facts().values_list("pk", flat=True))
        memories = [
            (stability, datetime.fromtimestamp(ts, tz=now.tzinfo))
            for stability, ts in FactMemory.objects.filter(
                learner=learner, fact__in=facts
            ).values_list("stability", "last_review_ts")
        ]
        studied = len(memories)
        starts = day_start(exam.on, zone)
        set_on = day_of(exam.created_at, zone)
        last_new = exam_plan.last_new_day(set_on, exam.on)
        to_study = exam_plan.facts_to_study(len(facts), exam.target)
        new_today = exam_plan.new_facts_today(
            facts=len(facts),
            target=exam.target,
            covered_at_day_start=studied - len(first_today & facts),
            covered_now=studied,
            today=day,
            set_on=set_on,
            exam_on=exam.on,
        )
        new_days = max(0, (last_new - day).days + 1)
        if_stopped = exam_plan.recall_on_day(
            memories, len(facts), exam_starts=starts, parameters=parameters
        )
        planned = exam_plan.recall_with_plan(
            memories,
            len(facts),
            target=exam.target,
            exam_starts=starts,
            now=now,
            new_possible=max(0, to_study - studied) if new_days else 0,
            parameters=parameters,
        )
        outlook = exam_plan.Outlook(
            exam_on=exam.on,
            target=exam.target,
            facts=len(facts),
            studied=studied,
            to_study=to_study,
            last_new_day=last_new,
            new_today=new_today,
            recall_if_stopped=if_stopped,
            recall_with_plan=planned,
            standing=exam_plan.standing(
                studied=studied,
                to_study=to_study,
                recall_if_stopped=if_stopped,
                recall_planned=planned,
                target=exam.target,
                set_on=set_on,
                last_new=last_new,
                today=day,
                exam_on=exam.on,
            ),
        )
        out.append(ExamOutlook(exam, deck, outlook))
    return out
