"""Security headers on every response: Content-Security-Policy and Permissions-Policy."""

import pytest


@pytest.mark.django_db
def test_every_page_carries_the_content_security_and_permissions_policies(admin_client_super):
    for url in ("/healthz", "/admin/", "/admin/catalog/product/", "/admin/login/"):
        response = admin_client_super.get(url)
        policy = response["Content-Security-Policy"]
        assert (
            "default-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
        ), url
        assert "camera=()" in response["Permissions-Policy"], url
