"""HTTP responses for downloads shared by the API and the web pages: a streamed CSV, and a
temporary file streamed and removed once sent."""

from pathlib import Path

from django.http import FileResponse, StreamingHttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode("utf-8") for line in lines), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _RemovedAfterwards(FileResponse):
    """Streams a temporary file and removes it once sent (or once the download is broken off)."""

    def __init__(self, path: Path, **kwargs):
        self._path = path
        super().__init__(open(path, "rb"), **kwargs)

    def close(self):
        super().close()
        self._path.unlink(missing_ok=True)


def temporary_file_response(path: Path, filename: str, content_type: str = XLSX_TYPE) -> FileResponse:
    return _RemovedAfterwards(path, as_attachment=True, filename=filename, content_type=content_type)


def file_response(path: Path, filename: str, content_type: str) -> FileResponse:
    return FileResponse(open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)
