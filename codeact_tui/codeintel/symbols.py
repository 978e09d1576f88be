"""Extract definitions and name references from one source file with tree-sitter.

The result, `FileSymbols`, is plain data (JSON-ready) so it can be cached on disk and handed to
guest code unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node, QueryCursor

from .languages import (
    GrammarUnavailable,
    definitions_query,
    parser_for,
    references_query,
)

SIGNATURE_MAX_CHARS = 200
"""Signatures longer than this are cut (with "…"): a map line must stay a line."""

# Node types that hold a definition's body: its signature is the text before it.
_BODY_FIELDS = ("body",)
# Go's specs leave their keyword on the enclosing declaration: put it back for the signature.
_SIGNATURE_PREFIX = {"type_spec": "type ", "const_spec": "const ", "var_spec": "var "}
# Containers whose members are methods rather than functions.
_CLASS_KINDS = frozenset({"class", "struct", "interface", "trait", "impl", "enum", "module"})


@dataclass(frozen=True)
class Definition:
    """One named definition in a file.

    Attributes:
        name: The bare name (`bar` for `Foo::bar`).
        kind: function, method, class, struct, interface, trait, impl, enum, type, module,
            namespace, constant, variable, field, macro, constructor or prototype.
        line: First line, 1-based.
        end_line: Last line, 1-based.
        signature: The header of the definition on one line (no body).
        parent: The name of the enclosing definition, or "" at top level.
    """

    name: str
    kind: str
    line: int
    end_line: int
    signature: str
    parent: str = ""

    def to_json(self) -> dict[str, Any]:
        """The definition as a JSON-ready dict."""
        return {
            "name": self.name,
            "kind": self.kind,
            "line": self.line,
            "end_line": self.end_line,
            "signature": self.signature,
            "parent": self.parent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Definition:
        """The inverse of `to_json`."""
        return cls(**data)


@dataclass(frozen=True)
class FileSymbols:
    """What one file defines and which names it uses.

    Attributes:
        language: The language it was parsed as, or None (listed without symbols).
        definitions: Definitions in source order.
        references: Each name used in the file (definition sites excluded) with its lines.
        binary: The file turned out to be binary: it is left out of maps and searches.
    """

    language: str | None
    definitions: tuple[Definition, ...] = ()
    references: dict[str, list[int]] = field(default_factory=dict)
    binary: bool = False

    def to_json(self) -> dict[str, Any]:
        """The symbols as a JSON-ready dict."""
        return {
            "language": self.language,
            "definitions": [d.to_json() for d in self.definitions],
            "references": self.references,
            "binary": self.binary,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileSymbols:
        """The inverse of `to_json`."""
        return cls(
            language=data["language"],
            definitions=tuple(Definition.from_json(d) for d in data["definitions"]),
            references=data["references"],
            binary=bool(data.get("binary", False)),
        )


EMPTY = FileSymbols(language=None)
BINARY = FileSymbols(language=None, binary=True)


def _text(source: bytes, start: int, end: int) -> str:
    return source[start:end].decode("utf-8", errors="replace")


def _bare_name(node: Node) -> Node:
    """The innermost name of a qualified or decorated declarator (`A::b` → `b`)."""
    for _ in range(8):
        inner = node.child_by_field_name("name") or node.child_by_field_name("declarator")
        if inner is None or inner == node:
            break
        node = inner
    return node


def _owner(source: bytes, node: Node, name_node: Node) -> str:
    """The type a method belongs to when the syntax says so outside any enclosing block:
    a Go receiver (`func (l *Ledger) Record`) or a C++ scope (`Circle::area`)."""
    receiver = node.child_by_field_name("receiver") if node.type == "method_declaration" else None
    if receiver is not None:
        for child in _descendants(receiver):
            if child.type == "type_identifier":
                return _text(source, child.start_byte, child.end_byte)
        return ""
    qualified = name_node.parent
    if qualified is not None and qualified.type == "qualified_identifier":
        scope = qualified.child_by_field_name("scope")
        if scope is not None:
            return _text(source, scope.start_byte, scope.end_byte).rsplit("::", 1)[-1]
    return ""


def _descendants(node: Node) -> list[Node]:
    """Every node below `node`, depth-first (receivers are tiny)."""
    out: list[Node] = []
    stack = list(reversed(node.children))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(reversed(child.children))
    return out


def _signature(source: bytes, node: Node) -> str:
    """The definition's header on one line: its text up to the body, whitespace collapsed."""
    end = node.end_byte
    for name in _BODY_FIELDS:
        body = node.child_by_field_name(name)
        if body is not None and body.start_byte > node.start_byte:
            end = body.start_byte
            break
    else:
        newline = source.find(b"\n", node.start_byte, end)
        if newline != -1:
            end = newline
    text = _SIGNATURE_PREFIX.get(node.type, "") + " ".join(_text(source, node.start_byte, end).split())
    text = text.rstrip(" {:=").rstrip()
    if len(text) > SIGNATURE_MAX_CHARS:
        text = text[: SIGNATURE_MAX_CHARS - 1] + "…"
    return text


