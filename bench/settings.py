"""Benchmark settings: the project's own, plus the floor view's URL (bench/urls.py).

Used only by `make bench`, in-process and for the gunicorn it starts.
"""

from spinequiz.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The benchmark measures the app, not the access log of the load test.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The class-progress figures "after someone studied" time the report being computed
# again, which the app does at most once a minute per course; here, every time.
COURSE_REPORT_FRESH_SECONDS = 0
# Sign-up mails a confirmation link: kept in memory here, no mail server needed.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
