"""Hostile input: every form the pages offer, posted wrong on purpose, and hostile content
read back on every page that shows it.

The forms are not listed by hand: the test signs in as each kind of person, opens the
pages they use, and reads the forms (and htmx endpoints) out of the HTML. Hypothesis
then fills each one with what an attacker or a confused browser might send: wrong types,
strings of 100,000 characters, NUL and other control characters, unknown and other
people's ids, numbers too big for 64 bits, lists where one value is expected, missing
fields, unknown fields, HTML and script; with and without the htmx header.

Every answer must be below 500. A 4xx answer, or a page showing a form's errors, must
say what was wrong and must have changed nothing; and no answer may carry the posted
script unescaped. Each example runs in a savepoint that is rolled back, so a post that
is accepted does not change what the next one meets.
"""

from __future__ import annotations

import copy
import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning import models
from learning.study.services import review_record
from learning.tokens import FeedbackToken
from tests import people
from tests.factories import (
    CourseFactory,
    DeckFactory,
    EntityFactory,
    FactFactory,
    QuestionFactory,
    RelationFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
)
from tests.site_forms import Form, Target, signed_in, site_forms

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("sq")</script>'
IMG = '"><img src=x onerror=alert(1)>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;sq&quot;)&lt;/script&gt;"
EXAMPLES = 25  # per form; the module docstring's figures come from this
# Nested YAML anchors, 9**7 strings when expanded (434 bytes): as text in any field.
ALIAS_BOMB = "\n".join(
    ["bomb:", '  - &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"  - &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 7)]
    + ["facts:", "  - subject: *a6"]
)


# What hostile posts look like -----------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_control = st.text(st.characters(codec="ascii", max_codepoint=31), min_size=1, max_size=5)
HOSTILE = st.one_of(
    _text,
    _control.map(lambda c: f"a{c}b"),
    st.just("\x00"),
    st.just("x" * 100_000),
    st.just(SCRIPT),
    st.just(IMG),
    st.integers().map(str),
    st.just("9" * 30),
    st.sampled_from(["-1", "0", "1e309", "NaN", "inf", "1.5", "", " ", "true", "null", "[]"]),
    st.sampled_from(["2026-02-30", "0000-00-00", "9999-12-31", "31/12/2026"]),
    # Found in the second security round: ids past any integer column, a CSV field past
    # the csv module's limit (and an unclosed quote running to the end), a YAML alias
    # bomb, and a name that looks like another in a different alphabet.
    st.sampled_from(["9223372036854775808", str(2**64 + 1), "-9223372036854775809"]),
    st.just("x" * 140_000),
    st.just('a@example.org\n"' + "z" * 140_000),
    st.just(ALIAS_BOMB),
    st.sampled_from(["l\u0435arner", "\u0455tudent", "alpha\u200b", "ＡＬＰＨＡ"]),
)


def _values(world: dict[str, Any], form: Form, name: str) -> st.SearchStrategy[list[str]]:
    """The page's own value, another of its options, someone else's id, or anything hostile."""
    own = form.fields.get(name, [])
    options = [o for o in form.options.get(name, []) if o]
    others = [str(pk) for pk in world["foreign_ids"]]
    one = st.one_of(
        st.sampled_from(options) if options else HOSTILE,
        st.sampled_from(others),
        HOSTILE,
    )
    return st.one_of(
        st.just(own),
        st.lists(one, min_size=1, max_size=3),
        st.just([]),
    )


@st.composite
def posts(draw: st.DrawFn, world: dict[str, Any], form: Form) -> tuple[dict[str, list[str]], bool]:
    names = sorted(set(form.fields) | set(form.options))
    data = {name: draw(_values(world, form, name)) for name in names}
    if draw(st.booleans()):
        data[draw(st.sampled_from(["id", "pk", "learner", "owner", "course", "is_staff"]))] = [
            draw(HOSTILE)
        ]
    # Keep the CSRF-free test client's posts honest: no field is sent empty-named.
    return {k: v for k, v in data.items() if v != [] or draw(st.booleans())}, draw(st.booleans())


ERROR_SIGNS = ('class="errorlist', 'role="alert"', 'class="errornote', "<h1>")


def _says_what_went_wrong(body: str) -> bool:
    return any(sign in body for sign in ERROR_SIGNS)


def _send(client: Client, form: Form, data: dict[str, list[str]], htmx: bool) -> Any:
    headers = {"HX-Request": "true"} if htmx else {}
    if form.method == "post":
        return client.post(form.action, data, headers=headers)
    query = parse_qs(urlsplit(form.action).query)
    return client.get(urlsplit(form.action).path, {**query, **data}, headers=headers)


# The tests -------------------------------------------------------------------------------


@pytest.fixture
def world(spine_bank) -> dict[str, Any]:
    w = people.world_build()
    w["report"] = models.ProblemReport.objects.get(reporter=w["learner"])
    # Ids that belong to others: another course, its deck, another learner's card.
    other_course = models.Course.objects.exclude(pk=w["course"].pk).first()
    foreign_deck = DeckFactory(course=other_course, name="Not yours")
    w["foreign_ids"] = [other_course.pk, foreign_deck.pk, w["other_learner"].pk, 2**63, 2**64 + 1]
    w["unconfirmed"] = UserFactory(username="unconfirmed", verified=False)
    return w


def test_the_site_offers_the_forms_the_test_fuzzes(world):
    every = site_forms(world)
    assert len(every) >= 20
    targets = {t.label for t in every}
    # A sample of what must be there: if a page stops showing its form, this says so.
    for expected in (
        "anonymous POST /accounts/signup/",
        "learner POST /study/answer/",
        "learner POST /study/rate/",
        "learner POST /study/undo/",
        "learner POST /study/hold/",
        "learner POST /study/note/",
        "learner POST /settings/",
        "learner POST /settings/exam/",
        "learner POST /my-data/delete/",
        "instructor POST /teach/courses/new/",
        f"instructor POST /teach/courses/{world['course'].pk}/enrol/",
        f"instructor POST /teach/courses/{world['course'].pk}/assignments/new/",
        "editor POST /admin/learning/fact/add/",
        "editor POST /admin/learning/fact/preview/",
        "unconfirmed POST /accounts/verify-email/",
    ):
        assert expected in targets, sorted(targets)


def _fuzz_one(cookies: SimpleCookie, target: Target, before: dict[str, Any], data, htmx) -> None:
    # Rate limits count in the cache, which no savepoint rolls back: every example meets
    # the form itself, not the pause after many tries.
    cache.clear()
    with transaction.atomic():
        # Signed in once per form: each example starts from a copy of those cookies, and
        # what it does to the session is rolled back with it.
        client = Client(raise_request_exception=False)
        client.cookies = copy.deepcopy(cookies)
        response = _send(client, target.form, data, htmx)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        changed = people.changed(before, people.snapshot())
        transaction.set_rollback(True)
    where = f"{target.role} {target.form.method.upper()} {target.form.action[:120]} with {_short(data)} (htmx: {htmx})"
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert SCRIPT not in text, f"{where}: the posted script came back unescaped"
    is_html = response.get("Content-Type", "").startswith("text/html")
    if 400 <= response.status_code < 500:
        assert not changed, f"{where}: refused ({response.status_code}) but changed data"
        if is_html and response.status_code != 405:
            assert _says_what_went_wrong(text), f"{where}: {response.status_code} says nothing"
    elif is_html and ('class="errorlist' in text or 'class="errornote' in text):
        assert not changed, f"{where}: showed errors but changed data"


def _short(data: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: [v[:40] + ("…" if len(v) > 40 else "") for v in vs] for k, vs in data.items()}


def _fuzzer(world: dict[str, Any], target: Target, before: dict[str, Any], runs: list[int]):
    cookies = signed_in(world, target.role).cookies

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=posts(world, target.form))
    def fuzz(case: tuple[dict[str, list[str]], bool]) -> None:
        runs.append(1)
        _fuzz_one(cookies, target, before, *case)

    return fuzz


@pytest.mark.parametrize("role", ["anonymous", "unconfirmed", "learner", "instructor", "editor"])
def test_every_form_refuses_hostile_posts_cleanly(world, role):
    targets = site_forms(world, roles=(role,))
    assert targets, f"no form found for {role}"
    before = people.snapshot()
    runs: list[int] = []
    failures = []
    for target in targets:
        try:
            _fuzzer(world, target, before, runs)()
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert not failures, "\n".join(failures)
    # Every form got its examples (hypothesis stops early only when it runs out of ideas).
    assert len(runs) >= len(targets) * 5
    print(f"\nfuzzed {len(runs)} posts to {len(targets)} forms")


# Hostile content, shown everywhere it is read ------------------------------------------


@pytest.fixture
def hostile_world(world) -> dict[str, Any]:
    """The same people, with a fact, its question, a course, decks and a report whose every
    text is HTML and script."""
    source = SourceFactory(key="hostile-source", title=f"Title {SCRIPT}", short=f"s {SCRIPT}")
    topic = TopicFactory(key="hostile-topic", name=f"Topic {SCRIPT}")
    fact = FactFactory(
        subject=EntityFactory(key="hostile-a", name=f"A {SCRIPT}"),
        relation=RelationFactory(key="hostile-r", topic=topic),
        object=EntityFactory(key="hostile-b", name=f"B {IMG}"),
        explanation=f"Because {SCRIPT}",
        cite=source,
    )
    question = QuestionFactory(
        prompt=f"Which {SCRIPT} is it?",
        choices=[f"One {SCRIPT}", f"Two {IMG}", "Three", "Four"],
        answers=[f"One {SCRIPT}"],
        explanation=f"Explained {SCRIPT}",
        citations=[f"hostile-source: Section {SCRIPT}"],
        topic=topic,
        facts=[fact],
    )
    learner = world["learner"]
    review_record(
        learner=learner,
        question=question,
        answer=[f"Two {IMG}"],
        correct=False,
        rating=1,
        expected_count=0,
        duration_ms=3000,
        now=timezone.now(),
        desired_retention=0.9,
    )
    world["course"].name = f"Course {SCRIPT}"
    world["course"].save()
    world["course_deck"].name = f"Deck {SCRIPT}"
    world["course_deck"].save()
    world["own_deck"].name = f"Mine {SCRIPT}"
    world["own_deck"].save()
    report = models.ProblemReport.objects.create(
        question=question,
        reporter=learner,
        problem=models.ProblemReport.Problem.choices[0][0],
        comment=f"Comment {SCRIPT}",
        prompt_seen=question.prompt,
        answers_seen=list(question.answers),
        created_at=timezone.now(),
    )
    CourseFactory(name=f"Other {SCRIPT}", instructors=[world["instructor"]])
    hostile_import = models.FactbaseImport.objects.create(
        name=f"{SCRIPT}.zip",
        size=1,
        created_at=timezone.now(),
        status=models.FactbaseImport.Status.REFUSED,
        summary=f"1 problem {SCRIPT}",
        problems=[f"f.yaml:1: unknown entity '{SCRIPT}'"],
        problem_count=1,
    )
    world.update(
        hostile_question=question,
        hostile_fact=fact,
        hostile_report=report,
        hostile_import=hostile_import,
    )
    return world


