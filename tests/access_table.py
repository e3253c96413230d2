"""The refusal matrix's table: every URL of the site, and what each person asking it
with each method must get (a status, or a redirect to a sign-in page). The URLs come
from the URL configuration itself, so a URL added tomorrow needs a row here tomorrow."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from learning import models
from learning.accounts import verification_token

ROLES = (
    "anonymous",
    "learner",
    "other_learner",
    "instructor",
    "other_instructor",
    "editor",
    "superuser",
)
METHODS = ("get", "post", "put", "patch", "delete")
SIGNED_IN = ROLES[1:]
LOGIN = "login"  # a redirect to the sign-in page, with the page asked for as ?next=
ADMIN_LOGIN = "admin login"  # a redirect to the fact base's sign-in page

# The learner's private things, and who may see each of them.
SECRETS = {
    "email": ("learner", "instructor", "superuser"),
    "deck": ("learner", "superuser"),
    "course": ("learner", "instructor", "superuser"),
}


# The URLs, straight from the URL configuration ------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the URL's name, or its route where it has none
    pattern: Any  # the URLPattern
    regex: str  # the whole route, for display
    namespace: str


def _routes(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(key=name or route, pattern=pattern, regex=route, namespace=namespace)


def all_routes() -> list[Route]:
    return list(_routes(get_resolver().url_patterns))


# What each URL allows -----------------------------------------------------------------

Expect = int | str
Want = dict[tuple[str, str], Expect]  # (role, method) -> status or LOGIN / ADMIN_LOGIN


@dataclass
class Access:
    """Who gets what from one URL: `want` maps (role, method) to the expected answer."""

    path: Callable[[dict[str, Any]], str]
    want: Want
    data: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda w: {})


def _grid(default: dict[str, Expect], **per_role: dict[str, Expect] | Expect) -> Want:
    """`default` maps methods to answers for every role; a role's own dict, or one
    answer for all its methods, overrides it."""
    want: Want = {}
    for role in ROLES:
        override = per_role.get(role, {})
        for method in METHODS:
            if isinstance(override, (int, str)):
                want[role, method] = override
            else:
                want[role, method] = override.get(method, default.get(method, 405))
    return want


def signed_in(
    get: Expect = 200,
    post: Expect = 405,
    others: Expect = 405,
    put: Expect | None = None,
    **per_role: Any,
) -> Want:
    """Any signed-in person, each about their own things; anonymous goes to sign in."""
    put = others if put is None else put
    return _grid(
        {"get": get, "post": post, "put": put, "patch": others, "delete": others},
        anonymous=LOGIN,
        **per_role,
    )


def learners_own(
    get: Expect = 200, post: Expect = 405, others: Expect = 405, not_theirs: Expect = 404
) -> Want:
    """Something of the learner's: everyone else, signed in, finds nothing there."""
    mine = {"get": get, "post": post, "put": others, "patch": others, "delete": others}
    refused = {m: (not_theirs if mine[m] != 405 else 405) for m in METHODS}
    return _grid(mine, anonymous=LOGIN, **{r: refused for r in SIGNED_IN if r != "learner"})


def teaching(
    get: Expect = 200,
    post: Expect = 405,
    others: Expect = 405,
    course: bool = True,
    outside: Expect | None = None,
) -> Want:
    """An instructor page; with `course`, one of the course's, which another course's
    instructor (and the superuser, who teaches nothing) does not find."""
    mine = {"get": get, "post": post, "put": others, "patch": others, "delete": others}
    not_found = outside if outside is not None else 404
    # The course is looked up before the method is checked: a stranger learns nothing.
    per_role: dict[str, Any] = {
        "anonymous": LOGIN,
        "learner": 403,
        "other_learner": 403,
        "editor": 403,
        "instructor": mine,
    }
    if course:
        per_role["other_instructor"] = not_found
        per_role["superuser"] = not_found
    else:
        per_role["other_instructor"] = mine
        per_role["superuser"] = mine
    return _grid(mine, **per_role)


def public(
    get: Expect = 200,
    post: Expect = 200,
    others: Expect = 405,
    put: Expect | None = None,
    **per_role: Any,
) -> Want:
    put = others if put is None else put
    return _grid(
        {"get": get, "post": post, "put": put, "patch": others, "delete": others}, **per_role
    )


def url(name: str, *args: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], str]:
    return lambda w: reverse(name, args=[a(w) for a in args])


def the(key: str, attribute: str = "pk") -> Callable[[dict[str, Any]], Any]:
    return lambda w: getattr(w[key], attribute)


