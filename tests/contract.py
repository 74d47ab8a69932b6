"""The roster shape issue #2 fixed as a contract, shared by the config and end-to-end tests."""

CONTRACT = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
calendar: {kind: local, path: examples/demo/calendar}
notes: {kind: markdown, path: examples/demo/notes}
state_dir: examples/demo/state
defaults: {cadence: monthly, duration: 45m}
people:
  - {name: Alice Example, email: alice@example.com, cadence: weekly, start: 2026-09-01, slot: {day: tue, time: "10:00"}}
  - {name: Bob Example, email: bob@example.com, cadence: monthly, slot: {day: thu, time: "14:00", week: 1}}
  - {name: Erin Manager, email: erin@example.com, role: manager, cadence: biweekly, duration: 30m, start: 2026-09-03, slot: {day: thu, time: "16:00"}}
  - name: Carol Example
    email: carol@example.com
    cadence: quarterly
    slot: {day: wed, time: "11:00", week: 2}
    pauses: [{from: 2026-12-21, to: 2027-01-08, reason: parental leave}]
"""  # noqa: E501
