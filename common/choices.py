"""Choices as a spreadsheet gives them: by their code or their label, in any case."""


def choice_values(choices) -> dict[str, str]:
    """Each code of a TextChoices by itself and by its label in lower case: look a cell up as given, then stripped
    and lower-cased (an import reads every row's kind this way: a dict look-up, not a search of the choices)."""
    return {**{str(label).lower(): code for code, label in choices.choices}, **{code: code for code in choices.values}}


def choice_of(values: dict[str, str], cell: str) -> str | None:
    """The code a cell names in `values` (`choice_values`), or None."""
    return values.get(cell) or values.get(cell.strip().lower())
