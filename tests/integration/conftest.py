"""Fixtures shared by the end-to-end sync scenarios."""

from tests.server.conftest import world  # noqa: F401 - re-exported fixture
