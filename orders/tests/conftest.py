"""Fixtures of the order tests."""

import pytest

from catalog.tests.factories import make_product


@pytest.fixture
def products():
    """MUG (10 in stock, 8.00) and TEE (5 in stock, 20.00)."""
    return make_product("MUG", stock=10, price="8.00"), make_product("TEE", stock=5, price="20.00")
