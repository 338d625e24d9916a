"""The request path every page shares: Flask's async check and the session's signing."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.models import Intake
from intake.web import App, CookieSessions
from tests.helpers import csrf_token, page_url, sign


def plain(value: Any) -> Any:
    return value


async def later(value: Any) -> Any:
    return value


class Hook:
    def method(self) -> None:
        return None

    def __call__(self) -> None:
        return None


@pytest.mark.no_database
def test_a_plain_function_or_method_is_used_as_it_is() -> None:
    app = App(__name__)
    hook = Hook()
    bound = hook.method
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(bound) is bound
    # What has no code of its own goes Flask's way (which finds these plain too).
    partial = functools.partial(plain, 1)
    assert app.ensure_sync(partial) is partial
    assert app.ensure_sync(hook) is hook


@pytest.mark.no_database
def test_a_coroutine_function_still_goes_flasks_way() -> None:
    app = App(__name__)
    try:
        wrapped = app.ensure_sync(later)
    except RuntimeError as refused:  # Flask without its async extra says so
        assert "async" in str(refused)
    else:
        assert wrapped is not later and wrapped(3) == 3


@pytest.mark.no_database
def test_the_signing_serializer_is_made_once_per_set_of_keys() -> None:
    app = Flask(__name__)
    app.secret_key = "first-" + "k" * 40
    sessions = CookieSessions()
    made = sessions.get_signing_serializer(app)
    assert made is not None
    assert sessions.get_signing_serializer(app) is made
    signed = made.dumps({"a": 1})
    # A rotation (the old key kept as a fallback) makes a new one that still reads the old.
    app.secret_key = "second-" + "k" * 40
    app.config["SECRET_KEY_FALLBACKS"] = ["first-" + "k" * 40]
    rotated = sessions.get_signing_serializer(app)
    assert rotated is not None and rotated is not made
    assert rotated.loads(signed) == {"a": 1}
    app.config["SECRET_KEY_FALLBACKS"] = []
    alone = sessions.get_signing_serializer(app)
    assert alone is not None and alone is not rotated
    with pytest.raises(Exception, match="Signature"):
        alone.loads(signed)
    app.secret_key = None
    assert sessions.get_signing_serializer(app) is None


def test_the_app_signs_its_session_cookie_with_the_cached_serializer(
    app: Flask, client: FlaskClient, intake: Intake
) -> None:
    assert isinstance(app.session_interface, CookieSessions)
    sign(client, intake)
    token = csrf_token(client, page_url(intake, "now"))
    # The page's form token checks against the token the session cookie carries (a cookie
    # the interface could not read would hold none: the post would be refused, 400).
    response = client.post(page_url(intake, "now"), data={"csrf_token": token, "action": "save"})
    assert response.status_code == 302
    with client.session_transaction() as stored:
        assert stored.get("csrf_token")


@pytest.fixture
def intake(make_clinic: Any, make_intake: Any) -> Intake:
    clinic_id, _ = make_clinic()
    made: Intake = make_intake(clinic_id)
    return made