ACCESS: dict[str, Access] = {
    # Signing in and out ------------------------------------------------------------
    "login": Access(
        url("login"),
        # A signed-in person asking for the sign-in page gets it again (Django's default).
        # Django's form views take PUT as POST.
        public(post=200, put=200),
        data=lambda w: {"username": w["learner"].username, "password": "wrong"},
    ),
    "logout": Access(
        url("logout"),
        # Signing out is a POST, and ends at the sign-in page.
        signed_in(get=405, post=302),
    ),
    "password_change": Access(
        url("password_change"),
        # A wrong old password: the form again, nothing changed. Django's form views take
        # PUT as POST.
        signed_in(get=200, post=200, put=200),
        data=lambda w: {"old_password": "x"},
    ),
    "password_change_done": Access(url("password_change_done"), signed_in()),
    "password_reset": Access(
        url("password_reset"),
        # Whether or not the address is known, the answer is the same.
        public(post=302, put=200),
        data=lambda w: {"email": "nobody@example.org"},
    ),
    "password_reset_done": Access(url("password_reset_done"), public(post=405)),
    "password_reset_confirm": Access(
        lambda w: reverse(
            "password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(w["learner"].pk)),
                # Made from the stored user: signing in changes what the token hashes.
                default_token_generator.make_token(
                    get_user_model().objects.get(pk=w["learner"].pk)
                ),
            ],
        ),
        # A good link is exchanged for the set-password page, with the token kept in the session.
        public(get=302, post=302, others=302),
    ),
    "password_reset_complete": Access(url("password_reset_complete"), public(post=405)),
    # Sending oneself the link that confirms one's email again (already confirmed here).
    "email_verify_send": Access(url("email_verify_send"), signed_in(get=405, post=302)),
    # The link itself: open to whoever holds it (it went to the learner's inbox), a page
    # with one button; the button confirms and sends on.
    "email_verify": Access(
        lambda w: reverse("email_verify", args=[verification_token(w["learner"])]),
        public(get=200, post=302),
    ),
    "signup": Access(
        url("signup"),
        # Someone signed in is sent to their dashboard instead.
        public(get=200, post=422, others=200, **{r: 302 for r in SIGNED_IN}),
    ),
    # Studying ------------------------------------------------------------------------
    # Signed out: what SpineQuiz is, with the way in; signed in: on to the dashboard.
    "home": Access(
        url("home"),
        public(get=200, post=405, **{r: 302 for r in SIGNED_IN}),
    ),
    "dashboard": Access(url("dashboard"), signed_in(post=200, others=200)),
    "study": Access(url("study"), signed_in(post=200, others=200)),
    "study_custom": Access(url("study_custom"), signed_in(post=200, others=200)),
    "study_answer": Access(
        url("study_answer"),
        # The token names who was shown the question: anyone else is refused.
        signed_in(get=405, post=403, learner={"post": 302}),
        data=lambda w: {
            "token": w["question_token"],
            "choice": str(w["question"].choices.index(w["question"].answers[0])),
        },
    ),
    "study_feedback": Access(
        lambda w: f"{reverse('study_feedback')}?token={w['feedback_token']}",
        signed_in(get=404, post=404, others=404, learner={m: 200 for m in METHODS}),
    ),
    "study_rate": Access(
        url("study_rate"),
        signed_in(get=405, post=403, learner={"post": 302}),
        data=lambda w: {"token": w["rating_token"], "rating": 3},
    ),
    "study_undo": Access(
        url("study_undo"),
        signed_in(get=405, post=403, learner={"post": 302}),
        data=lambda w: {"token": w["undo_token"]},
    ),
    "study_hold": Access(
        url("study_hold"),
        signed_in(get=405, post=403, learner={"post": 302}),
        data=lambda w: {"token": w["card_token"], "action": "suspend"},
    ),
    "study_note": Access(
        url("study_note"),
        signed_in(get=405, post=403, learner={"post": 302}),
        data=lambda w: {"token": w["card_token"], "flag": "1", "note": "Hip flexion: L2"},
    ),
    "cards_held": Access(url("cards_held"), signed_in()),
    "card_release": Access(url("card_release", the("card")), learners_own(get=405, post=302)),
    "card": Access(url("card", the("card")), learners_own(post=200, others=200)),
    "settings": Access(
        url("settings"),
        signed_in(post=422, others=200),
        data=lambda w: {"desired_retention": "2"},
    ),
    "exam": Access(
        url("exam"),
        # One's own exam only: a bad form comes back with its errors, nothing is set.
        signed_in(get=405, post=422),
        data=lambda w: {"on": "not a day", "target_percent": "9000"},
    ),
    "bank": Access(url("bank"), signed_in(post=200, others=200)),
    "question_report": Access(
        url("question_report", the("question")),
        # Learners report what they have answered; instructors and editors any question.
        _grid(
            {"get": 200, "post": 422, "put": 200, "patch": 200, "delete": 200},
            anonymous=LOGIN,
            other_learner=404,
        ),
    ),
    # The learner's own data ----------------------------------------------------------
    "account": Access(url("account"), signed_in(post=200, others=200)),
    "account_data": Access(url("account_data"), signed_in(post=200, others=200)),
    "account_reviews_csv": Access(url("account_reviews_csv"), signed_in(post=200, others=200)),
    "account_delete": Access(
        url("account_delete"),
        # Without the password and the tick box nothing is deleted: the form comes back.
        signed_in(get=405, post=422),
        data=lambda w: {"password": "wrong"},
    ),
    # Courses, decks and assignments: the learner's side --------------------------------
    "join": Access(url("join"), signed_in(post=422, others=200), data=lambda w: {"code": "nope"}),
    "assignments": Access(url("assignments"), signed_in()),
    "decks": Access(url("decks"), signed_in()),
    "deck_new": Access(url("deck_new"), signed_in(post=422, others=200)),
    "deck": Access(url("deck", the("own_deck")), learners_own(post=422, others=200)),
    "deck_delete": Access(url("deck_delete", the("own_deck")), learners_own(get=405, post=302)),
    "deck_anki": Access(url("deck_anki", the("own_deck")), learners_own()),
    "assignment_anki": Access(
        url("assignment_anki", the("assignment")),
        learners_own(),
    ),
    # ... and the instructor's ---------------------------------------------------------
    "teach": Access(url("teach"), teaching(course=False)),
    "teach_course_new": Access(
        url("teach_course_new"),
        teaching(post=302, others=200, course=False),
        data=lambda w: {"name": "Another block"},
    ),
    "teach_course": Access(url("teach_course", the("course")), teaching()),
    "teach_code_rotate": Access(
        url("teach_code_rotate", the("course")), teaching(get=405, post=302)
    ),
    "teach_enrol": Access(
        url("teach_enrol", the("course")),
        teaching(post=302, others=200),
        data=lambda w: {"emails": w["newcomer"].email},
    ),
    "teach_learner_remove": Access(
        url("teach_learner_remove", the("course"), the("learner")),
        teaching(get=405, post=302),
    ),
    "teach_instructor_add": Access(
        url("teach_instructor_add", the("course")),
        teaching(get=405, post=302),
        data=lambda w: {"who": w["other_instructor"].username},
    ),
    "teach_instructor_remove": Access(
        url("teach_instructor_remove", the("course"), the("co_instructor")),
        teaching(get=405, post=302),
    ),
    "teach_deck_new": Access(
        url("teach_deck_new", the("course")),
        teaching(post=302, others=200),
        data=lambda w: {"name": "New", "mode": "filter", "level": ["L1"], "action": "save"},
    ),
    "teach_deck": Access(
        url("teach_deck", the("course"), the("course_deck")),
        teaching(post=302, others=200),
        data=lambda w: {"name": "Changed", "mode": "filter", "level": ["L1"], "action": "save"},
    ),
    "teach_deck_anki": Access(
        url("teach_deck_anki", the("course"), the("course_deck")), teaching()
    ),
    "teach_deck_delete": Access(
        url("teach_deck_delete", the("course"), the("spare_deck")), teaching(get=405, post=302)
    ),
    "teach_assignment_new": Access(
        url("teach_assignment_new", the("course")),
        teaching(post=422, others=200),
    ),
    "teach_assignment": Access(
        url("teach_assignment", the("course"), the("assignment")),
        teaching(post=422, others=200),
    ),
    "teach_assignment_delete": Access(
        url("teach_assignment_delete", the("course"), the("assignment")),
        teaching(get=405, post=302),
    ),
    "teach_progress": Access(url("teach_progress", the("course")), teaching()),
    # One learner's answers: their course's instructors only. The learner themselves and a
    # learner of another course are refused (403), another course's instructor finds nothing.
    "teach_learner": Access(url("teach_learner", the("course"), the("learner")), teaching()),
    "teach_progress_csv": Access(url("teach_progress_csv", the("course")), teaching()),
    "teach_items": Access(url("teach_items", the("course")), teaching()),
    # Asked by a report page while the worker computes its report: 204 until it is done.
    "teach_report_fresh": Access(
        url("teach_report_fresh", the("course"), lambda w: "progress"), teaching(get=204)
    ),
}


# The fact base's admin site: content editors and the superuser only ----------------------


def admin_page(
    editor: dict[str, Expect] | Expect, superuser: dict[str, Expect] | Expect | None = None
) -> Want:
    """Learners and instructors are sent to the fact base's sign-in page; the editor and
    the superuser get `editor` and `superuser` (by default what the editor gets)."""
    sent_away = {r: ADMIN_LOGIN for r in ROLES if r not in ("editor", "superuser")}
    return _grid(
        {},
        editor=editor,
        superuser=editor if superuser is None else superuser,
        **sent_away,
    )


ALL_200 = dict.fromkeys(METHODS, 200)

ADMIN_SITE: dict[str, Access] = {
    "admin:index": Access(url("admin:index"), admin_page(ALL_200)),
    # The sign-in page of the fact base is open, and sends who is signed in onwards.
    "admin:login": Access(
        url("admin:login"),
        public(
            put=200,
            editor={"get": 302, "post": 200, "put": 200},
            superuser={"get": 302, "post": 200, "put": 200},
        ),
    ),
    # Signing out of the fact base: those who were never in are sent to its front page.
    "admin:logout": Access(
        url("admin:logout"),
        _grid(
            {"get": 405, "post": 302},
            anonymous=ADMIN_LOGIN,
            **{r: 302 for r in ("learner", "other_learner", "instructor", "other_instructor")},
        ),
    ),
    "admin:password_change": Access(
        url("admin:password_change"), admin_page({"get": 200, "post": 200, "put": 200})
    ),
    "admin:password_change_done": Access(
        url("admin:password_change_done"), admin_page({"get": 200})
    ),
    # Without the field and model it is asked about, autocomplete refuses.
    "admin:autocomplete": Access(url("admin:autocomplete"), admin_page({"get": 403})),
    "admin:jsi18n": Access(url("admin:jsi18n"), admin_page({"get": 200})),
    "admin:view_on_site": Access(
        lambda w: reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(models.Fact).pk, w["fact"].pk],
        ),
        # Facts have no page of their own outside the admin.
        admin_page(dict.fromkeys(METHODS, 404)),
    ),
    "admin:app_list": Access(
        lambda w: reverse("admin:app_list", kwargs={"app_label": "learning"}),
        admin_page(ALL_200),
    ),
    # The admin's catch-all: an unknown admin page is not found, for whoever may see the site.
    "admin/(?P<url>.*)$": Access(
        lambda w: "/admin/no-such-page/", admin_page(dict.fromkeys(METHODS, 404))
    ),
    "admin:learning_fact_preview": Access(
        url("admin:learning_fact_preview"),
        # The live preview of an edit: a fragment, or the form's errors.
        admin_page({"get": 405, "post": 422}),
    ),
    "admin:learning_fact_export": Access(
        url("admin:learning_fact_export"), admin_page({"get": 200})
    ),
    # An empty upload is refused with the form's errors.
    "admin:learning_fact_import": Access(
        url("admin:learning_fact_import"), admin_page({"get": 200, "post": 422})
    ),
    # The item-writing report: read only.
    "admin:learning_fact_lint": Access(url("admin:learning_fact_lint"), admin_page({"get": 200})),
    # Where an import read by the task worker stands: for whoever may import.
    "admin:learning_fact_import_result": Access(
        url("admin:learning_fact_import_result", the("factbase_import")),
        admin_page({"get": 200}),
    ),
}

