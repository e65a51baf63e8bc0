from celery import shared_task


@shared_task(ignore_result=True, acks_late=True, time_limit=118, soft_time_limit=110)
def import_batch(batch_id: str) -> None:
    """An uploaded file (the admin page); idempotent: a finished batch is left alone and a rerun
    imports nothing twice (source + ID number). Uploads are capped (IMPORT_UPLOAD_MAX_BYTES) so
    one run stays under the time limit; bigger files go through `manage.py import_records`."""
    from .services import import_batch_run

    import_batch_run(batch_id)
