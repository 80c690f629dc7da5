"""What the race tests (tests/test_races_*.py) saw, printed at the end of the run (tests/conftest.py)."""

REPORTS: list[str] = []


def report(line: str) -> None:
    """Print a race's trials and failures now (with -s) and in the run's closing summary."""
    print(f"\n{line}")
    REPORTS.append(line)
