"""Celery tasks: load by id, call one service, decide on retry. No business rules here."""

from celery import shared_task

from sync.services.heartbeat import heartbeat_record


@shared_task(ignore_result=True)
def heartbeat_task(queue: str) -> None:
    heartbeat_record(component=f"worker:{queue}")
