"""The one SPARQL lexer: every place that reads SPARQL text (or Turtle's look-alike syntax) uses its tokens.

It follows the SPARQL 1.1 grammar's terminals (section 19.8): strings (short and long), IRI references,
prefixed names with their escapes, variables, blank node labels, numbers, keywords, punctuation. It does
not parse: callers look at tokens and their brace depth. It is what decides, before anything is evaluated,
whether a query names its own dataset, where its ``WHERE`` group opens, how deep it nests and which
endpoints its ``SERVICE`` clauses call — so it errs on the side of seeing code where a parser might see
text (an IRI reference is taken only where one can stand, never across whitespace).

>>> [t.text for t in tokens("SELECT ?s { ?s a <x> } # done")]
['SELECT', '?s', '{', '?s', 'a', '<x>', '}']
>>> query_form("PREFIX ex: <http://ex/> ASK { ex:a ?p ?o }")
'ASK'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import urlsplit

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_BNODE = f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"

_STRING = (
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\""
)
_IRI = r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"

_TOKEN = re.compile(
    rf"""
      (?P<space>[ \t\r\n]+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>{_STRING})
    | (?P<iri>{_IRI})
    | (?P<var>[?$]{_VARNAME})
    | (?P<bnode>{_BNODE})
    | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
    | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.?[0-9]*[eE][+-]?[0-9]+|[0-9]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<open>\{{)
    | (?P<close>\}})
    | (?P<paren>[()\[\]])
    | (?P<punct>[.;,])
    | (?P<op>\|\||&&|!=|<=|>=|\^\^|<<|>>|[=<>!+\-*/^|?])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: The query forms, in the order a query may name them.
FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    """One significant token: its kind (a group name of the pattern above), text, span and brace depth."""

    kind: str
    text: str
    start: int
    end: int
    #: How many ``{`` are open around it (a ``{`` has the depth outside it, as does its ``}``).
    depth: int

    def is_keyword(self, *words: str) -> bool:
        """True for a bare word that is one of ``words`` (SPARQL keywords are case-insensitive)."""
        return self.kind == "word" and self.text.upper() in words


