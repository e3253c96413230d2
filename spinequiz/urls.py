from django.contrib import admin
from django.urls import include, path

from learning.views_auth import password_reset

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before Django's own: reset mail goes to verified emails only, a few an hour.
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("learning.urls")),
]
