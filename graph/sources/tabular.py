"""A CSV file as RDF, the way CSV on the Web's minimal mode reads it: one node per row, one triple per cell.

The view knows nothing of what the table means; a SPARQL mapping (a CONSTRUCT query) says that. Columns are
described by a CSVW metadata file (``<file>-metadata.json``, https://www.w3.org/TR/tabular-metadata/):
the table's ``@id`` is the base of the row and column IRIs, a column's ``name`` is its predicate
(``<@id#name>``), and its ``separator`` splits a cell into several values. Cells are trimmed and empty ones
left out; each row also gets ``csvw:rownum``. Columns the metadata does not name are kept under their
title, percent-encoded.

>>> table = Table.parse("Model,Organization\\n GPT-4 ,\\"OpenAI,Microsoft\\"\\n", {
...     "@id": "urn:t", "tableSchema": {"columns": [
...         {"titles": "Model", "name": "model"}, {"titles": "Organization", "name": "org", "separator": ","}]}})
>>> table.rows[0].cells
{'model': ('GPT-4',), 'org': ('OpenAI', 'Microsoft')}
>>> sorted(str(t) for t in table.triples())[-1]
'<urn:t#row=1> <urn:t#org> "OpenAI"'
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode, Triple

CSVW = "http://www.w3.org/ns/csvw#"
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")


@dataclass(frozen=True)
class Column:
    """A column of the table: its title in the header, its name (the predicate's local part), its separator."""

    title: str
    name: str
    separator: str | None = None


@dataclass(frozen=True)
class Row:
    """One row: its number (from 1, after the header) and its non-empty cells by column name."""

    number: int
    cells: dict[str, tuple[str, ...]]

    def first(self, name: str) -> str | None:
        """The first value of a column, or None when the cell is empty."""
        values = self.cells.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Table:
    """A parsed CSV file and the IRI its rows and columns are named under."""

    iri: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @classmethod
    def read(cls, path: Path, metadata: Path | None = None) -> Table:
        """The CSV at ``path`` as its metadata (by default ``<path>-metadata.json``) describes it."""
        described = json.loads((metadata or path.with_name(path.name + "-metadata.json")).read_text("utf-8"))
        return cls.parse(path.read_text(encoding="utf-8"), described)

    @classmethod
    def parse(cls, text: str, metadata: dict[str, Any]) -> Table:
        """The CSV ``text``, with its header, as the CSVW ``metadata`` describes it."""
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        declared = {c["titles"]: c for c in metadata.get("tableSchema", {}).get("columns", [])}
        columns = tuple(
            Column(title, declared.get(title, {}).get("name") or quote(title), declared.get(title, {}).get("separator"))
            for title in header
        )
        rows = tuple(Row(number, _cells(columns, values)) for number, values in enumerate(reader, start=1))
        return cls(metadata["@id"], columns, rows)

    def row_iri(self, row: Row) -> NamedNode:
        return NamedNode(f"{self.iri}#row={row.number}")

    def triples(self) -> list[Triple]:
        """The minimal-mode RDF of the table: ``<row> <column> "value"`` for every value, and the row number."""
        out = []
        for row in self.rows:
            node = self.row_iri(row)
            out.append(Triple(node, NamedNode(CSVW + "rownum"), Literal(str(row.number), datatype=XSD_INTEGER)))
            for name, values in row.cells.items():
                out += [Triple(node, NamedNode(f"{self.iri}#{name}"), Literal(value)) for value in values]
        return out


def _cells(columns: tuple[Column, ...], values: list[str]) -> dict[str, tuple[str, ...]]:
    cells = {}
    for column, value in zip(columns, values, strict=False):
        parts = value.split(column.separator) if column.separator else [value]
        kept = tuple(part.strip() for part in parts if part.strip())
        if kept:
            cells[column.name] = kept
    return cells
