"""A claim's words as PostgreSQL's full-text search reads them: the one expression that the index
claim_search_english (claims migration 0004) was built on. The claim list's search (claims.search) and the
suggestions (claims.corroboration.suggestions) query through it, since PostgreSQL uses an expression index only
for a query written with the same expression. Migration 0004 keeps its own frozen copy, as a migration must;
tests/test_fulltext.py checks that the index in the database holds this expression and that queries use it."""

# The text search configuration the index was built with: stemming and stop words for English.
CONFIGURATION = "english"


def claim_words(table: str = "") -> str:
    """The SQL expression of a claim's words (`to_tsvector('english'::regconfig, quote || ' ' || statement)`),
    its columns qualified by `table` (a quoted table name or alias) when a query joins other tables."""
    prefix = f"{table}." if table else ""
    return f"to_tsvector('{CONFIGURATION}'::regconfig, {prefix}quote || ' ' || {prefix}statement)"
