"""Fixtures for the storage contract suite."""

from tests.server.conftest import world  # noqa: F401 - re-exported fixture
