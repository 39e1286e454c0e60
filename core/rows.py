"""Rows without the ORM's machinery, for hot paths: writing a new row without the unit of work
(a paid order writes a handful of rows per request, and the unit of work costs more CPU than the
statements), and reading an answer as plain rows (`read`, `shaped`).

`insert_row(obj)` takes a new (transient) mapped object, fills the Python-side defaults its
columns declare, INSERTs it with one Core statement and sets its id. The object stays outside
the session: what the request already holds (its fields, relationships it was given) reads as it
is, nothing is lazily loaded, and nothing of it is flushed again. Later changes to it go through
Core statements too (core/transitions.py `conditional_move_known`).

`write(statement, params)` runs a prebuilt Core INSERT, UPDATE or DELETE on the request's
transaction, as `Session.execute` would run it (same connection, no flush: a Core statement is
not the ORM's), without the ORM's execution of it (its events, its options): about a quarter of
a small statement's CPU, and a paid order makes sixteen. One row's values run on the driver's
cursor (`OnCursor`), without Core's execution either: another 6–7 % of an order.

`read(statement)` runs a SELECT of columns on the request's transaction; `shaped(result)` turns
each row whose columns are labelled with attribute paths (`department__name_zh`) into the nested
objects a schema reads (`department.name_zh`), so that one schema prints an ORM object and a row
alike. Building ORM objects with their joined relations cost several times the statement.
"""

from __future__ import annotations

import logging
import weakref
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import Connection, Select, bindparam, inspect
from sqlalchemy.exc import DBAPIError, InvalidRequestError, NoResultFound

from core.extensions import db

log = logging.getLogger(__name__)


def _defaults(model) -> tuple[tuple[str, object], ...]:
    """(attribute, default) of each column with a Python-side default, the primary key aside."""
    found = []
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        default = column.default
        if column.primary_key or default is None or not (default.is_scalar or default.is_callable):
            continue
        found.append((attr.key, default))
    return tuple(found)


_DEFAULTS: dict[type, tuple[tuple[str, object], ...]] = {}


def fill_defaults(obj) -> None:
    """Give a new object the values its columns' Python-side defaults would give it at INSERT."""
    model = type(obj)
    if model not in _DEFAULTS:
        _DEFAULTS[model] = _defaults(model)
    state = obj.__dict__
    for key, default in _DEFAULTS[model]:
        if state.get(key) is None:
            setattr(obj, key, default.arg(None) if default.is_callable else default.arg)


_COLUMNS: dict[type, tuple[tuple[str, str], ...]] = {}


def values_of(obj) -> dict:
    """The column values a new object holds, by column name."""
    model = type(obj)
    columns = _COLUMNS.get(model)
    if columns is None:  # (attribute, column) of each column, once per model: the mapper's own
        # collection is rebuilt as a view on each access, which cost more than this loop.
        columns = _COLUMNS[model] = tuple((attr.key, attr.columns[0].key) for attr in inspect(model).column_attrs)
    state = obj.__dict__
    return {column: state[key] for key, column in columns if key in state}


def write(statement, params=None, session=None):
    """Run a Core INSERT / UPDATE / DELETE on the current transaction (of `session`, by default the
    request's); returns its result (`rowcount`, `scalar_one()` of a RETURNING row). One row's
    values run on the driver's cursor (OnCursor, a plan per set of parameter names, as SQLAlchemy
    compiles one); many rows (executemany) and a statement OnCursor cannot run (Python-side
    defaults, an expanding IN) through `Connection.execute`. No session event sees it: a change
    of a table whose answers are remembered (the reference tables of hospital/api/remembered.py,
    which learns of bulk changes from `do_orm_execute`) must go through `Session.execute`."""
    session = session if session is not None else db.session()
    connection = session.connection(bind_arguments={"clause": statement})
    if isinstance(params, list) and len(params) == 1:  # one row: no executemany
        params = params[0]
    if isinstance(params, dict):
        plans = _WRITE_PLANS.get(statement)
        if plans is None:
            plans = _WRITE_PLANS[statement] = weakref.WeakKeyDictionary()
        plan = _plan(statement, plans, connection.dialect, frozenset(params))
        if plan is not None:
            return _execute(connection, params, plan)
    return connection.execute(statement, params)


