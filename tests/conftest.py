import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.spine import load_spine, load_spine_if_flushed

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: browser test not run (`apt-get install chromium`)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    if item.get_closest_marker("postgres") and not _uses_postgres():
        pytest.skip("needs PostgreSQL (make test also runs the suite there)")


def _uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> Iterator[None]:
    # Tests run with DEBUG off, like production, but over plain HTTP and with no
    # collected static files; a fast hasher keeps user factories cheap.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        # Whatever `make serve` or `make bench` collected stays out of the tests: WhiteNoise
        # reads every collected file each time a test client starts, and with the 700
        # files of a collected checkout, the refusal matrix took twice as long.
        STATIC_ROOT=None,
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Class reports follow every review at once (one test checks the minute's wait).
        COURSE_REPORT_FRESH_SECONDS=0,
        # Background tasks run at once, inside the test; tests of the worker itself
        # switch back to the database backend.
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and lockouts count in the cache: each test starts with none used.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _postgres_reachable_in_ci() -> None:
    # In CI a PostgreSQL run that cannot connect must fail at once, loudly.
    if not (IN_CI and _uses_postgres()):
        return
    import psycopg

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",  # the test database does not exist yet
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError as error:
        pytest.exit(f"PostgreSQL at {db['HOST']}:{db['PORT']} is not reachable: {error}", 1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread, which
    # makes Django refuse ORM calls from the tests unless told it is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                # This machine has no outside network: keep Chromium from trying.
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    # Every browser test also checks the Content-Security-Policy: a script or
    # style the policy blocks is a broken page, whatever the test looked at.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(f"{page.url}: {message.text} {message.location}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


# The spine fact base and its bank, loaded once into the test database -------


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: F811 - extends pytest-django's
    with django_db_blocker.unblock():
        load_spine()


# An instructor and their course (a test module may define its own) ----------------------


@pytest.fixture
def instructor():
    from tests.factories import InstructorFactory

    return InstructorFactory()


@pytest.fixture
def course(instructor):
    from tests.factories import CourseFactory

    return CourseFactory(instructors=[instructor])


@pytest.fixture
def teacher(instructor):
    """A browser signed in as the instructor."""
    from django.test import Client

    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def spine_bank(db) -> None:
    """The loaded fact base and bank (reloaded after a test that flushed the database)."""
    load_spine_if_flushed()


# The site's clock --------------------------------------------------------------------


class Clock:
    """The site's clock, moved by the test: `timezone.now` everywhere reads it."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def tick(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    # Mid-morning in the learner's zone, far from the study day's 4 a.m. boundary.
    moment = Clock(timezone.now().replace(hour=10, minute=0, second=0, microsecond=0))
    monkeypatch.setattr(timezone, "now", moment)
    return moment
