from django.contrib import admin
from django.urls import include, path

from learning.views.auth import password_reset, password_reset_confirm

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before Django's own: reset mail goes to verified emails only, a few an hour.
    path("accounts/password_reset/", password_reset, name="password_reset"),
    # ... and a new password lifts a pause on signing in to the account.
    path(
        "accounts/reset/<uidb64>/<token>/",
        password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("learning.urls")),
]
