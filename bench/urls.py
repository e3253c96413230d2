"""The project's URLs and the floor: every benchmark time is a ratio against it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from spinequiz.urls import urlpatterns as project_urlpatterns


def floor(request: HttpRequest) -> HttpResponse:
    """An authenticated page that renders the base template and nothing else."""
    return render(request, "base.html")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]
