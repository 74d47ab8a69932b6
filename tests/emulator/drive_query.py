"""Drive's `files.list` query language, the subset syncd can use.

    query := disjunct ("or" disjunct)*          disjunct := term ("and" term)*
    term  := "not" term | "(" query ")"
           | ("name" | "mimeType") ("=" | "!=" | "contains") STRING
           | ("trashed" | "starred") ("=" | "!=") ("true" | "false")
           | STRING "in" ("parents" | "owners")
           | ("appProperties" | "properties") "has"
                 "{" "key" "=" STRING "and" "value" "=" STRING "}"

Anything else is a 400, like a query Drive cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.emulator.errors import invalid

Json = dict[str, Any]
Predicate = Callable[[Json], bool]

_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|\\.)*)'|(!=|[=(){}])|([A-Za-z]+))")


def compile_query(text: str, *, owner: str, root_id: str) -> Predicate:
    """A predicate over stored file resources; 400 for what it cannot parse."""
    parser = _Parser(text, owner=owner, root_id=root_id)
    predicate = parser.query()
    if parser.peek() is not None:
        raise parser.error()
    return predicate


class _Parser:
    def __init__(self, text: str, *, owner: str, root_id: str) -> None:
        self.text = text
        self.owner = owner
        self.root_id = root_id
        self.tokens: list[tuple[str, str]] = []  # (kind, value): kind is str, op or word
        at = 0
        while at < len(text.rstrip()):
            match = _TOKEN.match(text, at)
            if not match:
                raise self.error()
            if match[1] is not None:
                self.tokens.append(("str", re.sub(r"\\(.)", r"\1", match[1])))
            elif match[2] is not None:
                self.tokens.append(("op", match[2]))
            else:
                self.tokens.append(("word", match[3]))
            at = match.end()
        self.at = 0

    def error(self) -> Exception:
        return invalid(f"Invalid Value: the emulator cannot parse q={self.text!r}", "q")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise self.error()
        self.at += 1
        return token[1]

    def accept_word(self, word: str) -> bool:
        if self.peek() == ("word", word):
            self.at += 1
            return True
        return False

    def query(self) -> Predicate:
        parts = [self.conjunction()]
        while self.accept_word("or"):
            parts.append(self.conjunction())
        return lambda file: any(part(file) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while self.accept_word("and"):
            parts.append(self.term())
        return lambda file: all(part(file) for part in parts)

    def term(self) -> Predicate:
        if self.accept_word("not"):
            inner = self.term()
            return lambda file: not inner(file)
        token = self.peek()
        if token == ("op", "("):
            self.at += 1
            inner = self.query()
            self.take("op", ")")
            return inner
        if token is not None and token[0] == "str":
            return self.membership()
        field = self.take("word")
        if field in ("name", "mimeType"):
            return self.text_term(field)
        if field in ("trashed", "starred"):
            return self.flag_term(field)
        if field in ("appProperties", "properties"):
            return self.has_term(field)
        raise self.error()

    def membership(self) -> Predicate:
        value = self.take("str")
        self.take("word", "in")
        collection = self.take("word")
        if collection == "parents":
            parent = self.root_id if value == "root" else value
            return lambda file: parent in file.get("parents", [])
        if collection == "owners":
            email = self.owner if value == "me" else value
            return lambda file: any(o.get("emailAddress") == email for o in file.get("owners", []))
        raise self.error()

    def text_term(self, field: str) -> Predicate:
        token = self.peek()
        operator = self.take("word", "contains") if token == ("word", "contains") else None
        operator = operator or self.take("op")
        value = self.take("str")
        if operator == "=":
            return lambda file: file.get(field) == value
        if operator == "!=":
            return lambda file: file.get(field) != value
        if operator == "contains" and field == "name":
            # Drive matches name prefixes: of the whole name or of a word in it.
            wanted = value.lower()
            return lambda file: any(
                word.startswith(wanted)
                for word in [file.get("name", "").lower(),
                             *re.split(r"[^0-9a-z]+", file.get("name", "").lower())]
            )
        if operator == "contains":
            return lambda file: value in file.get(field, "")
        raise self.error()

    def flag_term(self, field: str) -> Predicate:
        operator = self.take("op")
        word = self.take("word")
        if operator not in ("=", "!=") or word not in ("true", "false"):
            raise self.error()
        wanted = (word == "true") == (operator == "=")
        return lambda file: bool(file.get(field, False)) == wanted

    def has_term(self, field: str) -> Predicate:
        self.take("word", "has")
        self.take("op", "{")
        self.take("word", "key")
        self.take("op", "=")
        key = self.take("str")
        self.take("word", "and")
        self.take("word", "value")
        self.take("op", "=")
        value = self.take("str")
        self.take("op", "}")
        return lambda file: file.get(field, {}).get(key) == value
