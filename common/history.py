"""The change history: who made each change and why, one record per save, and the admin's history pages.

Every history record names a person and a reason. In a request the person is the user logged in
(RecordingMiddleware keeps the request) and the reason says where the change was made ("Changed
in the admin", "Annotated in the editor", "Changed through the API"); a command records the user given by
`--user` or the system user `claimtrail-system` (RecordedCommand), with a reason of its own; code that says
nothing else records the system user. A path that knows better says so with `recorded_as(reason=...)` or a
bulk write's reason ("Re-anchored after a new capture of …").

django-simple-history writes a record at each save and again at each change of a tracked many-to-many
field, so one save that adds tags made three. A save and its many-to-many changes are held
(`skip_history_when_saving`, the library's own switch) and written as one record holding the final state
(`one_history_record`; the admin does the same between save_model and save_related).

What this module asks of django-simple-history goes through its documented hooks: `get_user`, the
`pre_create_historical_record` signal for the reason, `skip_history_when_saving`, `bulk_history_create`, the
history model's fields (Django's model meta). The one thing done by hand is writing history rows for a bulk
import from the rows it stored (`record_stored_rows`, one INSERT … SELECT a few thousand objects), ten times faster
than its bulk_create; tests/test_library_pins.py checks that those rows are the ones the library writes itself, so
an upgrade that changes them fails there.

Its revert page saves an old version through the admin form without the admin's change permission, a
transaction, the version check or the status rule (claims.rules), and it would put back an old source text
without re-anchoring the claims. So the history stays readable and revert is turned off: to go back to an
old version, open the change form and make the change there, where every rule applies.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django import forms
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, models, router
from django.dispatch import receiver
from django.http import Http404, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

SYSTEM_USERNAME = "claimtrail-system"
BEFORE_PEOPLE_AND_REASONS = "Recorded before people and reasons were kept"

# Where a request's change was made, by the URL namespace that answered it.
REQUEST_REASONS = {
    "admin": {"+": "Added in the admin", "~": "Changed in the admin", "-": "Deleted in the admin"},
    "annotate": {"+": "Annotated in the editor", "~": "Changed in the editor", "-": "Deleted in the editor"},
    "api": {"+": "Added through the API", "~": "Changed through the API", "-": "Deleted through the API"},
}
OTHER_REQUEST_REASONS = {"+": "Added on the page {}", "~": "Changed on the page {}", "-": "Deleted on the page {}"}
# Code that states no reason (a shell, a script): said so, never left empty.
UNSTATED_REASONS = {"+": "Added by code that gave no reason", "~": "Changed by code that gave no reason"}
UNSTATED_REASONS["-"] = "Deleted by code that gave no reason"


def system_user() -> AbstractBaseUser:
    """The named user that changes made by the system itself are recorded under (it cannot log in)."""
    user, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"password": make_password(None), "is_active": False}
    )
    return user


@dataclass(frozen=True)
class Recording:
    user: AbstractBaseUser | None = None
    reason: str = ""


_recording: ContextVar[Recording] = ContextVar("history_recording", default=Recording())  # noqa: B039 (frozen)
_request: ContextVar[object | None] = ContextVar("history_request", default=None)


def RecordingMiddleware(get_response):
    """Keep the request being answered, for the history's person and reason (in place of the library's
    HistoryRequestMiddleware, which keeps it in a private attribute of HistoricalRecords)."""

    def middleware(request):
        token = _request.set(request)
        try:
            return get_response(request)
        finally:
            _request.reset(token)

    return middleware


@contextmanager
def recorded_as(*, user: AbstractBaseUser | None = None, reason: str = "") -> Iterator[None]:
    """Record the history written inside this block under this person and reason (either left out: the
    enclosing block's, else the request's, else the system user and a reason saying none was given)."""
    outer = _recording.get()
    token = _recording.set(Recording(user=user or outer.user, reason=reason or outer.reason))
    try:
        yield
    finally:
        _recording.reset(token)


def recorded_person(**kwargs) -> AbstractBaseUser:
    """Who the history records (HistoricalRecords' `get_user`, called with the instance and a request): the
    person named by recorded_as, else the logged-in user of the request being answered, else the system user."""
    return named_person() or system_user()


def named_person() -> AbstractBaseUser | None:
    """The person named by recorded_as, else the logged-in user of the request being answered; None when the
    history would record the system user."""
    user = _recording.get().user
    if user is not None:
        return user
    user = getattr(_request.get(), "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def recorded_reason(history_type: str = "~") -> str:
    """Why (the reason named by recorded_as, else where the request was made), for a record of this type."""
    reason = _recording.get().reason
    if reason:
        return reason
    request = _request.get()
    if request is not None:
        match = getattr(request, "resolver_match", None)
        reasons = REQUEST_REASONS.get(match.namespaces[0] if match and match.namespaces else "")
        if reasons:
            return reasons[history_type]
        return OTHER_REQUEST_REASONS[history_type].format(request.path)
    return UNSTATED_REASONS[history_type]


class KeptHistory(HistoricalRecords):
    """HistoricalRecords whose records always name a person and a reason (see the module's docstring)."""

    by_model: dict[type, "KeptHistory"] = {}

    def __init__(self, *args, m2m_fields=(), **kwargs):
        self.many_to_many = list(m2m_fields)  # the many-to-many fields each record keeps a copy of
        kwargs["m2m_fields"] = m2m_fields
        kwargs.setdefault("get_user", recorded_person)
        # A reason names a source's title or a file's path: longer than the library's 100 characters.
        kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        KeptHistory.by_model[cls] = self


@receiver(pre_create_historical_record, dispatch_uid="common.history.reason")
def give_the_reason(*, instance, history_instance, history_change_reason, **kwargs) -> None:
    """A record saved without a reason of its own (`_change_reason`) gets the one recorded_as or the request gives."""
    if not history_change_reason and type(instance) in KeptHistory.by_model:
        history_instance.history_change_reason = recorded_reason(history_instance.history_type)


def hold_history(instance) -> None:
    """Write no history record for this instance's saves and many-to-many changes until write_held_history."""
    instance.skip_history_when_saving = True


def write_held_history(instance, *, created: bool) -> None:
    """Write the one history record of a held save: the instance and its many-to-many fields as they now are.
    An instance that is not held (its admin saved it through a service, not save_model) has its record already."""
    if not hasattr(instance, "skip_history_when_saving"):
        return
    del instance.skip_history_when_saving
    KeptHistory.by_model[type(instance)].create_historical_record(instance, "+" if created else "~")


@contextmanager
def one_history_record(instance) -> Iterator[None]:
    """The saves of this instance and the changes of its many-to-many fields inside this block make one
    history record, written at the end with the final state (none when the block fails). Inside a block that
    already holds the instance's history, the outer block writes the one record."""
    if hasattr(instance, "skip_history_when_saving"):
        yield
        return
    created = instance._state.adding  # Django's documented flag (Model._state): not saved to the database yet
    hold_history(instance)
    try:
        yield
    except BaseException:
        del instance.skip_history_when_saving
        raise
    write_held_history(instance, created=created)


def bulk_history(model, objects: list, *, reason: str = "", update: bool = True) -> list:
    """History records for objects written in bulk (bulk_update), one each, with their many-to-many fields as
    they stand: a record made in bulk has none of its own, and the history would read as if they were removed."""
    records = model.history.bulk_history_create(
        objects,
        update=update,
        default_user=recorded_person(),
        default_change_reason=reason or recorded_reason("~" if update else "+"),
    )
    copy_many_to_many_into_history(model, records)
    return records


def copy_many_to_many_into_history(model, records: Iterable) -> None:
    """Give history records written in bulk their objects' tracked many-to-many rows as they stand."""
    records = list(records)
    for field in KeptHistory.by_model[model].many_to_many:
        through = field.remote_field.through
        own = field.m2m_field_name()
        history_through = many_to_many_records(model, field.name)
        pk = model._meta.pk.attname
        rows: dict[int, list[dict]] = {}
        for row in through.objects.filter(**{f"{own}__in": [getattr(r, pk) for r in records]}).values():
            rows.setdefault(row[f"{own}_id"], []).append(row)
        history_through.objects.bulk_create(
            [history_through(history_id=r.history_id, **row) for r in records for row in rows.get(getattr(r, pk), [])]
        )


# The columns django-simple-history gives a history table besides its primary key and the tracked fields.
RECORD_COLUMNS = ["history_date", "history_change_reason", "history_type", "history_user_id"]
# Objects recorded by one INSERT … SELECT (record_stored_rows): their keys are its parameters, fewer than SQLite allows.
RECORDED_AT_ONCE = 5000


def record_columns(model) -> list[str]:
    """The tracked fields of `model` (attnames) that its history table copies, from the history model's meta: every
    column of that table but its primary key and RECORD_COLUMNS. A column that is neither (a library upgrade's)
    is refused, naming it, rather than written empty."""
    history = model.history.model._meta
    own = {field.attname for field in model._meta.concrete_fields}
    tracked = [f.attname for f in history.concrete_fields if not f.primary_key and f.attname not in RECORD_COLUMNS]
    unknown = [name for name in tracked if name not in own]
    if unknown:
        raise LookupError(f"The history table of {model.__name__} has columns no bulk record can fill: {unknown}")
    return tracked


def record_stored_rows(model, pks: Iterable, *, kind: str, user: AbstractBaseUser, when, reason: str) -> dict:
    """History rows for these objects of `model` as they are stored now ("+" created, "~" changed), by this person
    for this reason, written by the database from the stored rows (one INSERT … SELECT … RETURNING): what the
    library's `bulk_history_create` would write, for a bulk import, which need not build and send a row per object.
    Returns each object's new record id, by the object's primary key."""
    pks = list(pks)
    if not pks:
        return {}
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    own = {field.attname: field.column for field in model._meta.concrete_fields}
    history = model.history.model._meta
    kept = {field.attname: field.column for field in history.concrete_fields}
    tracked = record_columns(model)
    into = ", ".join(quote(kept[name]) for name in [*tracked, *RECORD_COLUMNS])
    taken = ", ".join(quote(own[name]) for name in tracked)
    pk = quote(model._meta.pk.column)
    record = [connection.ops.adapt_datetimefield_value(when), reason, kind, user.pk]
    found = []
    with connection.cursor() as cursor:
        for first in range(0, len(pks), RECORDED_AT_ONCE):
            chosen = pks[first : first + RECORDED_AT_ONCE]
            if connection.vendor == "postgresql":
                # The keys as one array: a parameter each, psycopg parsed the statement again for every part of an
                # import (too long for its cache) and quoted each key, while the database waited.
                among, keys = "= ANY(%s)", [chosen]
            else:
                among, keys = f"IN ({', '.join(['%s'] * len(chosen))})", chosen
            cursor.execute(
                f"INSERT INTO {quote(history.db_table)} ({into}) SELECT {taken}, %s, %s, %s, %s "
                f"FROM {quote(model._meta.db_table)} WHERE {pk} {among} "
                f"RETURNING {quote(kept[model._meta.pk.attname])}, {quote(history.pk.column)}",
                [*record, *keys],
            )
            found += cursor.fetchall()
    return dict(found)


def many_to_many_records(model, field_name: str):
    """The model holding the many-to-many rows (`field_name`, a tracked many-to-many field) of `model`'s history
    records: one row per through row, its columns and `history_id` (the model of `record.<field_name>.all()`)."""
    return getattr(model.history.model, field_name).model


class OneHistoryRecordForm(forms.ModelForm):
    """A model form whose save (the object and its many-to-many fields) is one history record."""

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        with one_history_record(self.instance):
            return super().save(commit=True)


class HistoryWithoutRevert(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages show old versions, each by whom and why, without a revert button
    (a POST is refused, 405); one save in the change form (fields, many-to-many, inlines) is one record."""

    history_list_display = ["recorded"]

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return HttpResponseNotAllowed(["GET"], "Reverting to an old version is turned off; use the change form.")
        if not version_id.isdecimal():  # simple-history puts it in the query as given
            raise Http404("No such version.")
        return super().history_form_view(request, self.pk_in_url(object_id), version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        return super().history_view(request, self.pk_in_url(object_id), extra_context)

    def pk_in_url(self, object_id: str) -> str:
        """The object id of a history URL, a 404 when it cannot be an id (/claim/abc/history/), as the admin's
        change view answers (simple-history puts it in the query as given)."""
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError as error:
            raise Http404("No such object.") from error
        return object_id

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return queryset.select_related("history_user")

    def recorded(self, record) -> str:
        """By whom and why, as the history page shows it."""
        return f"by {record.history_user or 'nobody recorded'}: {record.history_change_reason or 'no reason recorded'}"

    def save_model(self, request, obj, form, change):
        hold_history(obj)  # written in save_related, once the many-to-many fields are saved too
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        write_held_history(form.instance, created=not change)


def person_named(username: str | None) -> AbstractBaseUser:
    """The user a command records its changes under: the one named, or the system user."""
    if not username:
        return system_user()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(
            f"--user {username}: no user has that username. Give an existing username (Authentication and "
            f"Authorization → Users in the admin), or leave --user out to record the system user {SYSTEM_USERNAME}."
        )
    return user


class RecordedCommand(BaseCommand):
    """A command whose changes the history records under a person (`--user USERNAME`, else the system user
    claimtrail-system) and the reason `history_reason` gives."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=f"who the history records as making these changes (default: the system user {SYSTEM_USERNAME})",
        )

    def history_reason(self, options: dict) -> str:
        return f"Changed by {self.command_name}"

    @property
    def command_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def execute(self, *args, **options):
        person = person_named(options.get("user"))
        with recorded_as(user=person, reason=self.history_reason(options)):
            return super().execute(*args, **options)
