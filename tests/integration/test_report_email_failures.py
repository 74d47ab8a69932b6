"""`syncd report --email` when the SMTP server or the password file says no: exit 1, a
message naming the server and what it refused, and the report kept (never lost)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.integration.test_report import (
    PASSWORD,
    TEAM_YAML,
    Mailbox,
    _free_port,
    assert_saved,
    report,
    smtp_server,
    team,
)
from tests.workspace import HEAD_YAML, Workspace

__all__ = ["team"]  # the fixture, used by name


@dataclass
class Relay:
    """A local relay without TLS or login that refuses some recipients, or every message."""

    port: int
    refuse: frozenset[str] = frozenset()
    reject_data: bool = False
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reject_data:
            return "554 5.7.1 looks like spam"
        self.received.append(envelope)
        return "250 OK"


@contextmanager
def relay(**kwargs: object) -> Iterator[Relay]:
    box = Relay(_free_port(), **kwargs)  # type: ignore[arg-type]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def relay_config(demo: Workspace, port: int, to: str) -> None:
    demo.config.write_text(HEAD_YAML + TEAM_YAML + f"""\
report:
  email: {{to: [{to}], from: syncd@example.com, host: 127.0.0.1, port: {port},
          security: none}}
""")


def test_a_local_relay_without_tls_gets_the_report_without_a_login(team: Workspace) -> None:
    with relay() as box:
        relay_config(team, box.port, "dana@example.com, lead-archive@example.com")
        run = report(team, "--email")
    assert run.code == 0, run.err
    assert run.out == ("report 2026-W50 sent to dana@example.com, "
                       "lead-archive@example.com\n")
    (envelope,) = box.received
    assert envelope.rcpt_tos == ["dana@example.com", "lead-archive@example.com"]
    assert isinstance(envelope.original_content, bytes)
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert msg["Subject"].startswith("1:1 report 2026-W50")
    assert not (team.state / "reports").exists()


def test_one_refused_recipient_fails_the_send_and_names_that_recipient(team: Workspace) -> None:
    with relay(refuse=frozenset({"gone@example.com"})) as box:
        relay_config(team, box.port, "dana@example.com, gone@example.com")
        run = report(team, "--email")
    assert f"127.0.0.1:{box.port}: recipients refused: gone@example.com" in run.err
    assert [e.rcpt_tos for e in box.received] == [["dana@example.com"]]
    assert_saved(team, run)


def test_every_recipient_refused_is_said_so(team: Workspace) -> None:
    with relay(refuse=frozenset({"dana@example.com"})) as box:
        relay_config(team, box.port, "dana@example.com")
        run = report(team, "--email")
    assert f"127.0.0.1:{box.port}: every recipient refused: dana@example.com" in run.err
    assert box.received == []
    assert_saved(team, run)


def test_a_message_the_server_rejects_shows_its_answer(team: Workspace) -> None:
    with relay(reject_data=True) as box:
        relay_config(team, box.port, "dana@example.com")
        run = report(team, "--email")
    assert f"127.0.0.1:{box.port}: 554 5.7.1 looks like spam" in run.err
    assert_saved(team, run)


def _password_file_config(demo: Workspace, box: Mailbox, secret: Path) -> None:
    demo.config.write_text(HEAD_YAML + TEAM_YAML + f"""\
report:
  email:
    to: [dana@example.com]
    from: syncd@example.com
    host: 127.0.0.1
    port: {box.port}
    user: dana
    password_file: {secret}
    ca_file: {box.ca}
""")


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot read password_file {}: No such file or directory"),
    (b"\xff\xfe not text", "cannot read password_file {}: not UTF-8 text"),
    (b"\n", "password_file {} is empty"),
])
def test_an_unusable_password_file_is_named_and_nothing_is_sent(
    team: Workspace, tmp_path: Path, content: bytes | None, expected: str,
) -> None:
    secret = tmp_path / "smtp-password"
    if content is not None:
        secret.write_bytes(content)
        secret.chmod(0o600)
    with smtp_server(tmp_path) as box:
        _password_file_config(team, box, secret)
        run = report(team, "--email")
    assert box.received == []
    assert expected.format(secret) in run.err
    assert_saved(team, run)


def test_the_right_password_from_a_file_sends_the_report(team: Workspace, tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    with smtp_server(tmp_path) as box:
        _password_file_config(team, box, secret)
        run = report(team, "--email", "--log-level", "debug")
    assert run.code == 0, run.err
    assert len(box.received) == 1
    assert PASSWORD not in run.err + run.out


def test_a_report_that_can_be_neither_sent_nor_saved_is_printed(team: Workspace) -> None:
    port = _free_port()  # nothing listens there
    relay_config(team, port, "dana@example.com")
    team.state.mkdir(exist_ok=True)
    (team.state / "reports").write_text("a file where the reports folder goes")
    run = report(team, "--email")
    assert run.code == 1
    assert f"report not sent: 127.0.0.1:{port}" in run.err
    assert "cannot save it either" in run.err and "here it is:" in run.err
    assert run.out == report(team).out  # the text report itself, on stdout
