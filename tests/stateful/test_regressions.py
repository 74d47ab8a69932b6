"""Sequences the state machines once failed on, replayed as plain tests (each names the bug)."""

from __future__ import annotations

from tests.stateful.test_google_machine import GoogleMachine
from tests.stateful.test_local_machine import LocalMachine


def test_a_failed_end_of_a_replaced_series_never_leaves_two_live_series() -> None:
    # Bug: Google creates were all sent in one batch before any other action, so when
    # ending the old series failed (here every PATCH answers 500), the new generation
    # already existed beside it: two live 1:1 series for Bob.
    machine = GoogleMachine()
    try:
        machine.reconcile()
        machine.set_person(email="bob@example.com", cadence="monthly", day="tue",
                           time="10:00", duration=30)
        machine.reconcile_with_failing_call(k=1, method="PATCH", status=500)
    finally:
        machine.teardown()


def test_an_agenda_appended_to_a_google_doc_starts_after_a_blank_line() -> None:
    # Bug: the separator before a new agenda section was chosen from the Doc's text
    # including the newline that ends every Doc body, which the insert goes before, so
    # the heading was glued to the previous line ("- \n## 2026-12-03 — 1:1 with …").
    machine = GoogleMachine()
    try:
        machine.reconcile()
        machine.advance_clock(days=8)
        machine.reconcile()
    finally:
        machine.teardown()


def test_adopting_a_series_of_another_length_converges_in_one_run() -> None:
    # Bug: Frank's hand-made 30-minute series was adopted for his 45-minute roster entry,
    # but its length was only planned by the next run: a reconcile that had just succeeded
    # still had work to do (and changed the calendar again on the next run).
    machine = LocalMachine()
    try:
        machine.reconcile()
        machine.add_person_as_in_pool(email="frank@example.com")
        machine.reconcile()  # checks that a second run plans nothing
    finally:
        machine.teardown()
