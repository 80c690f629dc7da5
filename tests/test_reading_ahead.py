"""Reading ahead (common.overlap.reading_ahead): a query's rows are read on a second thread while the caller works on
those read before, so the server goes on sending them (the full recount, issue 26)."""

import threading

from django.test import SimpleTestCase

from common.overlap import reading_ahead

WAIT = 5  # seconds a test waits for the reading thread before it fails


class ReadingAheadTests(SimpleTestCase):
    def test_the_rows_come_in_lists_of_the_size_in_their_order(self):
        self.assertEqual(list(reading_ahead(iter(range(10)), 3, ahead=1)), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])

    def test_the_next_list_is_read_while_the_caller_works_on_the_first(self):
        second_read = threading.Event()

        def rows():
            yield from range(3)
            yield 3
            second_read.set()  # the first row of the second list was read
            yield from range(4, 6)

        lists = reading_ahead(rows(), 3, ahead=1)
        self.assertEqual(next(lists), [0, 1, 2])
        # The caller has asked for nothing more: only a thread of its own reads on.
        self.assertTrue(second_read.wait(WAIT))
        self.assertEqual(list(lists), [[3, 4, 5]])

    def test_what_the_reading_raises_is_raised_to_the_caller_after_the_rows_before(self):
        def rows():
            yield from range(3)
            raise ValueError("the connection was lost")

        lists = reading_ahead(rows(), 3, ahead=1)
        self.assertEqual(next(lists), [0, 1, 2])
        with self.assertRaisesMessage(ValueError, "the connection was lost"):
            next(lists)

    def test_a_caller_that_stops_early_stops_the_reading_and_closes_the_rows_before_going_on(self):
        closed_on = []

        def rows():
            try:
                yield from range(1_000_000)
            finally:
                closed_on.append(threading.current_thread().name)

        for first in reading_ahead(rows(), 3, ahead=1):
            self.assertEqual(first, [0, 1, 2])
            break
        # Closed before the loop went on, by the reading thread (a stream's connection is that thread's meanwhile).
        self.assertEqual(closed_on, ["reading-ahead"])
        self.assertNotIn("reading-ahead", [thread.name for thread in threading.enumerate()])
