"""Fixtures of the catalog tests."""

import pytest

from catalog.tests.factories import make_category


@pytest.fixture
def categories():
    """Two categories, Shoes (slug shoes) and Hats (slug hats)."""
    return make_category("Shoes", "shoes"), make_category("Hats", "hats")
