"""Settings and CLI docs are generated from code; these fail when the committed docs drift."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from missionhub.reference import DOCS, cli_markdown, settings_markdown
from missionhub.settings import DEV_SECRET, Environment, Settings


def test_settings_doc_matches_the_settings_class() -> None:
    assert (DOCS / "settings.md").read_text() == settings_markdown(), "run `make docs`"


def test_cli_doc_matches_the_cli() -> None:
    assert (DOCS / "cli.md").read_text() == cli_markdown(), "run `make docs`"


def test_production_refuses_the_development_secret_and_insecure_cookies() -> None:
    with pytest.raises(ValidationError, match="MISSIONHUB_SECRET_KEY must be set"):
        Settings(environment=Environment.PRODUCTION, secret_key=DEV_SECRET)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment=Environment.PRODUCTION, secret_key="short")
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        Settings(environment=Environment.PRODUCTION, secret_key="k" * 40, cookie_secure=False)
    ok = Settings(environment=Environment.PRODUCTION, secret_key="k" * 40)
    assert ok.secure_cookies


def test_cookies_are_secure_everywhere_but_development() -> None:
    assert not Settings(environment=Environment.DEVELOPMENT).secure_cookies
    assert Settings(environment=Environment.TEST).secure_cookies
