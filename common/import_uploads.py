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

    def back_to_import(self, request, message: str) -> HttpResponseRedirect:
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
