"""Reading the file: size and encoding limits, safe YAML, duplicate keys and alias
bombs, and the line where each part of the document sits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from syncd.config.problems import Abort, NodePath, Problem, field_name

# A config has a few hundred nodes; far more means an alias bomb, not a roster.
_MAX_NODES = 100_000
# A roster of a thousand people is about 100 kB. Pure-Python YAML needs seconds and
# ~90 bytes of memory per byte of input, so a larger file is refused unread rather
# than parsed for a minute into a gigabyte.
_MAX_FILE_BYTES = 1_000_000


class _Loader(yaml.SafeLoader):
    """Safe YAML that turns an impossible date into text for the checks to report."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

# libyaml parses a thousand-person roster in a fifth of the time; where it is missing, or
# says anything but yes, the pure-Python loader reads the file again and has the last word.
_AnyLoader = yaml.SafeLoader | yaml.CSafeLoader
_FAST: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):
        """The same loader on libyaml's parser: same nodes, same lines, same values."""

    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _FAST = _CLoader


@dataclass
class Lines:
    """Where each part of the document starts (1-based), by path from the root."""

    nodes: dict[NodePath, int]
    keys: dict[NodePath, int]  # the key's own line for mapping entries

    def of(self, path: NodePath) -> int:
        """Line of the deepest part of `path` that exists in the file."""
        for depth in range(len(path), -1, -1):
            prefix = path[:depth]
            line = self.keys.get(prefix) or self.nodes.get(prefix)
            if line is not None:
                return line
        return 1


def read(path: Path) -> str:
    """The file's text; raises Abort when it is missing, too large or not UTF-8."""
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise Abort(Problem(None, "", "file not found")) from None
    except IsADirectoryError:
        raise Abort(Problem(None, "", "is a folder, not a file")) from None
    except PermissionError:
        raise Abort(Problem(None, "", "cannot read file: permission denied")) from None
    except OSError as exc:
        raise Abort(Problem(None, "", f"cannot read file: {exc.strerror}")) from None
    if len(data) > _MAX_FILE_BYTES:
        message = f"larger than {_MAX_FILE_BYTES} bytes: not a roster syncd will read"
        raise Abort(Problem(None, "", message))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise Abort(Problem(line, "", f"not valid UTF-8 (byte 0x{bad})")) from None


def parse(text: str) -> tuple[object, Lines, list[Problem]]:
    """The document, its line map and the problems found in its nodes; raises Abort when
    the YAML cannot be read."""
    if _FAST is not None:
        try:
            # The pure-Python reader's character check first: libyaml's set differs.
            yaml.reader.Reader(text)
            return _parse(text, _FAST, deepest=_FAST_DEPTH)
        except (Abort, yaml.YAMLError, RecursionError, _TooDeep):
            pass  # every message, and its line, comes from the loader the tests pin
    return _parse(text, _Loader)


# libyaml composes any depth without recursing; a document nested deeper than a roster
# ever is goes to the pure-Python loader, whose recursion limit says "nested too deeply".
_FAST_DEPTH = 64


class _TooDeep(Exception):
    """A document deeper than _FAST_DEPTH on the fast path."""


def _parse(text: str, kind: type[_AnyLoader],
           deepest: int | None = None) -> tuple[object, Lines, list[Problem]]:
    try:
        loader = kind(text)
    except yaml.reader.ReaderError as exc:
        raise Abort(_reader_problem(text, exc)) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise Abort(Problem(1, "", "file is empty (expected owner, timezone, people, ...)"))
        if not isinstance(root, yaml.MappingNode):
            found = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            line = root.start_mark.line + 1
            raise Abort(Problem(line, "", f"top level must be a mapping of keys, not {found}"))
        problems = _check_nodes(root, deepest)
        data = loader.construct_document(root)
        lines = Lines({}, {})
        _map_lines(loader, root, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context:
            what = f"{exc.problem} ({exc.context})"
        raise Abort(Problem(line, "", f"YAML syntax error: {what}")) from None
    except yaml.reader.ReaderError as exc:
        raise Abort(_reader_problem(text, exc)) from None
    except yaml.YAMLError as exc:
        raise Abort(Problem(None, "", f"YAML syntax error: {exc}")) from None
    except RecursionError:
        raise Abort(Problem(None, "", "nested too deeply")) from None
    finally:
        loader.dispose()
    return data, lines, problems


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> Problem:
    line = text.count("\n", 0, exc.position) + 1
    what = f"character #x{exc.character:04x} is not allowed" if isinstance(
        exc.character, int) else str(exc.reason)
    return Problem(line, "", f"YAML syntax error: {what}")


def _check_nodes(root: yaml.Node, deepest: int | None) -> list[Problem]:
    """Duplicate keys (YAML keeps the last silently), and aliases that loop or explode;
    _TooDeep past `deepest` levels."""
    problems: list[Problem] = []
    count = 0

    def visit(node: yaml.Node, path: NodePath, above: frozenset[int]) -> None:
        nonlocal count
        count += 1
        if deepest is not None and len(path) > deepest:
            raise _TooDeep
        if count > _MAX_NODES:
            message = f"more than {_MAX_NODES} values once aliases are expanded"
            raise Abort(Problem(node.start_mark.line + 1, "", message))
        if id(node) in above:
            where = field_name(path)
            raise Abort(Problem(node.start_mark.line + 1, where, "alias refers to itself"))
        above = above | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                visit(item, (*path, index), above)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else ""
                line = key.start_mark.line + 1
                if key.tag != "tag:yaml.org,2002:merge" and name:
                    if name in seen:
                        problems.append(Problem(
                            line, field_name((*path, name)),
                            f"duplicate key (first at line {seen[name]})",
                        ))
                    seen.setdefault(name, line)
                visit(value, (*path, name), above)

    visit(root, (), frozenset())
    return problems


def _map_lines(loader: _AnyLoader, node: yaml.Node, path: NodePath, lines: Lines) -> None:
    lines.nodes[path] = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(loader, item, (*path, index), lines)
    elif isinstance(node, yaml.MappingNode):
        # After construction merge keys are flattened in, explicit keys last: later wins.
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int):
                continue
            lines.keys[(*path, key)] = key_node.start_mark.line + 1
            _map_lines(loader, value_node, (*path, key), lines)
