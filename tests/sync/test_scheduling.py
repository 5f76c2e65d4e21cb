"""Scheduling: the dispatchers enqueue exactly the due work, once; the reaper fails stuck runs;
"Run inventory now" / "Upload now" queue a run on commit; the retry policy's countdowns."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from carts.models import UploadMode
from merchants.models import InventorySyncMode, Merchant
from merchants.services import merchant_delete, merchant_settings_update
from sync import tasks
from sync.models import Alert, RunKind, RunState, RunTrigger, SyncRun
from sync.services import scheduling
from sync.services.scheduling import (
    RETRY_AFTER_MAX_SECONDS,
    RETRY_CAP_SECONDS,
    download_request,
    due_downloads_dispatch,
    due_uploads_dispatch,
    retry_countdown,
    stuck_runs_reap,
    upload_request,
)
from tests.factories import CartFactory, MerchantFactory, SyncRunFactory, UserFactory

pytestmark = pytest.mark.django_db

SCHEDULED = InventorySyncMode.SCHEDULED


@pytest.fixture
def enqueued(monkeypatch):
    """Every task the code under test enqueues, as (task name, kwargs), instead of a broker."""
    sent = []

    def recorder(name):
        return lambda **kwargs: sent.append((name, kwargs))

    monkeypatch.setattr(tasks.inventory_download_task, "delay", recorder("download"))
    monkeypatch.setattr(tasks.cart_upload_task, "delay", recorder("upload"))
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a dispatcher as if in its own transaction: its on-commit callbacks run after it."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def scheduled_merchant(**fields):
    fields.setdefault("inventory_sync_mode", SCHEDULED)
    fields.setdefault("inventory_interval_minutes", 15)
    next_at = fields.pop("next_download_at", None)
    paused = fields.pop("scheduling_paused_reason", "")
    merchant = MerchantFactory(**fields)
    Merchant.objects.filter(pk=merchant.pk).update(
        next_download_at=next_at, scheduling_paused_reason=paused
    )
    merchant.refresh_from_db()
    return merchant


# --- Downloads -------------------------------------------------------------------------------


def test_dispatch_enqueues_downloads_of_due_scheduled_merchants_only(enqueued, committed, now):
    never_run = scheduled_merchant()
    overdue = scheduled_merchant(next_download_at=now - timedelta(minutes=1))
    due_exactly_now = scheduled_merchant(next_download_at=now, inventory_interval_minutes=60)
    not_yet = scheduled_merchant(next_download_at=now + timedelta(minutes=5))
    paused = scheduled_merchant(scheduling_paused_reason="Credentials rejected")
    off = scheduled_merchant(inventory_sync_mode=InventorySyncMode.OFF)
    automatic = scheduled_merchant(inventory_sync_mode=InventorySyncMode.AUTOMATIC)

    dispatched = committed(due_downloads_dispatch, now=now)

    assert sorted(dispatched) == sorted([never_run.pk, overdue.pk, due_exactly_now.pk])
    assert sorted(enqueued, key=lambda sent: sent[1]["merchant_id"]) == [
        ("download", {"merchant_id": merchant.pk, "trigger": "schedule"})
        for merchant in sorted([never_run, overdue, due_exactly_now], key=lambda m: m.pk)
    ]
    next_times = dict(Merchant.objects.values_list("pk", "next_download_at"))
    assert next_times[never_run.pk] == now + timedelta(minutes=15)
    assert next_times[overdue.pk] == now + timedelta(minutes=15)
    assert next_times[due_exactly_now.pk] == now + timedelta(minutes=60)
    assert next_times[not_yet.pk] == now + timedelta(minutes=5)
    assert next_times[paused.pk] is None
    assert next_times[off.pk] is None
    assert next_times[automatic.pk] is None
    assert not SyncRun.objects.exists()


def test_second_download_dispatch_right_after_enqueues_nothing(enqueued, committed, now):
    merchant = scheduled_merchant()
    assert committed(due_downloads_dispatch, now=now) == [merchant.pk]

    assert committed(due_downloads_dispatch, now=now) == []
    assert committed(due_downloads_dispatch, now=now + timedelta(seconds=15)) == []

    assert enqueued == [("download", {"merchant_id": merchant.pk, "trigger": "schedule"})]


def test_download_is_dispatched_again_one_interval_later(enqueued, committed, now):
    merchant = scheduled_merchant(inventory_interval_minutes=10)
    committed(due_downloads_dispatch, now=now)

    assert committed(due_downloads_dispatch, now=now + timedelta(minutes=9, seconds=59)) == []
    assert committed(due_downloads_dispatch, now=now + timedelta(minutes=10)) == [merchant.pk]
    assert len(enqueued) == 2


def test_shortened_interval_makes_a_far_away_download_due_now(enqueued, committed, now):
    merchant = scheduled_merchant(
        inventory_interval_minutes=5, next_download_at=now + timedelta(days=1)
    )

    assert committed(due_downloads_dispatch, now=now) == [merchant.pk]
    merchant.refresh_from_db()
    assert merchant.next_download_at == now + timedelta(minutes=5)


def test_download_dispatch_enqueues_on_commit(enqueued, now, django_capture_on_commit_callbacks):
    merchant = scheduled_merchant()

    with django_capture_on_commit_callbacks() as callbacks:
        due_downloads_dispatch(now=now)
        assert enqueued == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [("download", {"merchant_id": merchant.pk, "trigger": "schedule"})]


def test_paused_merchant_is_dispatched_again_after_its_settings_change(enqueued, committed, now):
    merchant = scheduled_merchant(scheduling_paused_reason="The warehouse rejected the key")
    assert committed(due_downloads_dispatch, now=now) == []

    merchant_settings_update(merchant=merchant, connection_parameters={"account": "fixed"})

    merchant.refresh_from_db()
    assert merchant.scheduling_paused_reason == ""
    assert committed(due_downloads_dispatch, now=now) == [merchant.pk]


def test_merchant_settings_update_reschedules_on_a_new_interval(now):
    merchant = scheduled_merchant(next_download_at=now + timedelta(minutes=10))

    merchant_settings_update(merchant=merchant, suspicious_change_percent=30)
    merchant.refresh_from_db()
    assert merchant.next_download_at == now + timedelta(minutes=10)

    merchant_settings_update(merchant=merchant, inventory_interval_minutes=60)
    merchant.refresh_from_db()
    assert merchant.next_download_at is None
    assert merchant.inventory_interval_minutes == 60


def test_merchant_settings_update_keeps_stored_secrets_for_blank_values():
    merchant = MerchantFactory()
    merchant.set_secrets({"api_key": "old", "password": "kept"})
    merchant.save()

    merchant_settings_update(merchant=merchant, secrets={"api_key": "new", "password": ""})

    merchant.refresh_from_db()
    assert merchant.get_secrets() == {"api_key": "new", "password": "kept"}


def test_merchant_settings_update_refuses_fields_that_are_not_settings():
    merchant = MerchantFactory()
    with pytest.raises(TypeError, match="scheduling_paused_reason"):
        merchant_settings_update(merchant=merchant, scheduling_paused_reason="x")


# --- Uploads ---------------------------------------------------------------------------------


def cart(mode, **fields):
    paused = fields.pop("scheduling_paused_reason", "")
    extra = {
        name: fields.pop(name)
        for name in ("next_upload_at", "last_reconciled_at")
        if name in fields
    }
    made = CartFactory(upload_mode=mode, **fields)
    type(made).objects.filter(pk=made.pk).update(scheduling_paused_reason=paused, **extra)
    made.refresh_from_db()
    return made


def test_dispatch_enqueues_uploads_of_due_scheduled_carts_only(enqueued, committed, now):
    recently = now - timedelta(minutes=5)
    never_uploaded = cart(UploadMode.SCHEDULED, upload_interval_minutes=20)
    overdue = cart(
        UploadMode.SCHEDULED,
        next_upload_at=now - timedelta(seconds=1),
        last_reconciled_at=recently,
    )
    not_yet = cart(UploadMode.SCHEDULED, next_upload_at=now + timedelta(minutes=3))
    paused = cart(UploadMode.SCHEDULED, scheduling_paused_reason="Token rejected")
    off = cart(UploadMode.OFF)

    dispatched = committed(due_uploads_dispatch, now=now)

    assert sorted(dispatched) == sorted([never_uploaded.pk, overdue.pk])
    assert sorted(enqueued, key=lambda sent: sent[1]["cart_id"]) == sorted(
        [
            ("upload", {"cart_id": never_uploaded.pk, "trigger": "schedule", "reconcile": True}),
            ("upload", {"cart_id": overdue.pk, "trigger": "schedule", "reconcile": False}),
        ],
        key=lambda sent: sent[1]["cart_id"],
    )
    never_uploaded.refresh_from_db()
    overdue.refresh_from_db()
    assert never_uploaded.next_upload_at == now + timedelta(minutes=20)
    assert overdue.next_upload_at == now + timedelta(minutes=15)
    for untouched in (not_yet, paused, off):
        before = untouched.next_upload_at
        untouched.refresh_from_db()
        assert untouched.next_upload_at == before


def test_automatic_carts_are_dispatched_only_for_their_periodic_reread(enqueued, committed, now):
    never_read = cart(UploadMode.AUTOMATIC, reconcile_interval_minutes=60)
    read_long_ago = cart(
        UploadMode.AUTOMATIC,
        reconcile_interval_minutes=60,
        last_reconciled_at=now - timedelta(minutes=61),
    )
    read_recently = cart(
        UploadMode.AUTOMATIC,
        reconcile_interval_minutes=60,
        last_reconciled_at=now - timedelta(minutes=59),
    )
    paused = cart(UploadMode.AUTOMATIC, scheduling_paused_reason="Token rejected")

    dispatched = committed(due_uploads_dispatch, now=now)

    assert sorted(dispatched) == sorted([never_read.pk, read_long_ago.pk])
    assert {sent[1]["cart_id"] for sent in enqueued} == {never_read.pk, read_long_ago.pk}
    assert all(
        sent[1]["reconcile"] is True and sent[1]["trigger"] == "schedule" for sent in enqueued
    )
    never_read.refresh_from_db()
    assert never_read.next_upload_at == now + timedelta(minutes=60)
    read_recently.refresh_from_db()
    paused.refresh_from_db()
    assert read_recently.next_upload_at is None
    assert paused.next_upload_at is None


def test_second_upload_dispatch_right_after_enqueues_nothing(enqueued, committed, now):
    scheduled = cart(UploadMode.SCHEDULED)
    automatic = cart(UploadMode.AUTOMATIC)
    assert sorted(committed(due_uploads_dispatch, now=now)) == sorted([scheduled.pk, automatic.pk])

    # The automatic cart's re-read has not happened yet (no worker ran it): still not twice.
    assert committed(due_uploads_dispatch, now=now + timedelta(seconds=15)) == []

    assert len(enqueued) == 2


def test_cart_switched_from_automatic_to_scheduled_is_uploaded_on_its_new_interval(
    enqueued, committed, now
):
    switched = cart(
        UploadMode.SCHEDULED,
        upload_interval_minutes=10,
        next_upload_at=now + timedelta(minutes=1440),
        last_reconciled_at=now - timedelta(minutes=1),
    )

    assert committed(due_uploads_dispatch, now=now) == [switched.pk]
    assert enqueued == [
        ("upload", {"cart_id": switched.pk, "trigger": "schedule", "reconcile": False})
    ]


# --- Reaper ----------------------------------------------------------------------------------


def test_reaper_fails_runs_stuck_past_the_timeout_and_nothing_else(now):
    merchant = MerchantFactory()
    some_cart = CartFactory(merchant=merchant)
    timeout = timedelta(minutes=17)

    def run(state, *, age, kind=RunKind.DOWNLOAD, **fields):
        made = SyncRunFactory(
            merchant=merchant,
            kind=kind,
            cart=(fields.pop("cart", some_cart)) if kind == RunKind.UPLOAD else None,
            state=state,
            started_at=now - age if state != RunState.QUEUED else None,
            **fields,
        )
        SyncRun.objects.filter(pk=made.pk).update(created_at=now - age)
        return made

    stuck_download = run(RunState.RUNNING, age=timedelta(minutes=18))
    stuck_upload = run(RunState.RUNNING, age=timedelta(minutes=30), kind=RunKind.UPLOAD)
    still_working = run(
        RunState.RUNNING,
        age=timedelta(minutes=16),
        kind=RunKind.UPLOAD,
        cart=CartFactory(merchant=merchant),
    )
    lost_message = run(RunState.QUEUED, age=timedelta(minutes=18))
    waiting = run(RunState.QUEUED, age=timedelta(minutes=2), kind=RunKind.UPLOAD)
    old_success = run(
        RunState.SUCCEEDED, age=timedelta(days=2), finished_at=now - timedelta(days=2)
    )

    reaped = stuck_runs_reap(now=now, timeout=timeout)

    assert sorted(reaped) == sorted([stuck_download.pk, stuck_upload.pk, lost_message.pk])
    states = dict(SyncRun.objects.values_list("pk", "state"))
    assert states == {
        stuck_download.pk: RunState.FAILED,
        stuck_upload.pk: RunState.FAILED,
        still_working.pk: RunState.RUNNING,
        lost_message.pk: RunState.FAILED,
        waiting.pk: RunState.QUEUED,
        old_success.pk: RunState.SUCCEEDED,
    }
    stuck_download.refresh_from_db()
    assert stuck_download.finished_at == now
    assert stuck_download.message == (
        "Stopped by the scheduler: still running after 17 minutes, so its worker was lost. "
        "The next run starts afresh."
    )
    lost_message.refresh_from_db()
    assert (
        lost_message.message == "Never started: still queued after 17 minutes (no worker took it)."
    )
    assert sorted(Alert.objects.values_list("key", "run_id")) == sorted(
        [("download", stuck_download.pk), (f"cart:{some_cart.pk}:upload", stuck_upload.pk)]
    )
    # The claim is free again: a new download of the merchant can start.
    assert not SyncRun.objects.filter(
        merchant=merchant, kind=RunKind.DOWNLOAD, state=RunState.RUNNING
    ).exists()


def test_reaper_uses_the_configured_timeout(settings, now):
    settings.SYNC_RUN_STUCK_SECONDS = 120
    stuck = SyncRunFactory(state=RunState.RUNNING, started_at=now - timedelta(seconds=121))
    fresh = SyncRunFactory(state=RunState.RUNNING, started_at=now - timedelta(seconds=119))

    assert stuck_runs_reap(now=now) == [stuck.pk]
    fresh.refresh_from_db()
    assert fresh.state == RunState.RUNNING


def test_reaper_run_twice_reaps_once(now):
    stuck = SyncRunFactory(state=RunState.RUNNING, started_at=now - timedelta(hours=1))

    assert stuck_runs_reap(now=now) == [stuck.pk]
    assert stuck_runs_reap(now=now) == []
    assert Alert.objects.get().occurrences == 1


# --- Run now -----------------------------------------------------------------------------------


def test_download_request_queues_a_manual_run_and_enqueues_it_on_commit(
    enqueued, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory()
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        run = download_request(merchant=merchant, user=user)
        assert enqueued == []

    run.refresh_from_db()
    assert (run.kind, run.trigger, run.state, run.requested_by) == (
        RunKind.DOWNLOAD,
        RunTrigger.MANUAL,
        RunState.QUEUED,
        user,
    )
    assert enqueued == [
        ("download", {"merchant_id": merchant.pk, "trigger": "manual", "run_id": run.pk})
    ]


def test_download_requested_twice_while_queued_queues_one_run(
    enqueued, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = download_request(merchant=merchant, user=UserFactory())
        second = download_request(merchant=merchant, user=UserFactory())

    assert second == first
    assert SyncRun.objects.count() == 1
    assert len(enqueued) == 1


def test_upload_request_queues_a_manual_run_with_reconcile(
    enqueued, django_capture_on_commit_callbacks
):
    some_cart = CartFactory()
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        run = upload_request(cart=some_cart, user=user, reconcile=True)

    run.refresh_from_db()
    assert (run.kind, run.cart, run.merchant, run.trigger, run.state, run.requested_by) == (
        RunKind.UPLOAD,
        some_cart,
        some_cart.merchant,
        RunTrigger.MANUAL,
        RunState.QUEUED,
        user,
    )
    assert enqueued == [
        (
            "upload",
            {"cart_id": some_cart.pk, "trigger": "manual", "run_id": run.pk, "reconcile": True},
        )
    ]


# --- Retry countdowns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries", "ceiling"), [(0, 10), (1, 20), (2, 40), (3, 80), (5, 320), (6, 600), (30, 600)]
)
def test_retry_countdown_is_full_jitter_below_the_exponential_ceiling(retries, ceiling):
    rng = random.Random(retries)
    countdowns = [retry_countdown(retries=retries, rng=rng) for _ in range(500)]

    assert all(0 <= countdown <= ceiling for countdown in countdowns)
    # Full jitter: spread over the whole range, not clustered at the ceiling.
    assert min(countdowns) < ceiling * 0.1
    assert max(countdowns) > ceiling * 0.9
    assert ceiling <= RETRY_CAP_SECONDS


def test_retry_countdown_honours_a_longer_retry_after():
    rng = random.Random(1)
    assert retry_countdown(retries=0, retry_after=120, rng=rng) == 120


def test_retry_countdown_ignores_a_shorter_retry_after():
    class Highest(random.Random):
        def uniform(self, a, b):
            return b

    assert retry_countdown(retries=2, retry_after=3, rng=Highest()) == 40


def test_retry_countdown_bounds_retry_after():
    assert retry_countdown(retries=0, retry_after=86_400) == RETRY_AFTER_MAX_SECONDS


# --- Two dispatchers at once -------------------------------------------------------------------


@pytest.fixture
def committed_merchant():
    """A due merchant committed to the database (the dispatchers run in threads). Deleted through
    `merchant_delete`: the flush after a transactional test would trip over its Default
    warehouse on SQLite."""
    merchant = MerchantFactory(inventory_sync_mode=SCHEDULED, inventory_interval_minutes=15)
    yield merchant
    merchant_delete(merchant=merchant)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_enqueue_a_due_download_once(
    committed_merchant, enqueued, monkeypatch
):
    # Both dispatchers have read the merchant as due before either moves its next time on.
    both_have_read = threading.Barrier(2, timeout=10)
    original_is_due = scheduling._is_due

    def is_due_after_both_read(*args, **kwargs):
        due = original_is_due(*args, **kwargs)
        both_have_read.wait()
        return due

    monkeypatch.setattr(scheduling, "_is_due", is_due_after_both_read)
    results = {}

    def dispatcher(name):
        try:
            results[name] = due_downloads_dispatch()
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [[], [committed_merchant.pk]]
    assert enqueued == [("download", {"merchant_id": committed_merchant.pk, "trigger": "schedule"})]
