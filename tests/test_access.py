"""Every page requires login; the admin is for superusers only."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.test_tenancy import URL_KWARGS, crawl_world  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "merchants:list",
    "carts:list",
    "sync:runs",
    "sync:alerts",
    "sync:status",
    "sync:troubleshooter",
]


def test_every_page_redirects_an_anonymous_visitor_to_login(client, crawl_world):  # noqa: F811
    urls = [reverse(name) for name in LIST_PAGES] + [
        reverse(name, kwargs=kwargs(crawl_world["own"])) for name, kwargs in URL_KWARGS.items()
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next="), url


def test_login_page_and_health_need_no_login(client):
    assert client.get(reverse("login")).status_code == 200
    health = client.get(reverse("health"))
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}


def test_login_then_logout(client, merchant_user):
    response = client.post(
        reverse("login"), {"username": merchant_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("merchants:list")).status_code == 200

    client.post(reverse("logout"))

    assert client.get(reverse("merchants:list")).status_code == 302


def test_wrong_password_is_refused(client, merchant_user):
    response = client.post(reverse("login"), {"username": merchant_user.username, "password": "x"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [("merchant_user", 302), ("support_agent", 302), ("superuser", 200)]
)
def test_admin_is_for_superusers_only(client, request, role, status):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    client.force_login(user)

    assert client.get("/admin/").status_code == status


def test_list_pages_render_for_a_merchant_user(merchant_client):
    for name in LIST_PAGES:
        assert merchant_client.get(reverse(name)).status_code == 200, name
