"""The refusal matrix: every URL, with every method, as everyone who might ask.

The URLs come from the URL configuration itself, so a URL added tomorrow is
requested tomorrow; one missing from the table (`tests/access_table.py`) fails
`test_every_url_is_in_the_table`.
Each URL is asked for with GET, POST, PUT, PATCH and DELETE by seven people:

- anonymous: nobody signed in;
- learner: the learner whose card, deck, report and course the URL names;
- other_learner: a learner in another course;
- instructor: the instructor of the learner's course;
- other_instructor: the instructor of another course;
- editor: a content editor (staff, with the fact-base permission);
- superuser.

Each answer is checked against the table (a status, or a redirect to a login page),
a refused request must change nothing in the database, and no answer to someone
the data does not belong to may contain it (the learner's email, the name of
their own deck, the course's name). Every request runs in a savepoint that is
rolled back, so an allowed POST (deleting a deck, say) does not change what the
next person is asked about.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests import people
from tests.access_table import (
    ADMIN_LOGIN,
    LOGIN,
    METHODS,
    ROLES,
    SECRETS,
    SIGNED_IN,
    Access,
    Expect,
    access_for,
    all_routes,
)
from tests.spine import load_spine_if_flushed

pytestmark = pytest.mark.django_db

# The world every URL is asked about ----------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """Built once for the module, in a transaction rolled back when the module is done:
    every test runs in its own savepoint inside it, and every request in another, so each
    test meets the same world whatever ran before it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_spine_if_flushed()
        world = people.world_build()
        # Everyone has opened their settings page once, so it shows the workload forecast
        # it stored then instead of simulating it again at every request of the matrix.
        for role in SIGNED_IN:
            client = Client()
            client.force_login(world[role], backend="learning.backends.LearnerBackend")
            assert client.get(reverse("settings")).status_code == 200
        # Each person signed in once: every request starts from a copy of their cookies,
        # and its own changes to the session are rolled back with its savepoint.
        world["cookies"] = {role: _signed_in(world, role) for role in ROLES}
        yield world
        transaction.set_rollback(True)


def _signed_in(world: dict[str, Any], role: str) -> SimpleCookie:
    client = Client()
    if role != "anonymous":
        client.force_login(world[role], backend="learning.backends.LearnerBackend")
    return client.cookies


@dataclass
class Answer:
    status: int
    location: str
    body: str
    changed: bool


def refusal(answer_status: int, expect: Expect) -> bool:
    """Whether an answer refuses the request: then it must have changed nothing."""
    return answer_status in (400, 403, 404, 405, 422) or expect in (LOGIN, ADMIN_LOGIN)


def ask(
    world: dict[str, Any],
    cookies: SimpleCookie,
    method: str,
    access: Access,
    before: dict[str, Any],
    expect: Expect,
) -> Answer:
    """One request with the cookies of someone signed in (or none), in a savepoint that
    is rolled back afterwards; `changed` says whether a refusal changed what `before`
    holds (an answer that is no refusal may change things, and is not compared)."""
    # Rate limits count in the cache, which no savepoint rolls back: each request is asked
    # as if it were the first.
    cache.clear()
    with transaction.atomic():
        client = Client(raise_request_exception=False)
        client.cookies = copy.deepcopy(cookies)
        path = access.path(world)
        data = access.data(world) if method == "post" else {}
        if method in ("get", "post"):
            response = getattr(client, method)(path, data)
        else:
            response = getattr(client, method)(path)
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        changed = refusal(response.status_code, expect) and people.changed(
            before, people.snapshot()
        )
        transaction.set_rollback(True)
    text = body.decode("utf-8", "replace") if b"\x00" not in body[:4096] else ""
    return Answer(response.status_code, response.get("Location", ""), text, changed)


def verdict(answer: Answer, expect: Expect, path: str) -> bool:
    if expect == LOGIN:
        return answer.status == 302 and answer.location.startswith(f"{reverse('login')}?next=")
    if expect == ADMIN_LOGIN:
        # Someone signed in who may not see the fact base is offered its own sign-in page;
        # nobody signed in may be sent to either.
        return answer.status == 302 and answer.location.startswith(
            (f"{reverse('admin:login')}?next=", f"{reverse('login')}?next=")
        )
    return answer.status == expect


def leaks(world: dict[str, Any], role: str, answer: Answer) -> list[str]:
    found = []
    markers = {
        "email": world["learner"].email,
        "deck": world["own_deck"].name,
        "course": world["course"].name,
    }
    for secret, allowed in SECRETS.items():
        if role not in allowed and markers[secret] in answer.body:
            found.append(secret)
    return found


# The tests -----------------------------------------------------------------------------


def test_every_url_is_in_the_table():
    missing = [r.regex for r in all_routes() if access_for(r) is None]
    assert not missing, f"URLs with no row in the refusal matrix: {missing}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", all_routes(), ids=lambda r: r.key)
def test_every_url_answers_everyone_as_the_table_says(world, route, role):
    access = access_for(route)
    assert access is not None, f"{route.regex} has no row in the refusal matrix"
    problems = []
    cookies = world["cookies"][role]
    before = people.snapshot()
    for method in METHODS:
        expect = access.want[role, method]
        answer = ask(world, cookies, method, access, before, expect)
        path = access.path(world)
        if answer.status >= 500:
            problems.append(f"{role} {method.upper()} {path}: {answer.status}")
            continue
        if not verdict(answer, expect, path):
            problems.append(
                f"{role} {method.upper()} {path}: {answer.status} {answer.location!r}, "
                f"expected {expect}"
            )
        if refusal(answer.status, expect) and answer.changed:
            problems.append(f"{role} {method.upper()} {path}: a refusal changed data")
        leaked = leaks(world, role, answer)
        if leaked:
            problems.append(f"{role} {method.upper()} {path}: shows the learner's {leaked}")
    assert not problems, "\n".join(problems)


# Ids past the database's integer range, in every URL that names one -----------------------

OUT_OF_RANGE = ("9223372036854775808", "9" * 30)


@pytest.mark.parametrize("role", ["learner", "instructor", "editor", "superuser"])
def test_every_url_answers_ids_past_the_integer_range_without_a_server_error(world, role):
    """Each number in a URL's path replaced by one no id column can hold: not found (or
    refused), never a server error, for whoever asks (one test per person, so that
    the suite's workers share them)."""
    problems = []
    asked = 0
    client = Client(raise_request_exception=False)
    client.force_login(world[role], backend="learning.backends.LearnerBackend")
    for route in all_routes():
        access = access_for(route)
        path = access.path(world)
        if not re.search(r"/[0-9]+/", path + "/"):
            continue
        for big in OUT_OF_RANGE:
            hostile = re.sub(r"(?<=/)[0-9]+(?=/|$|\.)", big, path)
            for method in ("get", "post"):
                with transaction.atomic():
                    response = getattr(client, method)(hostile)
                    transaction.set_rollback(True)
                asked += 1
                if response.status_code >= 500:
                    problems.append(f"{role} {method.upper()} {hostile}: {response.status_code}")
    assert asked > 25
    assert not problems, "\n".join(problems)
    # Every request was made signed in: none of them signed the person out.
    assert client.get("/settings/").wsgi_request.user == world[role]
    print(f"\n{asked} requests with out-of-range ids as {role}")