# Statement -> its plans (by dialect, then by set of parameter names). Nothing in a plan refers
# to its statement, so a statement built for one call goes with it, and its plans with it.
_WRITE_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Written:
    """What `write` tells of a statement run on the cursor: the rows it changed, and the first
    RETURNING row, as the Core result's `rowcount`, `scalar_one()` and `scalar()` say them (but
    `scalar()` of a statement without RETURNING is None, where Core's result refuses)."""

    __slots__ = ("rowcount", "row")

    def __init__(self, rowcount: int, row: tuple | None):
        self.rowcount, self.row = rowcount, row

    def scalar_one(self):
        if self.row is None:
            raise NoResultFound("No row was found when one was required")
        return self.row[0]

    def scalar(self):
        return None if self.row is None else self.row[0]


_INSERTS: dict[type, object] = {}
_INSERTS_MANY: dict[type, object] = {}


def insert_row(obj) -> int:
    """INSERT a new mapped object's row (defaults filled) in one Core statement; its id set on it.
    The statement is built once per model (its values are parameters: compiled once per set of
    columns, then found in SQLAlchemy's cache)."""
    model = type(obj)
    if model not in _INSERTS:
        _INSERTS[model] = model.__table__.insert().returning(model.__table__.c.id)
    fill_defaults(obj)
    obj.id = write(_INSERTS[model], values_of(obj)).scalar_one()
    return obj.id


