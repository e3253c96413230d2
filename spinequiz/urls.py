from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path

from learning.forms import SignInForm
from learning.views.auth import password_reset, password_reset_confirm

# The 403 page says whom a page is for (instructors ...), where its view says so.
handler403 = "learning.views.auth.permission_denied"

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
    # ... and a username's length is checked before the sign-in is tried and recorded.
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("learning.urls")),
]
