"""Stateful (model-based) tests: arbitrary sequences of roster changes, a person's calendar
edits, injected faults and reconcile runs, with syncd's promises checked after each run."""
