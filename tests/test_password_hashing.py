"""Passwords are hashed with Argon2; a password hashed before (PBKDF2) still signs in,
and is hashed again with Argon2 at that sign-in.

The other tests hash with a fast hasher (tests/conftest.py); these use the project's own
list of hashers, as a deployment does.
"""

import importlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSPHRASE = "a long passphrase of seven words"
PROJECT_HASHERS = importlib.import_module("spinequiz.settings").PASSWORD_HASHERS


@pytest.fixture
def project_hashers():
    with override_settings(PASSWORD_HASHERS=PROJECT_HASHERS):
        yield


def algorithm_of(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return identify_hasher(user.password).algorithm


def pbkdf2_hash(password: str) -> str:
    """A PBKDF2 hash as Django made them before, with few iterations to keep the test fast
    (the stored count is the one checked)."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=1000)


def sign_in(username: str, password: str) -> int:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code


def test_a_new_account_is_hashed_with_argon2(project_hashers):
    response = Client().post(
        reverse("signup"),
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
        },
    )
    assert response.status_code == 302
    assert algorithm_of("newcomer") == "argon2"
    assert sign_in("newcomer", PASSPHRASE) == 302


def test_a_pbkdf2_password_signs_in_and_is_hashed_again_with_argon2(project_hashers):
    older = pbkdf2_hash(PASSPHRASE)
    get_user_model().objects.create(username="veteran", email="v@example.org", password=older)

    assert sign_in("veteran", PASSPHRASE) == 302

    assert algorithm_of("veteran") == "argon2"
    # The new hash is the same password: the learner signs in with it as before.
    assert sign_in("veteran", PASSPHRASE) == 302


def test_a_wrong_password_leaves_a_pbkdf2_hash_as_it_was(project_hashers):
    older = pbkdf2_hash(PASSPHRASE)
    get_user_model().objects.create(username="veteran", email="v@example.org", password=older)

    assert sign_in("veteran", "not the passphrase at all") == 200

    assert get_user_model().objects.get(username="veteran").password == older
