"""A paginator that counts at most a few thousand rows: counting a million claims on every page of the list
costs more than the page itself. Past the cap the list says "more than N"."""

from functools import cached_property

from django.core.paginator import Paginator

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """`count` is exact up to COUNT_CAP, and COUNT_CAP + 1 beyond (`capped` then says so). `counted`: the rows'
    number when it is already known, exact up to COUNT_CAP at least (a search that looked them up): no count."""

    def __init__(self, *args, counted: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        if self.counted is not None:
            return min(self.counted, COUNT_CAP + 1)
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP
