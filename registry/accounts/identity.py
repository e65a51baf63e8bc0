"""Who is calling, for every authenticated request: the session with its user (web) or the bearer
token with its user (API), each in one statement written once per process (issue 17).

Every authenticated request pays for this, so it skips the ORM's query building (about 0.7 ms a
call for the token). The row holds the user's columns (and the token's) and, for a reviewer, their
district codes, so that `access.district_codes` asks nothing more in the request. Nothing is cached
between requests: a revoked or expired token and a deactivated user fail on the very next call.
Read from the primary always: identity must never lag behind a logout or a deactivation."""

import contextlib
import contextvars
import datetime as dt
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections

from registry.core import prepared

from . import access
from .models import ApiToken, Role, Session, User

# Values other apps read with the web session's user, in the same statement (notices: the header's
# unread count). name → a function of (connection, the SQL of the user's id) giving an SQL
# expression. They land in `user.session_values`; registered in an AppConfig.ready().
_session_columns: dict[str, Callable] = {}


def add_session_column(name: str, expression: Callable) -> None:
    _session_columns[name] = expression
    _sql.clear()  # the statements are written again with it


def _converters(connection, fields) -> list[tuple[int, list, object]]:
    """The ORM's conversions of each column, as a QuerySet applies them (SQLite: text to datetime,
    0/1 to bool; PostgreSQL: none here)."""
    found = []
    for i, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((i, converters, column))
    return found


class _IdentitySql:
    """The two statements for one database vendor, from the models' tables and columns."""

    def __init__(self, connection):
        q = connection.ops.quote_name
        through = User.districts.through._meta
        region_column = q(through.get_field("region").column)
        districts = (
            f"SELECT d.{region_column} FROM {q(through.db_table)} d"
            f" WHERE d.{q(through.get_field('user').column)} = u.{q(User._meta.pk.column)}"
        )
        if connection.vendor == "postgresql":
            districts = f"ARRAY({districts})"
        else:  # a JSON array as text
            districts = f"(SELECT json_group_array({region_column}) FROM ({districts}))"
        self.user_fields = User._meta.concrete_fields
        self.token_fields = ApiToken._meta.concrete_fields
        user_columns = ", ".join(f"u.{q(f.column)}" for f in self.user_fields)
        user_columns += f", CASE WHEN u.{q('role')} = %s THEN {districts} END"
        users, user_id = f"{q(User._meta.db_table)} u", f"u.{q(User._meta.pk.column)}"
        self.user = f"SELECT {user_columns} FROM {users} WHERE {user_id} = %s"
        token_columns = ", ".join(f"t.{q(f.column)}" for f in self.token_fields)
        self.token = (
            f"SELECT {token_columns}, {user_columns} FROM {q(ApiToken._meta.db_table)} t"
            f" INNER JOIN {users} ON {user_id} = t.{q(ApiToken._meta.get_field('user').column)}"
            f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked_at')} IS NULL AND t.{q('expires_at')} > %s"
        )
        # The session LEFT JOIN its user: a row without a user still answers (an anonymous session).
        session = Session._meta
        self.session_columns = list(_session_columns)
        extra = "".join(f", {_session_columns[name](connection, user_id)}" for name in self.session_columns)
        self.session = (
            f"SELECT s.{q('session_data')}, {user_id} IS NOT NULL{extra}, {user_columns}"
            f" FROM {q(session.db_table)} s LEFT JOIN {users} ON {user_id} = s.{q(session.get_field('user').column)}"
            f" WHERE s.{q('session_key')} = %s AND s.{q('expire_date')} > %s"
        )
        self.user_converters = _converters(connection, self.user_fields)
        self.token_converters = _converters(connection, self.token_fields)


_sql: dict[str, _IdentitySql] = {}


def _statements():
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _sql.get(connection.vendor)
    if sql is None:
        sql = _sql[connection.vendor] = _IdentitySql(connection)
    return connection, sql


def _fetch(which: str, params: list):
    """The user (`which="user"`) or the token with its user, converted as the ORM would, or None."""
    connection, sql = _statements()
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql.token if which == "token" else sql.user, params)
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    if which == "user":
        return _user(row, connection, sql)
    token_values = row[: len(sql.token_fields)]
    _convert(token_values, sql.token_converters, connection)
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, None, token_values)
    ApiToken.user.field.set_cached_value(token, _user(row[len(sql.token_fields) :], connection, sql))
    return token


def _user(row: list, connection, sql: _IdentitySql) -> User:
    """The user from its columns and, last, a reviewer's districts."""
    user_values = row[:-1]
    _convert(user_values, sql.user_converters, connection)
    user = User.from_db(DEFAULT_DB_ALIAS, None, user_values)
    if user.role == Role.REVIEWER:
        districts = row[-1]  # PostgreSQL: a list; SQLite: a JSON array
        access.remember_district_codes(user, json.loads(districts) if isinstance(districts, str) else districts)
    return user


def session_with_user(session_key: str, now: dt.datetime) -> tuple[str, User | None] | None:
    """The unexpired session's data and the user it is logged in with (None: nobody, or a user who
    is gone), with the registered session columns in `user.session_values`; None: no such session."""
    connection, sql = _statements()
    with connection.cursor() as cursor:
        prepared.execute(
            cursor, sql.session, [Role.REVIEWER.value, session_key, connection.ops.adapt_datetimefield_value(now)]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    data, has_user = row[0], row[1]
    if not has_user:
        return data, None
    extras = 2 + len(sql.session_columns)
    user = _user(list(row[extras:]), connection, sql)
    user.session_values = dict(zip(sql.session_columns, row[2:extras], strict=True))
    return data, user


# The user read with this request's session, handed to the authentication backend while Django's
# auth.get_user runs (accounts.middleware): (user id, user or None).
_session_user: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("session_user", default=None)


@contextlib.contextmanager
def session_user(found: tuple | None):
    reset = _session_user.set(found)
    try:
        yield
    finally:
        _session_user.reset(reset)


def _convert(values: list, converters, connection) -> None:
    for i, functions, column in converters:
        value = values[i]
        for function in functions:
            value = function(value, column, connection)
        values[i] = value


def user_by_id(user_id) -> User | None:
    """The active user with this id (the session's), with a reviewer's district codes, or None."""
    try:
        user_id = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    found = _session_user.get()
    if found is not None and found[0] == user_id:  # read with the session, in this very request
        user = found[1]
    else:
        user = _fetch("user", [Role.REVIEWER.value, user_id])
    return user if user is not None and user.is_active else None


def token_by_hash(key_hash: str, *, now: dt.datetime) -> ApiToken | None:
    """The unrevoked token with this hash that has not expired by `now`, its user loaded (active or not)."""
    now = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(now)
    return _fetch("token", [Role.REVIEWER.value, key_hash, now])
