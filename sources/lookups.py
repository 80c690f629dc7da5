"""`ilike_contains`: a case-insensitive "contains" that PostgreSQL's trigram indexes serve.

Django's `icontains` asks PostgreSQL for `UPPER(title) LIKE UPPER('%x%')`, which a trigram index on `title` cannot
answer (it would need an index on `UPPER(title)`): every row is read. `title ILIKE '%x%'` is what a
`gin_trgm_ops` index answers. Elsewhere (SQLite) it is `icontains`.
"""

from django.db.models import CharField, TextField
from django.db.models.lookups import IContains


@CharField.register_lookup
@TextField.register_lookup
class ILikeContains(IContains):
    lookup_name = "ilike_contains"

    def as_sql(self, compiler, connection):
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)  # the term escaped and wrapped in %…%
        return f"{lhs_sql} ILIKE {rhs_sql}", (*lhs_params, *rhs_params)
