"""The forms of the site as each person meets them, read out of the pages' HTML: what
the hostile-input tests fill with hostile values."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.db import transaction
from django.test import Client
from django.urls import reverse

from learning import models
from learning.accounts import verification_token
from learning.tokens import QuestionToken

# Reading forms out of pages -------------------------------------------------------------


@dataclass
class Form:
    """One form on a page: where it posts, and its fields with the values the page gave."""

    page: str
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    htmx: bool = False


class _FormReader(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            hx = a.get("hx-post") or a.get("hx-get")
            action = hx or a.get("action") or self.page
            method = (
                "post" if (a.get("hx-post") or a.get("method", "get").lower() == "post") else "get"
            )
            self._form = Form(self.page, urljoin(self.page, action), method, htmx=bool(hx))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
                else:
                    form.fields.setdefault(name, [])
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.fields.setdefault(name, []).append(a.get("value", ""))
            elif kind == "submit":
                form.options.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and a.get("value") is not None:
            form.options.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, [])
        elif tag == "option" and self._select:
            form.options.setdefault(self._select, []).append(a.get("value", ""))
            if "selected" in a:
                form.fields[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            form.fields.setdefault(name, [""])

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] = [data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(client: Client, page: str) -> list[Form]:
    response = client.get(page)
    assert response.status_code == 200, f"{page}: {response.status_code}"
    reader = _FormReader(page)
    reader.feed(response.content.decode())
    return reader.forms


# The forms of the site, as each person meets them ---------------------------------------


@dataclass
class Target:
    role: str
    form: Form

    @property
    def label(self) -> str:
        return f"{self.role} {self.form.method.upper()} {urlsplit(self.form.action).path}"


def signed_in(world: dict[str, Any], role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world[role], backend="learning.backends.LearnerBackend")
    return client


def _feedback_page(world: dict[str, Any], client: Client) -> str:
    """Answer the first question of the study page rightly: the rating form's page."""
    (form,) = [
        f for f in forms_on(client, reverse("study")) if f.action.endswith(reverse("study_answer"))
    ]
    token = QuestionToken.load(form.fields["token"][0])
    question = models.Question.objects.get(pk=token.question)
    data: dict[str, Any] = {"token": form.fields["token"][0]}
    if question.kind == models.Question.Kind.TYPED:
        data["typed"] = question.answers[0]
    elif question.kind == models.Question.Kind.ORDER:
        data.update(
            {
                f"place_{i}": str(question.answers.index(c) + 1)
                for i, c in enumerate(question.choices)
            }
        )
    elif question.kind == models.Question.Kind.MULTI:
        data["choice"] = [str(question.choices.index(a)) for a in question.answers]
    else:
        data["choice"] = str(question.choices.index(question.answers[0]))
    response = client.post(reverse("study_answer"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def site_forms(world: dict[str, Any], roles: tuple[str, ...] = ()) -> list[Target]:
    """The forms each person meets (only those of `roles`, when given)."""
    course, deck, assignment = world["course"], world["course_deck"], world["assignment"]
    fact = world["fact"]
    pages = {
        "anonymous": [
            reverse("home"),  # its sign-in form is the login page's
            reverse("login"),
            reverse("signup"),
            reverse("password_reset"),
            # The link that confirms an email: a page with one button.
            reverse("email_verify", args=[verification_token(world["unconfirmed"])]),
        ],
        # A learner who has not confirmed their email yet: Your data offers the link again.
        "unconfirmed": [reverse("account")],
        "learner": [
            reverse("study"),
            reverse("study_custom"),
            reverse("bank"),
            reverse("settings"),
            reverse("join"),
            reverse("decks"),
            reverse("deck_new"),
            reverse("deck", args=[world["own_deck"].pk]),
            reverse("question_report", args=[world["question"].pk]),
            reverse("card", args=[world["card"].pk]),
            reverse("cards_held"),
            reverse("account"),
            reverse("password_change"),
        ],
        "instructor": [
            reverse("teach_course_new"),
            reverse("teach_course", args=[course.pk]),
            reverse("teach_enrol", args=[course.pk]),
            reverse("teach_deck_new", args=[course.pk]),
            reverse("teach_deck", args=[course.pk, deck.pk]),
            reverse("teach_assignment_new", args=[course.pk]),
            reverse("teach_assignment", args=[course.pk, assignment.pk]),
            reverse("teach_progress", args=[course.pk]),
        ],
        "editor": [
            reverse("admin:learning_fact_add"),
            reverse("admin:learning_fact_change", args=[fact.pk]),
            reverse("admin:learning_fact_import"),
            reverse("admin:learning_problemreport_change", args=[world["report"].pk]),
        ],
    }
    targets: list[Target] = []
    seen: set[tuple[str, str, str]] = set()
    for role, role_pages in pages.items():
        if roles and role not in roles:
            continue
        with transaction.atomic():
            client = signed_in(world, role)
            if role == "learner":
                role_pages = [*role_pages, _feedback_page(world, client)]
            for page in role_pages:
                for form in forms_on(client, page):
                    # The admin's search and filter boxes are GET forms over the changelist.
                    key = (role, form.method, urlsplit(form.action).path)
                    if key in seen:
                        continue
                    seen.add(key)
                    targets.append(Target(role, form))
            transaction.set_rollback(True)
    if roles and "editor" not in roles:
        return targets
    # The fact form's live preview is an htmx endpoint taking the whole fact form.
    (fact_form,) = [
        t.form
        for t in targets
        if t.role == "editor" and t.form.action.endswith(f"/fact/{fact.pk}/change/")
    ]
    preview = Form(
        fact_form.page,
        reverse("admin:learning_fact_preview") + f"?fact={fact.pk}",
        "post",
        dict(fact_form.fields),
        dict(fact_form.options),
        htmx=True,
    )
    targets.append(Target("editor", preview))
    return targets
