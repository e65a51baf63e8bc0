from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "registry.applications"
    label = "applications"
    verbose_name = "采集申请"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from registry.core import refdata

        from .models import ReviewSla

        # The time limits are read with the reference data: an edit reloads it in every process.
        post_save.connect(refdata.changed, sender=ReviewSla, dispatch_uid="refdata.save.ReviewSla")
        post_delete.connect(refdata.changed, sender=ReviewSla, dispatch_uid="refdata.delete.ReviewSla")