def _pages_showing_hostile_content(w: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(who, page, whether the page shows the hostile text) for every page that reads it."""
    q, course = w["hostile_question"], w["course"]
    card = models.Card.objects.get(learner=w["learner"], question=q)
    topic = q.topic.key
    feedback = FeedbackToken(w["learner"].pk, q.pk, 0, [f"Two {IMG}"], False).sign()
    return [
        ("learner", reverse("dashboard"), True),
        ("learner", f"{reverse('study_custom')}?topic={topic}", True),
        ("learner", f"{reverse('study_feedback')}?token={feedback}", True),
        ("learner", reverse("card", args=[card.pk]), True),
        ("learner", f"{reverse('bank')}?topic={topic}", True),
        ("learner", reverse("assignments"), True),
        ("learner", reverse("decks"), True),
        ("learner", reverse("deck", args=[w["own_deck"].pk]), True),
        ("learner", reverse("question_report", args=[q.pk]), True),
        ("learner", reverse("account"), False),
        ("instructor", reverse("teach"), True),
        ("instructor", reverse("teach_course", args=[course.pk]), True),
        ("instructor", reverse("teach_progress", args=[course.pk]), True),
        ("instructor", reverse("teach_learner", args=[course.pk, w["learner"].pk]), True),
        ("instructor", reverse("teach_items", args=[course.pk]) + "?all=1", True),
        ("instructor", reverse("teach_deck", args=[course.pk, w["course_deck"].pk]), True),
        ("instructor", reverse("teach_assignment", args=[course.pk, w["assignment"].pk]), True),
        ("editor", reverse("admin:learning_fact_changelist") + "?q=hostile", True),
        ("editor", reverse("admin:learning_fact_change", args=[w["hostile_fact"].pk]), True),
        ("editor", reverse("admin:learning_question_changelist") + "?q=Which", True),
        ("editor", reverse("admin:learning_question_change", args=[q.pk]), True),
        ("editor", reverse("admin:learning_problemreport_changelist"), True),
        (
            "editor",
            reverse("admin:learning_problemreport_change", args=[w["hostile_report"].pk]),
            True,
        ),
        ("editor", reverse("admin:learning_source_changelist"), True),
        ("editor", reverse("admin:learning_entity_changelist") + "?q=hostile", True),
        ("editor", reverse("admin:learning_fact_import"), True),
        (
            "editor",
            reverse("admin:learning_fact_import_result", args=[w["hostile_import"].pk]),
            True,
        ),
    ]


def test_html_and_script_in_content_are_shown_escaped_everywhere(hostile_world):
    w = hostile_world
    problems = []
    for role, page, shows in _pages_showing_hostile_content(w):
        response = signed_in(w, role).get(page)
        text = response.content.decode()
        if response.status_code != 200:
            problems.append(f"{role} {page}: {response.status_code}")
            continue
        if SCRIPT in text or "<img src=x" in text:
            problems.append(f"{role} {page}: shows the script unescaped")
        if shows and ESCAPED_SCRIPT not in text:
            problems.append(f"{role} {page}: does not show the hostile text at all")
    assert not problems, "\n".join(problems)


def test_a_hostile_course_name_is_escaped_in_the_join_message(hostile_world):
    w = hostile_world
    client = signed_in(w, "other_learner")
    response = client.post(reverse("join"), {"code": w["course"].code}, follow=True)
    text = response.content.decode()
    assert "You have joined Course " in text
    assert SCRIPT not in text and ESCAPED_SCRIPT in text


def test_the_progress_spreadsheet_does_not_run_a_deck_name_as_a_formula(hostile_world):
    w = hostile_world
    w["course_deck"].name = '=HYPERLINK("http://example.org")'
    w["course_deck"].save()
    response = signed_in(w, "instructor").get(reverse("teach_progress_csv", args=[w["course"].pk]))
    header = response.content.decode().splitlines()[0]
    assert "'=HYPERLINK" in header, header
    assert not re.search(r"(^|,)\"?=", header), header


@pytest.mark.parametrize("junk", ["\x00", "abc", "9" * 30, "-1"])
def test_junk_in_an_autocomplete_field_is_that_fields_error(world, junk):
    # Django's autocomplete widget looked the junk up to show it again: a server error.
    client = signed_in(world, "editor")
    before = people.snapshot()
    response = client.post(
        reverse("admin:learning_fact_add"),
        {
            "subject": junk,
            "object": junk,
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "0",
            "citations-0-source": junk,
        },
    )
    assert response.status_code == 200
    errors = re.findall(r'class="errorlist[^"]*"[^>]*><li>([^<]*)', response.content.decode())
    expected = "Null characters are not allowed." if junk == "\x00" else "Select a valid choice."
    assert any(e.startswith(expected) for e in errors), errors
    assert people.snapshot() == before


@pytest.mark.parametrize("count", ["51", "1000", "9" * 20])
def test_a_tampered_citation_count_is_refused_without_building_the_forms(world, count):
    # Django builds up to 2,000 inline forms for whatever count a post claims: 9 MB of
    # page for one refused post, before the fact's citations had a bound of their own.
    client = signed_in(world, "editor")
    before = people.snapshot()
    response = client.post(
        reverse("admin:learning_fact_add"),
        {"citations-TOTAL_FORMS": count, "citations-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please submit at most 50 forms." in page
    assert len(set(re.findall(r'name="citations-(\d+)-source"', page))) <= 50
    assert people.snapshot() == before


def _query_targets(w: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(who, method, page, parameter) for every query parameter a view reads."""
    course = w["course"].pk
    return [
        ("learner", "get", reverse("bank"), "page"),
        ("learner", "get", reverse("study_feedback"), "token"),
        ("learner", "get", reverse("join"), "code"),
        ("learner", "get", reverse("question_report", args=[w["question"].pk]), "filed"),
        ("instructor", "get", reverse("teach_course", args=[course]), "page"),
        ("instructor", "get", reverse("teach_progress", args=[course]), "page"),
        ("instructor", "get", reverse("teach_progress", args=[course]), "sort"),
        ("instructor", "get", reverse("teach_items", args=[course]), "all"),
        ("instructor", "get", reverse("teach_items", args=[course]), "sort"),
        ("instructor", "get", reverse("teach_learner", args=[course, w["learner"].pk]), "sort"),
        ("instructor", "get", reverse("teach_learner", args=[course, w["learner"].pk]), "page"),
        ("editor", "post", reverse("admin:learning_fact_preview"), "fact"),
    ]


QUERY_VALUES = st.one_of(
    HOSTILE,
    # Characters Python calls digits that are not 0-9, and numbers past any integer column.
    st.sampled_from(["²", "١٢", "𝟗", "9" * 30, "-0", "0x1F", "1_000"]),
)


def _query_fuzzer(world: dict[str, Any], target: tuple[str, str, str, str], before: Any):
    role, method, page, parameter = target
    cookies = signed_in(world, role).cookies

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
    @given(value=QUERY_VALUES, htmx=st.booleans())
    def fuzz(value: str, htmx: bool) -> None:
        form = Form(page, f"{page}?{urlencode({parameter: value})}", method)
        _fuzz_one(cookies, Target(role, form), before, {}, htmx)

    return fuzz


def test_every_query_parameter_a_view_reads_refuses_hostile_values_cleanly(world):
    before = people.snapshot()
    failures = []
    for target in _query_targets(world):
        try:
            _query_fuzzer(world, target, before)()
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert not failures, "\n".join(failures)


# Hostile files and values found in the second security round ---------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _hostile_cases(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(who, page, what is posted): files the form-reading fuzz cannot send, and values
    it may not draw, each from a report of the second round."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from learning.content import editing

    course = w["course"].pk
    bomb = ALIAS_BOMB.encode()
    padding = b"# padding\n" * (editing.IMPORT_MAX_BYTES // 40)
    imports = {
        "alias-bomb.yaml": bomb,
        "alias-bomb.zip": _zip({"factbase/bomb.yaml": bomb}),
        "too-big.yaml": b"# padding\n" * (editing.IMPORT_MAX_BYTES // 10 + 1),
        "members-too-big.zip": _zip({f"f{n}.yaml": padding for n in range(5)}),
        "crowded.zip": _zip({f"f{n}.txt": b"" for n in range(editing.IMPORT_MAX_MEMBERS + 1)}),
        "not-a-zip.zip": b"PK\x03\x04 not really",
        "binary.yaml": b"\xff\xfe\x00\x00" * 100,
    }
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("editor", reverse("admin:learning_fact_import"), {"files": SimpleUploadedFile(n, c)})
        for n, c in imports.items()
    ]
    csv_fields = {
        "one-huge-field": "x" * 140_000,
        "unclosed-quote": 'a@example.org\n"' + "z" * 200_000,
        "huge-second-line": "a@example.org\n" + "y" * 140_000,
        "nul-bytes": "a@example.org\x00\n" * 10,
    }
    for name, text in csv_fields.items():
        cases.append(("instructor", reverse("teach_enrol", args=[course]), {"emails": text}))
        cases.append(
            (
                "instructor",
                reverse("teach_enrol", args=[course]),
                {"file": SimpleUploadedFile(f"{name}.csv", text.encode())},
            )
        )
    for big in ("9223372036854775808", "9" * 30, str(2**64 + 1), "-1"):
        for page in (reverse("deck_new"), reverse("deck", args=[w["own_deck"].pk])):
            cases.append(
                ("learner", page, {"name": "x", "mode": "picked", "picked": big, "action": "save"})
            )
        cases.append(
            (
                "instructor",
                reverse("teach_deck_new", args=[course]),
                {"name": "x", "mode": "filter", "fact": big, "action": "save"},
            )
        )
        cases.append(("instructor", reverse("teach_instructor_add", args=[course]), {"who": big}))
    for name in ("l\u0435arner", "\u0455tudent", "alpha\u200b", "ＡＬＰＨＡ", "Alpha"):
        cases.append(
            (
                "anonymous",
                reverse("signup"),
                {
                    "username": name,
                    "email": "x@example.org",
                    "password1": "a long passphrase of seven words",
                    "password2": "a long passphrase of seven words",
                },
            )
        )
    return cases


def test_hostile_files_and_values_of_the_second_round_are_refused_cleanly(world):
    before = people.snapshot()
    failures = []
    cases = _hostile_cases(world)
    for role, page, data in cases:
        for value in data.values():
            if hasattr(value, "seek"):
                value.seek(0)
        cache.clear()
        with transaction.atomic():
            response = signed_in(world, role).post(page, data)
            body = response.content.decode("utf-8", "replace")
            changed = people.changed(before, people.snapshot())
            transaction.set_rollback(True)
        where = f"{role} POST {page} with {_short({k: [str(v)] for k, v in data.items()})}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code}")
        elif not 400 <= response.status_code < 500:
            failures.append(f"{where}: {response.status_code}, expected a refusal")
        elif changed:
            failures.append(f"{where}: refused but changed data")
        elif not _says_what_went_wrong(body):
            failures.append(f"{where}: {response.status_code} says nothing")
        elif len(body) > 2_000_000:
            failures.append(f"{where}: a {len(body)}-character answer")
    assert not failures, "\n".join(failures)
    print(f"\n{len(cases)} hostile files and values of the second round")
