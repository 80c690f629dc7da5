"""The provenance review page: a source, where its text came from, and its change history.

The claims half of the page (the highlighted text, the claims and their links) belongs to claims: the
template draws it with the `source_claims` tag of claims/templatetags/provenance.py.
"""

import difflib

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from config.routers import reads_from_replica
from sources.models import Capture, Source, diff_line_kind

HISTORY_ROWS = 100
EXPORT_PERMISSIONS = ["claims.export_claim", "sources.export_source"]  # the evidence zip's, in the source's project
TRACKED = [
    "title",
    "url",
    "publisher_id",
    "published_on",
    "language",
    "text_sha256",
    "raw_sha256",
    "retrieved_at",
    "notes",
]


def history_rows(source: Source) -> list[tuple[object, list[str]]]:
    """The source's history records, newest first, each with the names of the fields it changed."""
    records = list(
        source.history.select_related("history_user").defer("text", "raw_text").order_by("-history_date")[:HISTORY_ROWS]
    )
    rows = []
    for record, older in zip(records, records[1:] + [None], strict=True):
        changed = []
        if older is not None:
            # The text columns are left unloaded; their SHA-256 says whether they changed.
            changed = [
                str(Source._meta.get_field(name.removesuffix("_id")).verbose_name)
                for name in TRACKED
                if getattr(record, name) != getattr(older, name)
            ]
        rows.append((record, changed))
    return rows


def captures_with_changes(source: Source) -> list[Capture]:
    """The source's captures, newest first; each one after the first carries `changes`: the diff from the
    previous capture's clean text to its own, each line with its kind (file, hunk, added, removed, context)."""
    captures = list(source.captures.defer("raw", "warc_record").order_by("-imported_at", "-pk"))
    for capture, previous in zip(captures, captures[1:], strict=False):
        before, after = previous.clean_text.split("\n"), capture.clean_text.split("\n")
        lines = difflib.unified_diff(before, after, previous.file_name, capture.file_name, n=1, lineterm="")
        capture.previous = previous
        capture.changes = [(diff_line_kind(line), line) for line in lines]
    return captures


@staff_member_required
@permission_required(["sources.view_source", "claims.view_claim"], raise_exception=True)
@reads_from_replica
def provenance(request: HttpRequest, pk: int) -> HttpResponse:
    """Metadata, captures and their derivation, the highlighted text, the claims and the change history."""
    sources = Source.objects.visible_to(request.user).select_related("publisher").prefetch_related("authors")
    source = get_object_or_404(sources, pk=pk)
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"Provenance: {source.title}",
        "source": source,
        "captures": captures_with_changes(source),
        "history": history_rows(source),
        "may_export": all(request.user.has_perm(perm, source) for perm in EXPORT_PERMISSIONS),
    }
    return render(request, "sources/provenance.html", context)
