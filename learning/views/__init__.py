"""The pages, by who uses them: a learner studying (`learner`, `study`, `cards`), courses
for learners and their instructors (`courses`, `anki`), the fact base's editors (`editor`,
`reports`), and accounts (`auth`, `account`)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: `request.htmx` is typed."""

    htmx: HtmxDetails