def scan(text: str, start: int = 0) -> Iterator[tuple[str, re.Match[str]]]:
    """Every token of ``text`` from offset ``start``, whitespace and comments included, as (kind, match)."""
    for match in _TOKEN.finditer(text, start):
        yield match.lastgroup or "other", match


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The significant tokens of ``text`` from offset ``start`` (whitespace and comments dropped), with their
    brace depth (counted from ``start``)."""
    depth = 0
    for kind, match in scan(text, start):
        if kind in ("space", "comment"):
            continue
        if kind == "close":
            depth = max(depth - 1, 0)
        yield Token(kind, match.group(), match.start(), match.end(), depth)
        if kind == "open":
            depth += 1


#: What :func:`group_end` needs to see: braces and comments, outside strings and IRIs (which may hold them).
#: Everything else, strings and IRIs included, is taken in runs, which makes it many times faster than
#: :func:`tokens` on data.
_GROUP_PART = re.compile(
    rf"""(?:[^"'<\#{{}}\\]++|{_IRI}|{_STRING}|\\.)++|(?P<comment>\#[^\n\r]*)|(?P<open>\{{)|(?P<close>\}})|.""",
    re.DOTALL,
)


def group_end(text: str, start: int) -> int | None:
    """The offset just past the ``}`` that closes the group opening at ``start``; None when it is not closed.

    The same terminals as :func:`tokens` decide what is a brace, so this agrees with their depths; it is the
    fast way past a large group whose tokens nobody needs (the data block of an ``INSERT DATA``).

    >>> text = "INSERT DATA { <s> <p> '}' . GRAPH <g> { <s> <p> 1 } } ; CLEAR ALL"
    >>> text[12 : group_end(text, 12)]
    "{ <s> <p> '}' . GRAPH <g> { <s> <p> 1 } }"
    >>> group_end("{ <s> <p> 1 ", 0) is None
    True
    """
    depth = 0
    for match in _GROUP_PART.finditer(text, start):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def top_level_keyword(text: str, *words: str) -> bool:
    """True when one of ``words`` stands outside every group (not in a string, an IRI or a comment).

    >>> top_level_keyword("SELECT * FROM <http://ex/g> WHERE { ?s ?p 'FROM' }", "FROM")
    True
    >>> top_level_keyword("SELECT * WHERE { ?s ?p 'FROM' } # FROM", "FROM")
    False
    """
    if not _mentions(text, words):
        return False
    return any(t.depth == 0 and t.is_keyword(*words) for t in tokens(text))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether any of ``words`` occurs in ``text`` at all, ignoring case: a keyword is always spelt out
    (escapes are decoded in strings and IRIs only), so without it there is nothing to lex for."""
    lowered = text.lower()
    return any(word.lower() in lowered for word in words)


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, ASK or DESCRIBE: the form of a query, None when it cannot be told."""
    for token in tokens(text):
        if token.depth == 0 and token.is_keyword(*FORMS):
            return token.text.upper()
    return None


def where_group(text: str) -> int | None:
    """The offset of the ``{`` that opens the query's top-level WHERE group, None when there is none to find.

    ``CONSTRUCT WHERE { … }`` has none (its group is a template too), nor has a text that is no query.

    >>> q = "CONSTRUCT { ?s a ?c } WHERE { ?s ?p ?c }"
    >>> q[where_group(q):]
    '{ ?s ?p ?c }'
    >>> where_group("CONSTRUCT WHERE { ?s ?p ?o }") is None
    True
    """
    form: str | None = None
    groups = 0
    for token in tokens(text):
        if token.depth != 0:
            continue
        if token.kind == "word":
            word = token.text.upper()
            if form is None and word in FORMS:
                form = word
            elif word == "WHERE" and form == "CONSTRUCT" and groups == 0:
                return None
            elif word == "WHERE" and form is not None:
                groups = -1  # the next top-level group is the WHERE group
        elif token.kind == "open" and form is not None:
            if groups == -1 or form != "CONSTRUCT" or groups == 1:
                return token.start
            groups += 1  # CONSTRUCT's template comes first
    return None


#: The strings and IRI references of ``_STRING`` and ``_IRI``, matched by runs of characters rather than one
#: character at a time (the same tokens: the alternatives exclude each other): a literal of megabytes is one step.
_STRING_RUNS = (
    r"'''(?:[^'\\]++|\\.|'(?!''))*+'''|\"\"\"(?:[^\"\\]++|\\.|\"(?!\"\"))*+\"\"\""
    r"|'(?:[^'\\\n\r]++|\\.)*+'|\"(?:[^\"\\\n\r]++|\\.)*+\""
)
_IRI_RUNS = r"<(?:[^<>\"{}|^`\\\x00-\x20]++|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>"
#: What :func:`max_depth` and :func:`longest_literal` pass over inside the regular expression engine: runs of
#: other characters, comments, IRIs and strings whole (which may hold brackets and quotes that are none), a
#: prefixed name's escapes (``ex:a\#b``), ``<<``, and a ``<``, quote or backslash that starts no token. One match
#: per bracket (or per string and IRI), with the same terminals as :func:`tokens`: many times faster on data. Each
#: match ends at a bracket (or string) or at the end, so that no match is tried again from within a token.
#: One difference, where the text is wrong anyway: a backslash outside a string, IRI or prefixed name takes
#: the next character with it (``\(`` counts no level), where :func:`tokens` sees it alone; a parser stops
#: at such a backslash, before anything after it could nest.
_SKIP = rf"""(?:[^"'<\#{{}}()\[\]\\]++|\#[^\n\r]*|{_IRI_RUNS}|<<|{_STRING_RUNS}|\\.|[<"'\\])*+"""
_BRACKET = re.compile(rf"{_SKIP}([{{}}()\[\]]|\Z)", re.DOTALL)
_LITERAL = re.compile(
    rf"""(?:[^"'<\#\\]++|\#[^\n\r]*|\\.)*+(?:({_IRI_RUNS}|{_STRING_RUNS})|<<|[<"'\\]|\Z)""", re.DOTALL
)
_STEP = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1, "": 0}


def max_depth(text: str) -> int:
    """How deeply groups, parentheses and brackets nest in ``text`` (what recursive parsers descend).

    >>> max_depth("SELECT * { { ?s ?p ( 1 [ ?x ?y ] ) } }")
    4
    >>> max_depth(r"ex:a ex:b '((' ; ex:c ex:d\\#( . # ((")
    1
    """
    steps = map(_STEP.__getitem__, _BRACKET.findall(text))
    return max(accumulate(steps, lambda depth, step: max(depth + step, 0), initial=0))


