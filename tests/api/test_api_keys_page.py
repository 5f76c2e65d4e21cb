"""The API keys section of the merchant page: create (shown once), list, revoke."""

import pytest
from django.test import Client

from merchants.models import ApiKey
from merchants.services import api_key_authenticate, api_key_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_creating_a_key_shows_it_once_and_stores_only_its_hash(
    merchant_client, merchant, merchant_user
):
    response = merchant_client.post(f"/api/keys/{merchant.pk}/new/", {"name": "WMS push"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["key"]
    api_key = ApiKey.objects.get(merchant=merchant)
    assert (api_key.name, api_key.created_by) == ("WMS push", merchant_user)
    assert key in response.content.decode()
    assert api_key_authenticate(key=key) == api_key
    page = merchant_client.get(f"/merchants/{merchant.pk}/").content.decode()
    assert key not in page


def test_section_lists_the_keys_with_their_state(merchant_client, merchant):
    api_key_create(merchant=merchant, name="Active one")

    html = merchant_client.get(f"/merchants/{merchant.pk}/").content.decode()

    section = html.split('id="api-keys"', 1)[1]
    assert "Active one" in section


def test_section_template_renders_keys_and_revoked_state(merchant, rf):
    from django.template.loader import render_to_string

    active = api_key_create(merchant=merchant, name="Active one").api_key
    revoked = api_key_create(merchant=merchant, name="Old one").api_key
    from merchants.services import api_key_revoke

    api_key_revoke(api_key=revoked)

    html = render_to_string("merchants/_api_keys.html", {"merchant": merchant}, request=rf.get("/"))

    assert "Active one" in html and active.prefix in html
    assert "Old one" in html and "Revoked" in html
    assert f"/api/keys/{merchant.pk}/{active.pk}/revoke/" in html
    assert f"/api/keys/{merchant.pk}/{revoked.pk}/revoke/" not in html


def test_revoking_a_key_refuses_it_from_then_on(merchant_client, merchant):
    new_key = api_key_create(merchant=merchant, name="push")

    response = merchant_client.post(f"/api/keys/{merchant.pk}/{new_key.api_key.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == f"/merchants/{merchant.pk}/#api-keys"
    new_key.api_key.refresh_from_db()
    assert new_key.api_key.revoked_at is not None
    assert api_key_authenticate(key=new_key.key) is None


def test_another_merchants_keys_are_404(client, merchant, other_merchant):
    user = UserFactory()
    MembershipFactory(user=user, merchant=other_merchant)
    client.force_login(user)
    new_key = api_key_create(merchant=merchant, name="push")

    create = client.post(f"/api/keys/{merchant.pk}/new/", {"name": "mine now"})
    revoke = client.post(f"/api/keys/{merchant.pk}/{new_key.api_key.pk}/revoke/")
    cross = client.post(f"/api/keys/{other_merchant.pk}/{new_key.api_key.pk}/revoke/")

    assert (create.status_code, revoke.status_code, cross.status_code) == (404, 404, 404)
    assert ApiKey.objects.count() == 1
    new_key.api_key.refresh_from_db()
    assert new_key.api_key.revoked_at is None


def test_key_pages_need_a_login_and_a_post(merchant_client, merchant):
    anonymous = Client()
    assert anonymous.post(f"/api/keys/{merchant.pk}/new/", {"name": "x"}).status_code == 302
    assert merchant_client.get(f"/api/keys/{merchant.pk}/new/").status_code == 405
    assert not ApiKey.objects.exists()
