"""A file storage that fills up: the real FileSystemStorage, refusing every save after the first
`saves_before_full` — as a disk or a bucket quota does in the middle of storing a PDF's pages."""

import errno

from django.core.files.storage import FileSystemStorage


class FillingUpStorage(FileSystemStorage):
    def __init__(self, *, saves_before_full: int, **options):
        super().__init__(**options)
        self.saves_left = saves_before_full

    def _save(self, name, content):
        if self.saves_left <= 0:
            raise OSError(errno.ENOSPC, "No space left on device", name)
        self.saves_left -= 1
        return super()._save(name, content)
