"""An admin import's uploaded file, imported at most once.

Between the preview and the Confirm button the import pages keep the uploaded file in the temporary
folder under a name of ours. A confirm first takes the file (an atomic rename, so that of two confirms
posted at once only one gets it); the other, a resubmitted form and a name that is not an upload of ours
find nothing, and are told so instead of importing twice or failing with a server error.
"""

import os
import re
import secrets
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.tmp_storages import TempFolderStorage

UPLOAD_NAME = re.compile(r"claimtrail-import-[A-Za-z0-9_-]{16,64}")


class UploadGone(Exception):
    def __init__(self):
        super().__init__(
            "This import has already been confirmed (or is being imported now), or its file is gone; "
            "nothing more was imported. Upload the file again to import it."
        )


def store_upload(chunks) -> str:
    """Keep an uploaded file (its chunks of bytes) for the confirm step; the name to confirm it by."""
    name = f"claimtrail-import-{secrets.token_urlsafe(16)}"
    with open(os.path.join(tempfile.gettempdir(), name), "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return name


def take_upload(name: str) -> Path:
    """Take the upload `name` for one confirm: the path it now has, which no other confirm can take.
    UploadGone when the name is not one of ours, or the file was taken or removed already."""
    if not UPLOAD_NAME.fullmatch(str(name or "")):
        raise UploadGone
    folder = Path(tempfile.gettempdir())
    taken = folder / f"claimtrail-confirming-{secrets.token_urlsafe(16)}"
    try:
        os.rename(folder / name, taken)  # atomic: of confirms posted at once, one wins
    except FileNotFoundError:
        raise UploadGone from None
    return taken


class UploadTakenOnce(TempFolderStorage):
    """django-import-export's temporary file (its `tmp_storage_class` hook) named and taken as above: the preview
    reads the file it has just written; a confirm takes it first, and removes it when the import is done."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.path: Path | None = None

    def save(self, data):
        self.name = store_upload([data if isinstance(data, bytes) else data.encode(self.encoding or "utf-8")])
        self.path = Path(self.get_full_path())

    def read(self):
        if self.path is None:
            self.path = take_upload(self.name)
        if "b" in self.read_mode:
            return self.path.read_bytes()
        return self.path.read_text(encoding=self.encoding or "utf-8")

    def remove(self):
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class ConfirmedOnce:
    """For a django-import-export admin: each upload is imported at most once; a second confirm of it (posted at
    the same moment or later) or an unknown file name goes back to the import page with a message."""

    tmp_storage_class = UploadTakenOnce

    def process_import(self, request, **kwargs):
        if request.method != "POST" or not self.has_import_permission(request):
            return super().process_import(request, **kwargs)  # 405 or 403, as the library answers
        # The library reads the format and resource as list indexes: a forged one would be a server error.
        formats, resources = self.get_import_formats(), self.get_import_resource_classes(request)
        for field, choices in (("format", formats), ("resource", resources)):
            value = request.POST.get(field) or "0"
            if not (value.isdigit() and int(value) < len(choices)):
                return self.back_to_import(request, f"The confirm form's {field} is not one this page offers.")
        try:
            return super().process_import(request, **kwargs)
        except UploadGone as gone:
            return self.back_to_import(request, str(gone))

    def process_dataset(self, dataset, form, request, **kwargs):
        # A confirm writes its whole file or nothing, as the preview promised: a row gone bad since (its parent or an
        # author renamed or deleted, its URL taken meanwhile) rolls the import back, where the library would write
        # the other rows and leave that one out.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        found = [(row.number, "; ".join(_said(row.error))) for row in result.invalid_rows]
        found += [(number, str(error.error)) for number, errors in result.row_errors() for error in errors]
        rows = "; ".join(f"row {number}: {said}" for number, said in sorted(found, key=lambda each: each[0] or 0))
        message = f"Nothing was imported: since the preview, {rows}. Upload the file again to import it."
        return self.back_to_import(request, message)

    def back_to_import(self, request, message: str) -> HttpResponseRedirect:
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))


def _said(error) -> list[str]:
    """A refused row's messages, each with its field: "parent: No one is named …"."""
    if hasattr(error, "message_dict"):
        return [f"{field}: {message}" for field, messages_ in error.message_dict.items() for message in messages_]
    return [str(message) for message in error.messages]