def extract(source: bytes, language: str | None) -> FileSymbols:
    """Parse `source` as `language` and return its definitions and references.

    A file in an unknown language (None) or whose grammar does not load yields no symbols;
    the map still lists it.
    """
    if language is None:
        return EMPTY
    try:
        parser = parser_for(language)
        def_query = definitions_query(language)
        ref_query = references_query(language)
    except GrammarUnavailable:
        return FileSymbols(language=None)
    root = parser.parse(source).root_node

    found: dict[tuple[int, int], tuple[str, str, Node, str]] = {}
    name_sites: set[int] = set()
    for _pattern, captures in QueryCursor(def_query).matches(root):
        names = captures.get("name")
        if not names:
            continue
        for capture, nodes in captures.items():
            if not capture.startswith("definition."):
                continue
            node = nodes[0]
            name_node = _bare_name(names[0])
            name = _text(source, name_node.start_byte, name_node.end_byte)
            if not name or "\n" in name:
                continue
            kind = capture.removeprefix("definition.")
            key = (node.start_byte, node.end_byte)
            # The first pattern to claim a node wins; prototypes lose to anything else.
            if key not in found or found[key][1] == "prototype":
                found[key] = (name, kind, node, _owner(source, node, name_node))
            name_sites.add(name_node.start_byte)

    ordered = sorted(found.items(), key=lambda item: (item[0][0], -item[0][1]))
    definitions: list[Definition] = []
    stack: list[tuple[int, int, str, str]] = []  # (start, end, name, kind) of open definitions
    for (start, end), (name, kind, node, owner) in ordered:
        while stack and not (stack[-1][0] <= start and end <= stack[-1][1]):
            stack.pop()
        parent_name, parent_kind = (stack[-1][2], stack[-1][3]) if stack else ("", "")
        if parent_name == name and node.start_point.row + 1 == definitions[-1].line:
            continue  # `typedef struct s {...} s;` is one definition, not two
        if kind == "function" and parent_kind in _CLASS_KINDS:
            kind = "method"
        if owner:  # `func (l *Ledger) Record`, `double Circle::area()`: a method of its type
            parent_name, kind = owner, ("constructor" if owner == name else "method")
        definitions.append(
            Definition(
                name=name,
                kind=kind,
                line=node.start_point.row + 1,
                end_line=node.end_point.row + 1,
                signature=_signature(source, node),
                parent=parent_name,
            )
        )
        stack.append((start, end, name, kind))

    # Keyed by the raw bytes and decoded once per distinct name: a big file has hundreds of
    # thousands of name nodes but a few thousand names. Captures come in source order, so each
    # name's lines arrive sorted and a repeat is always the last one.
    lines_by_name: dict[bytes, list[int]] = {}
    in_order = True
    for nodes in QueryCursor(ref_query).captures(root).values():
        for node in nodes:
            start = node.start_byte
            if start in name_sites:
                continue
            row = node.start_point.row + 1
            lines = lines_by_name.get(raw := source[start : node.end_byte])
            if lines is None:
                lines_by_name[raw] = [row]
            elif lines[-1] != row:
                in_order = in_order and lines[-1] < row
                lines.append(row)
    references: dict[str, list[int]] = {}
    for raw, lines in lines_by_name.items():
        name = raw.decode("utf-8", errors="replace")
        if not in_order or name in references:  # out of order, or two byte spellings of one name
            lines = sorted(set(lines) | set(references.get(name, ())))
        references[name] = lines
    return FileSymbols(language=language, definitions=tuple(definitions), references=references)
