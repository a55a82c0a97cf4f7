"""Inserting many rows of one table at once (posting a remittance writes tens of thousands).

SQLAlchemy's Core executemany builds a parameter dictionary per row and runs each value's
type processor through several layers; for a 5,000-claim 835 that took as long as SQLite's
own work. Here the processors of the columns given are looked up once and applied in a
plain loop, and the rows go to the driver's executemany as tuples. The values are exactly
what Core would bind (the same `bind_processor`s: cents for money, ISO text for dates, UTC
for timestamps, with their checks), so nothing else in the program needs to know.

Columns left out get their Python-side default as Core would give it (a callable default,
such as the current time, is called once for the whole batch), else NULL or the database's
own default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(s: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row of `rows` (dicts with the same keys) into `model`'s table."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    keys = list(rows[0])
    if any(len(row) != len(keys) for row in rows):
        raise ValueError(f"{table.name}: every row must give the same columns")
    dialect = s.get_bind().dialect
    assert dialect.paramstyle == "qmark"  # SQLite's, which the statement below is written in
    procs: list[Callable[[Any], Any] | None] = [
        table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    pairs = list(zip(keys, procs, strict=True))
    fixed = _defaults(table, keys, dialect)
    tail = tuple(v for _k, v in fixed)
    names = keys + [k for k, _v in fixed]
    prep = dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} "
           f"({', '.join(prep.format_column(table.c[k]) for k in names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    # column by column: each processor mapped over a list, then zipped into row tuples
    columns: list[list[Any]] = []
    for k, p in pairs:
        values = [row[k] for row in rows]
        columns.append(_processed(p, values) if p is not None else values)
    columns += [[v] * len(rows) for v in tail]
    params = list(zip(*columns, strict=True))
    s.connection().exec_driver_sql(sql, params)


def _processed(proc: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """`proc` over `values`, once per distinct value: a batch repeats its dates, timestamps
    and amounts thousands of times, and the processors are pure. The key holds the type, so
    a float equal to a Decimal seen before still reaches the processor that refuses it."""
    seen: dict[tuple[type, Any], Any] = {}
    out: list[Any] = []
    for v in values:
        key = (v.__class__, v)
        try:
            out.append(seen[key])
        except KeyError:
            out.append(seen.setdefault(key, proc(v)))
        except TypeError:  # unhashable: no shortcut
            out.append(proc(v))
    return out


def _defaults(table: Table, given: list[str], dialect: Any) -> list[tuple[str, Any]]:
    """The columns left out that have a Python-side default, with that default's value
    bound as Core would (a callable, such as the current time, is called once for all)."""
    out = []
    for c in table.columns:
        if c.key in given or c.default is None:
            continue
        d = cast(Any, c.default)
        if d.is_scalar:
            value = d.arg
        elif d.is_callable:
            value = d.arg(None)  # SQLAlchemy wraps a plain callable to take a context
        else:
            raise ValueError(f"{table.name}.{c.key}: give it (its default is SQL)")
        proc = c.type.dialect_impl(dialect).bind_processor(dialect)
        out.append((c.key, proc(value) if proc is not None else value))
    return out