def longest_literal(text: str) -> int:
    """The length of the longest string or IRI reference in ``text``, its quotes or brackets included.

    >>> longest_literal("<http://ex/a> 'four' # a comment's <http://not/an/iri/but/a/comment>")
    13
    """
    return max(map(len, _LITERAL.findall(text)), default=0)


# -- IRIs as the parser resolves them ------------------------------------------------------------------

_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def iri_value(token: Token) -> str:
    """The IRI an IRI reference token stands for, its ``\\u`` escapes decoded (as the parser does)."""
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token.text[1:-1])


@dataclass
class Prologue:
    """The ``PREFIX`` and ``BASE`` declarations read so far, to resolve names the way the parser does."""

    prefixes: dict[str, str]
    base: str | None = None

    def read(self, previous: Token | None, token: Token, following: Token | None) -> None:
        """Take a declaration into account when ``token`` completes one."""
        if token.kind == "iri" and previous is not None and previous.is_keyword("BASE"):
            self.base = self.resolve(iri_value(token))
        elif (
            token.kind == "pname"
            and token.text.endswith(":")
            and previous is not None
            and previous.is_keyword("PREFIX")
            and following is not None
            and following.kind == "iri"
        ):
            self.prefixes[token.text[:-1]] = self.resolve(iri_value(following))

    def resolve(self, iri: str) -> str:
        """An absolute IRI stays as it is; a relative one is marked so that no check can take it for allowed."""
        if urlsplit(iri).scheme:
            return iri
        return f"relative:{iri}"

    def expand(self, token: Token) -> str | None:
        """The IRI an IRI reference or prefixed name token names, None for any other token."""
        if token.kind == "iri":
            return self.resolve(iri_value(token))
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            if namespace is None:
                return None
            return namespace + _LOCAL_ESCAPE.sub(r"\1", local)
        return None


def called_endpoints(text: str, prefixes: dict[str, str]) -> list[str | None]:
    """The endpoint of every ``SERVICE`` (and the source of every ``LOAD``) in a query or update.

    An entry is the IRI the parser will use, or None where the endpoint is a variable or cannot be read
    (such a call must be refused). ``prefixes`` are those the parser is given besides the text's own.

    >>> called_endpoints("PREFIX e: <http://ex/> SELECT * { SERVICE SILENT e:q { ?s ?p ?o } }", {})
    ['http://ex/q']
    >>> called_endpoints("SELECT * { BIND(<http://ex/> AS ?e) SERVICE ?e { ?s ?p ?o } }", {})
    [None]
    """
    found: list[str | None] = []
    if not _mentions(text, ("SERVICE", "LOAD")):
        return found
    prologue = Prologue(dict(prefixes))
    listed = list(tokens(text))
    for index, token in enumerate(listed):
        previous = listed[index - 1] if index else None
        following = listed[index + 1] if index + 1 < len(listed) else None
        prologue.read(previous, token, following)
        if not token.is_keyword("SERVICE", "LOAD"):
            continue
        target = following
        if target is not None and target.is_keyword("SILENT"):
            target = listed[index + 2] if index + 2 < len(listed) else None
        found.append(prologue.expand(target) if target is not None else None)
    return found


def service_variables(text: str) -> list[Token]:
    """The variables that name a ``SERVICE`` endpoint (``SERVICE ?e``, ``SERVICE SILENT ?e``), as tokens.

    Engines cannot bind such a variable (Oxigraph says it is unbound), so a named query's endpoint parameter
    is written into these places as an IRI token (:func:`graph.named_queries.with_endpoints`).

    >>> [t.text for t in service_variables("SELECT * { SERVICE SILENT $e { ?s ?p ?o } SERVICE <x:y> { } }")]
    ['$e']
    """
    if not _mentions(text, ("SERVICE",)):
        return []
    listed = list(tokens(text))
    found: list[Token] = []
    for index, token in enumerate(listed[:-1]):
        if not token.is_keyword("SERVICE"):
            continue
        target = listed[index + 1]
        if target.is_keyword("SILENT") and index + 2 < len(listed):
            target = listed[index + 2]
        if target.kind == "var":
            found.append(target)
    return found
