"""`app.defaults`: which settings the environment leaves at their defaults, without pydantic."""

from __future__ import annotations

import os

import pytest

from app import defaults
from app.settings import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.upper().startswith("MARE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_the_other_settings_are_every_field_of_settings_but_the_database_url() -> None:
    fields = {"MARE_" + name.upper() for name in Settings.model_fields}
    assert defaults.OTHER_SETTINGS_VARIABLES == fields - {"MARE_DATABASE_URL"}


def test_the_database_url_alone_is_what_settings_would_hold(
    clean_env: pytest.MonkeyPatch,
) -> None:
    url = "postgresql://mare@db:5432/mare"
    assert defaults.database_url_alone() is None  # unset: the default file is Settings' call
    clean_env.setenv("MARE_DATABASE_URL", url)
    clean_env.setenv("MARE_TEST_DATABASE_URL", "postgresql://other")  # not a setting
    assert defaults.database_url_alone() == url == Settings().database_url
    clean_env.setenv("MARE_RETENTION_DAYS", "0")  # a setting to validate: Settings says
    assert defaults.database_url_alone() is None
    clean_env.delenv("MARE_RETENTION_DAYS")
    clean_env.setenv("mare_batch_size", "10")  # names match without regard to case
    assert defaults.database_url_alone() is None


@pytest.mark.parametrize("url", ["", "   "])
def test_a_blank_database_url_is_left_to_settings(clean_env: pytest.MonkeyPatch, url: str) -> None:
    clean_env.setenv("MARE_DATABASE_URL", url)
    assert defaults.database_url_alone() is None


def test_a_database_url_set_in_two_cases_is_left_to_settings(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("MARE_DATABASE_URL", "postgresql://a/a")
    clean_env.setenv("mare_database_url", "postgresql://b/b")
    assert defaults.database_url_alone() is None
    clean_env.delenv("MARE_DATABASE_URL")
    assert defaults.database_url_alone() == "postgresql://b/b" == Settings().database_url
