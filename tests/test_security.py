"""Headers, sessions and logins: the policy every page is served with."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def learner_client():
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize(
    "name", ["dashboard", "study", "study_custom", "bank", "settings", "password_change"]
)
def test_pages_carry_a_nonce_policy_that_their_scripts_and_styles_obey(
    learner_client, spine_bank, name
):
    response = learner_client.get(reverse(name))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self';" in policy or policy.endswith("style-src 'self'")
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx is loaded"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag and "src=" in tag, tag
    assert not re.search(r"\sstyle\s*=", html), "no inline style attributes"
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert "<style" not in html


def test_each_response_gets_a_fresh_nonce(learner_client, spine_bank):
    first = learner_client.get(reverse("dashboard"))["Content-Security-Policy"]
    second = learner_client.get(reverse("dashboard"))["Content-Security-Policy"]
    assert first != second


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(learner_client, spine_bank):
    html = learner_client.get(reverse("dashboard")).content.decode()
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', html).group(1)
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config


def test_https_responses_carry_hsts_and_pages_refuse_framing(client):
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_http_only(client):
    UserFactory(username="cookie-student")
    login = client.get(reverse("login"))
    token = login.cookies["csrftoken"]
    assert token["httponly"]
    response = client.post(
        reverse("login"),
        {"username": "cookie-student", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


# Password guessing ----------------------------------------------------------------


def _try(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_that_account_from_that_address(client):
    UserFactory(username="guessed", email="guessed@example.org")
    for _ in range(4):
        wrong = _try(client, "guessed", "not-the-password")
        assert wrong.status_code == 200
        assert "Please enter a correct username and password" in wrong.content.decode()
    locked = _try(client, "guessed", "not-the-password")
    assert locked.status_code == 429
    # Even the right password is refused while the lock lasts, with a way out.
    right = _try(client, "guessed", "correct horse battery staple")
    assert right.status_code == 429
    page = right.content.decode()
    assert "Too many failed log-ins" in page and "15 minutes" in page
    assert reverse("password_reset") in page
    assert "_auth_user_id" not in client.session


def test_a_lock_on_one_account_leaves_other_students_alone(client):
    UserFactory(username="guessed")
    UserFactory(username="innocent")
    for _ in range(5):
        _try(client, "guessed", "not-the-password")
    assert _try(client, "innocent", "correct horse battery staple").status_code == 302


def test_a_successful_login_clears_earlier_failures(client):
    UserFactory(username="clumsy")
    for _ in range(4):
        _try(client, "clumsy", "typo")
    assert _try(client, "clumsy", "correct horse battery staple").status_code == 302
    client.logout()
    for _ in range(4):
        assert _try(client, "clumsy", "typo").status_code == 200


# Deployment checks -------------------------------------------------------------------


def test_the_production_settings_pass_djangos_deployment_checks(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="spinequiz.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


@pytest.mark.django_db
def test_an_over_long_username_is_the_forms_error_and_no_sign_in_is_recorded(client):
    from axes.models import AccessAttempt, AccessFailureLog

    response = client.post(reverse("login"), {"username": "x" * 300, "password": "y" * 40})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()
    # A name of allowed length is tried, and its failure recorded, as before.
    client.post(reverse("login"), {"username": "x" * 150, "password": "y" * 40})
    assert AccessAttempt.objects.filter(username="x" * 150).exists()