FULL = "view add change delete"
READ_ONLY = "view"


@dataclass(frozen=True)
class AdminModel:
    """What the content editor and the superuser may do with one model in the admin;
    `saved` is the answer to an empty POST to its change page (200: the form's errors;
    302: a form with nothing required, saved as it was)."""

    editor: str
    superuser: str = FULL
    saved: int = 200


ADMIN_MODELS: dict[type, AdminModel] = {
    models.Source: AdminModel(FULL),
    models.Topic: AdminModel(FULL),
    models.EntityKind: AdminModel(FULL),
    models.Level: AdminModel(FULL),
    models.Entity: AdminModel(FULL),
    models.Relation: AdminModel(FULL),
    # A fact is retired, never deleted (its questions keep learners' histories).
    models.Fact: AdminModel("view add change", "view add change"),
    models.ArguablePair: AdminModel(FULL),
    # Questions are generated, never typed in or edited by hand.
    models.Question: AdminModel(READ_ONLY, READ_ONLY),
    # Reports are filed from the question; editors close them.
    models.ProblemReport: AdminModel("view change", "view change delete", saved=302),
    models.Course: AdminModel(""),
    models.Deck: AdminModel(""),
    models.Assignment: AdminModel(""),
    get_user_model(): AdminModel(""),
    Group: AdminModel(""),
    # django-axes' records of sign-in attempts: read and cleared, never added.
    AccessAttempt: AdminModel("", "view change delete", saved=302),
    AccessLog: AdminModel("", "view change delete", saved=302),
    AccessFailureLog: AdminModel("", "view change delete", saved=302),
    # Background tasks: the superuser reads them; nobody adds, changes or deletes one.
    DBTaskResult: AdminModel("", "view"),
}


