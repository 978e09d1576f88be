"""Which tree-sitter grammar parses which file, and the queries that find its definitions.

Grammars come from the per-language wheels on PyPI (`tree-sitter-python`, ...); they are loaded
lazily, once per process, so a project in one language never pays for the others. The queries
are our own (`queries/<language>.scm`, aider-style tags): every match captures a definition
node as `@definition.<kind>` and its name as `@name`.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePath

from tree_sitter import Language, Parser, Query


@dataclass(frozen=True)
class LanguageSpec:
    """How to parse one language.

    Attributes:
        name: Our name for the language; also the query file's stem.
        module: The grammar package to import.
        function: The function of that package that returns the grammar pointer.
        identifier_types: Node types whose text is a name (what references are made of).
    """

    name: str
    module: str
    function: str
    identifier_types: tuple[str, ...]


_C_IDENTIFIERS = ("identifier", "field_identifier", "type_identifier")

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", "tree_sitter_python", "language", ("identifier",)),
        LanguageSpec(
            "javascript",
            "tree_sitter_javascript",
            "language",
            ("identifier", "property_identifier", "shorthand_property_identifier"),
        ),
        LanguageSpec(
            "typescript",
            "tree_sitter_typescript",
            "language_typescript",
            ("identifier", "property_identifier", "shorthand_property_identifier", "type_identifier"),
        ),
        LanguageSpec(
            "tsx",
            "tree_sitter_typescript",
            "language_tsx",
            ("identifier", "property_identifier", "shorthand_property_identifier", "type_identifier"),
        ),
        LanguageSpec("go", "tree_sitter_go", "language", _C_IDENTIFIERS),
        LanguageSpec("rust", "tree_sitter_rust", "language", _C_IDENTIFIERS),
        LanguageSpec("java", "tree_sitter_java", "language", ("identifier", "type_identifier")),
        LanguageSpec("c", "tree_sitter_c", "language", _C_IDENTIFIERS),
        LanguageSpec(
            "cpp", "tree_sitter_cpp", "language", (*_C_IDENTIFIERS, "namespace_identifier")
        ),
        LanguageSpec("ruby", "tree_sitter_ruby", "language", ("identifier", "constant")),
    )
}

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",  # C is the common case; C++ headers usually say .hpp/.hh
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".ipp": "cpp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
}

# Files known by name rather than suffix.
FILENAMES: dict[str, str] = {"Rakefile": "ruby", "Gemfile": "ruby"}


def language_for(path: str | PurePath) -> str | None:
    """The language of a file by its name, or None when no grammar covers it."""
    pure = PurePath(path)
    by_name = FILENAMES.get(pure.name)
    if by_name is not None:
        return by_name
    return EXTENSIONS.get(pure.suffix.lower())


class GrammarUnavailable(RuntimeError):
    """A grammar package is not installed or does not load; its files get no symbols."""


@cache
def grammar(name: str) -> Language:
    """The tree-sitter Language of one of `LANGUAGES`, loaded once.

    Raises:
        GrammarUnavailable: The grammar wheel is missing or incompatible.
    """
    spec = LANGUAGES[name]
    try:
        module = importlib.import_module(spec.module)
        return Language(getattr(module, spec.function)())
    except (ImportError, AttributeError, ValueError) as exc:
        raise GrammarUnavailable(f"the {name} grammar ({spec.module}) does not load: {exc}") from exc


@cache
def definitions_query(name: str) -> Query:
    """The compiled definitions query of a language (`queries/<name>.scm`)."""
    query_name = "typescript" if name == "tsx" else name
    source = resources.files(__package__).joinpath("queries", f"{query_name}.scm").read_text("utf-8")
    if name in ("typescript", "tsx"):
        # TypeScript is a superset of JavaScript: its query adds to the JavaScript one.
        source = resources.files(__package__).joinpath("queries", "javascript.scm").read_text("utf-8") + source
    return Query(grammar(name), source)


@cache
def references_query(name: str) -> Query:
    """A query capturing every name-like node of a language (the raw material of references)."""
    types = " ".join(f"({t})" for t in LANGUAGES[name].identifier_types)
    return Query(grammar(name), f"[{types}] @ref")


_parsers = threading.local()


def parser_for(name: str) -> Parser:
    """A parser for the language, one per thread (tree-sitter parsers are not thread-safe)."""
    cached: dict[str, Parser] | None = getattr(_parsers, "by_language", None)
    if cached is None:
        cached = _parsers.by_language = {}
    parser = cached.get(name)
    if parser is None:
        parser = cached[name] = Parser(grammar(name))
    return parser