def add_now(obj):
    """Write at once, by `insert_row`, an object a helper added to the session (a notification of
    `notify.add_notification`, whose id its push needs): the helper builds it the one way, the
    unit of work does not write it. Returns the object (its id set)."""
    db.session.expunge(obj)
    insert_row(obj)
    return obj


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT many rows of one table in one Core statement (executemany); their ids are not read."""
    if rows:
        if model not in _INSERTS_MANY:
            _INSERTS_MANY[model] = model.__table__.insert()
        write(_INSERTS_MANY[model], rows)


class OnCursor:
    """A prebuilt Core statement, compiled once per dialect and run on the driver's own cursor:
    for the hottest transactions (a chat message's statements, a paid order's writes), where
    SQLAlchemy's execution of an already compiled statement (its execution context, cache
    lookup, parameters, result) cost more than the database's work: on SQLite 300 → 120 µs for
    the three of a message.

    It binds what SQLAlchemy would bind: each value goes through its column type's own bind
    processor (the UTC timestamps, JSON), and the statement's constants (`last_seq + 1`, a status)
    come from the compiled statement; positionally or by name, as the driver takes them. A
    statement whose execution would fill Python-side defaults or expand an IN is refused at
    compile time (it would need SQLAlchemy's execution context). A driver error is raised as
    SQLAlchemy's (`IntegrityError`), as `Connection.execute` would; a connection the database
    dropped is invalidated with the pool's older ones, as Core does. The engine's
    `before_cursor_execute` listeners see the statement (and may hand back another, as in Core)
    and its `after_cursor_execute` ones too, with no execution context (None); `handle_error`
    listeners and the engine's echo do not.

    `connection` is a SQLAlchemy Connection (in its transaction) or what `autocommit` gives."""

    def __init__(self, statement):
        self.statement = statement
        # By engine dialect (the bind processors carry its settings, e.g. its JSON encoder); a
        # dialect dropped with its engine (a test's app) drops its plans.
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def run(self, connection, params: dict) -> None:
        """Execute on `connection`, in its transaction."""
        self.first(connection, params)

    def scalar(self, connection, params: dict):
        """The first column of the RETURNING row, or None when no row was written."""
        row = self.first(connection, params)
        return None if row is None else row[0]

    def first(self, connection, params: dict) -> tuple | None:
        """The first row the statement returns (a tuple), or None."""
        return _execute(connection, params, _plan(self.statement, self._plans, connection.dialect)).row


def _plan(statement, plans: weakref.WeakKeyDictionary, dialect, keys: frozenset | None = None) -> tuple | None:
    """(SQL, bind names in order, their processors, the statement's own values, which names need
    a value, whether the driver takes them by position), compiled once per dialect; with a set of
    `keys` (`write`), None where the statement cannot run on the cursor."""
    by_keys = plans.get(dialect)
    if by_keys is None:
        by_keys = plans[dialect] = {}
    if keys not in by_keys:  # two greenlets may both compile it once: the same plan
        try:
            by_keys[keys] = _compile(statement, dialect, keys)
        except TypeError:
            if keys is None:
                raise
            by_keys[keys] = None
    return by_keys[keys]


def _compile(statement, dialect, keys: frozenset | None) -> tuple:
    # With `keys`, the INSERT's columns and the UPDATE's SET are the parameters', as Core's.
    compiled = statement.compile(dialect=dialect, column_keys=None if keys is None else sorted(keys))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError("OnCursor: the statement needs Python-side defaults; give every column")
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise TypeError("OnCursor: the statement has expanding parameters (IN); SQLAlchemy renders them per run")
    if compiled.escaped_bind_names:  # the SQL would name them otherwise than the statement does
        raise TypeError("OnCursor: a parameter name needs escaping; name it plainly")
    if compiled.positional:
        names = tuple(compiled.positiontup)
    else:  # as the SQL names them (a constant's bind is keyed otherwise in `binds`), each once
        names = tuple(dict.fromkeys(compiled.bind_names[bind] for bind in compiled.binds.values()))
    binds = [compiled.binds[name] for name in names]
    processors = tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds)
    required = frozenset(name for name, bind in zip(names, binds, strict=True) if bind.required)
    return str(compiled), names, processors, compiled.params, required, compiled.positional


def _execute(connection, params: dict, plan: tuple) -> Written:
    sql, names, processors, constants, required, positional = plan
    if not required.issubset(params):  # as Core: a parameter without a value is an error, not NULL
        missing = sorted(required.difference(params))
        raise InvalidRequestError(f"A value is required for bind parameter {missing[0]!r}")
    values = tuple(_bound(params, constants, name, how) for name, how in zip(names, processors, strict=True))
    bound = values if positional else dict(zip(names, values, strict=True))
    dialect = connection.dialect
    events = connection.dispatch if isinstance(connection, Connection) else None  # `autocommit` lends none
    cursor = connection.connection.cursor()
    try:
        if events is not None:
            for listener in events.before_cursor_execute:  # as Core: each may hand back new ones
                sql, bound = listener(connection, cursor, sql, bound, None, False)
        cursor.execute(sql, bound)
        written = Written(cursor.rowcount, cursor.fetchone() if cursor.description else None)
        if events is not None and events.after_cursor_execute:
            events.after_cursor_execute(connection, cursor, sql, bound, None, False)
        return written
    except dialect.loaded_dbapi.Error as err:
        invalidated = dialect.is_disconnect(err, connection.connection.dbapi_connection, cursor)
        if invalidated:  # as Core: this connection and the pool's older ones (a restart dropped them)
            connection.engine.pool._invalidate(connection.connection, err)
            if events is not None:
                connection.invalidate(err)
        raise DBAPIError.instance(
            sql, bound, err, dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=dialect
        ) from err
    finally:
        cursor.close()  # a statement left stepping would keep its write open past the commit


def _bound(params: dict, constants: dict, name: str, process):
    value = params[name] if name in params else constants[name]
    return process(value) if process is not None else value


class _Driver(SimpleNamespace):
    """What OnCursor needs of a connection: its engine, dialect and pooled driver connection."""


@contextmanager
def autocommit(engine):
    """A connection of the engine's pool, in autocommit, for one statement that is its own
    transaction (PostgreSQL's chat message): no BEGIN and COMMIT round trips, and none of the
    Connection's own work (its execution options, the isolation level it sets and resets through
    them), which cost more than the statement's execution. A connection that the database
    dropped under its statement is invalidated by OnCursor, as under a Connection."""
    dialect = engine.dialect
    pooled = engine.raw_connection()
    driver = pooled.dbapi_connection
    try:
        dialect.set_isolation_level(driver, "AUTOCOMMIT")
        yield _Driver(engine=engine, dialect=dialect, connection=pooled)
    finally:
        # A failed statement leaves no transaction open in autocommit: restore it alike. Never hand
        # the pool a connection left in autocommit (the next request's transaction would not be one).
        if pooled.is_valid:
            try:
                dialect.reset_isolation_level(driver)
            except Exception as err:  # e.g. a timeout interrupted the statement: still running
                log.info("a connection that could not leave autocommit was discarded: %s", err)
                pooled.invalidate()
        pooled.close()


def read(statement, params: dict | None = None):
    """Run a SELECT of columns (not of mapped entities) on the request's transaction and return
    its Core result: rows of plain values, as `Session.execute` would give, for about 100 µs less
    a statement. `Session.execute` compiles every SELECT for the ORM and passes its rows through
    the ORM's result machinery even when they hold no entity; a hot read of a few columns paid
    more for that than for the statement. Pending changes are flushed first, as `Session.execute`
    would (autoflush), so the read sees what this transaction wrote."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection(bind_arguments={"clause": statement}).execute(statement, params or {})


class Shown(SimpleNamespace):
    """What a read prints of one object, as plain attributes (see `shaped`)."""


PATH = "__"  # separates the steps of an attribute path in a column's label


def shaped(found, kind: type[Shown] = Shown, kinds: dict[str, type[Shown]] | None = None) -> list[Shown]:
    """Each row of a result as the object its labelled columns describe: with the columns `id`,
    `doctor__id`, `doctor__user__name` and `department__name_zh`, an object with `.id`, `.doctor`
    (None where an outer join found no doctor, as its id says) and `.department.name_zh`. `kind`
    is the class of the object, `kinds` the class of a step by its name (a class that lends a
    model's properties), else `Shown`. How the labels nest is worked out once per set of labels."""
    plan = _plan_of(tuple(found.keys()))
    kinds = kinds or {}
    return [_grown(row, plan, kind, kinds) for row in found]


# (the node's path, its columns (index, name), the index of its id column or None, its child
# nodes' paths): deepest nodes first, so that a node's children are built before it.
_Plan = list[tuple[tuple[str, ...], list[tuple[int, str]], int | None, list[tuple[str, ...]]]]
_plans: dict[tuple[str, ...], _Plan] = {}


def _plan_of(labels: tuple[str, ...]) -> _Plan:
    plan = _plans.get(labels)
    if plan is None:
        columns: dict[tuple[str, ...], list[tuple[int, str]]] = {(): []}
        for index, label in enumerate(labels):
            *steps, name = label.split(PATH)
            for depth in range(1, len(steps) + 1):
                columns.setdefault(tuple(steps[:depth]), [])
            columns[tuple(steps)].append((index, name))
        plan = []
        for path in sorted(columns, key=len, reverse=True):
            id_index = next((index for index, name in columns[path] if name == "id"), None)
            children = [other for other in columns if len(other) == len(path) + 1 and other[:-1] == path]
            plan.append((path, columns[path], id_index, children))
        _plans[labels] = plan
    return plan


def _grown(row, plan: _Plan, kind: type[Shown], kinds: dict[str, type[Shown]]) -> Shown:
    built: dict[tuple[str, ...], Shown | None] = {}
    for path, columns, id_index, children in plan:
        if id_index is not None and row[id_index] is None:
            built[path] = None
            continue
        values = {name: row[index] for index, name in columns}
        for child in children:
            values[child[-1]] = built[child]
        built[path] = kinds.get(path[-1], Shown)(**values) if path else kind(**values)
    return built[()]


def children_of(parent_key, order_by) -> Select:
    """The statement `with_children` runs: every column of `parent_key`'s table, for the parents'
    ids (`:ids`), in `order_by`'s order (the order the ORM relationship gives them)."""
    table = parent_key.table
    return db.select(*table.c).where(parent_key.in_(bindparam("ids", expanding=True))).order_by(order_by)


def with_children(parents: list[Shown], name: str, statement, parent_key: str) -> list[Shown]:
    """Give each parent the list `name` of its children: the rows of `statement` for the parents'
    ids (`:ids`, an expanding parameter), in the statement's order, each child's `parent_key`
    naming its parent. One statement for a whole list, as the ORM's select-in loading does."""
    by_id = {parent.id: parent for parent in parents}
    for parent in parents:
        setattr(parent, name, [])
    if by_id:
        for row in read(statement, {"ids": list(by_id)}):
            child = row._asdict()
            getattr(by_id[child[parent_key]], name).append(Shown(**child))
    return parents


def labelled(columns, prefix: str) -> list:
    """Each column labelled with its attribute path under `prefix` (`diagnosis__icd10`)."""
    return [column.label(f"{prefix}{PATH}{column.key}") for column in columns]