def _admin_answers(kind: str, may: list[str], saved: int) -> Any:
    """What someone who may `may` gets from one kind of admin page of a model. An empty
    POST adds nothing (the form comes back with its errors) and an empty POST to a
    delete page is not a confirmation."""
    if kind in ("changelist", "history"):
        return ALL_200 if "view" in may else 403
    if kind == "add":
        return ALL_200 if "add" in may else 403
    if kind == "change":
        if "change" in may:
            return {**ALL_200, "post": saved}
        if "view" in may:
            return {**ALL_200, "post": 403}
        return 403
    if kind == "delete":
        return ALL_200 if "delete" in may else 403
    if kind == "simple_history":
        return ALL_200 if "change" in may else 403
    if kind == "redirect":
        # The bare object URL sends on to its change page, for whoever may see the site.
        return dict.fromkeys(METHODS, 302)
    raise KeyError(kind)  # pragma: no cover - a kind of admin URL this table does not know


def _admin_model_access(model: type, kind: str) -> Access:
    opts = model._meta
    label = f"{opts.app_label}_{opts.model_name}"
    rights = ADMIN_MODELS[model]

    def obj_id(w: dict[str, Any]) -> str:
        return str(w["admin_objects"][model].pk)

    paths: dict[str, Callable[[dict[str, Any]], str]] = {
        "changelist": url(f"admin:{label}_changelist"),
        "add": url(f"admin:{label}_add"),
        "change": lambda w: reverse(f"admin:{label}_change", args=[obj_id(w)]),
        "delete": lambda w: reverse(f"admin:{label}_delete", args=[obj_id(w)]),
        "history": lambda w: reverse(f"admin:{label}_history", args=[obj_id(w)]),
        # One past version of the object (django-simple-history's page).
        "simple_history": lambda w: reverse(
            f"admin:{label}_simple_history",
            args=[obj_id(w), w["admin_objects"][model].history.first().history_id],
        ),
        "redirect": lambda w: f"{reverse(f'admin:{label}_changelist')}{obj_id(w)}/",
    }
    return Access(
        paths[kind],
        admin_page(
            _admin_answers(kind, rights.editor.split(), rights.saved),
            _admin_answers(kind, rights.superuser.split(), rights.saved),
        ),
    )


ADMIN_KINDS = {
    "changelist": r"^admin/{app}/{model}/$",
    "add": r"^admin/{app}/{model}/add/$",
    "history": r"^admin/{app}/{model}/<path:object_id>/history/$",
    "delete": r"^admin/{app}/{model}/<path:object_id>/delete/$",
    "change": r"^admin/{app}/{model}/<path:object_id>/change/$",
    "redirect": r"^admin/{app}/{model}/<path:object_id>/$",
    "simple_history": r"^admin/{app}/{model}/\^\(\[\^/\]\+\)/history/\(\[\^/\]\+\)/\$$",
}


def access_for(route: Route) -> Access | None:
    if route.key in ACCESS:
        return ACCESS[route.key]
    if route.key in ADMIN_SITE:
        return ADMIN_SITE[route.key]
    if route.key == "admin:auth_user_password_change":
        # Setting someone's password: only who may change users, the superuser.
        return Access(
            lambda w: reverse("admin:auth_user_password_change", args=[w["learner"].pk]),
            admin_page(403, ALL_200),
        )
    for model in ADMIN_MODELS:
        opts = model._meta
        for kind, shape in ADMIN_KINDS.items():
            regex = shape.format(app=opts.app_label, model=opts.model_name)
            if re.match(regex, route.regex):
                return _admin_model_access(model, kind)
    return None
