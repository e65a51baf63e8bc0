"""Who is calling, for every authenticated request: the session's user (web) or the bearer token
with its user (API), each in one statement written once per process (issue 17).

Every authenticated request pays for this, so it skips the ORM's query building (about 0.7 ms a
call for the token). The row holds the user's columns (and the token's) and, for a reviewer, their
district codes, so that `access.district_codes` asks nothing more in the request. Nothing is cached
between requests: a revoked or expired token and a deactivated user fail on the very next call.
Read from the primary always: identity must never lag behind a logout or a deactivation."""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections

from registry.core import prepared

from . import access
from .models import ApiToken, Role, User


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
        self.user = f"SELECT {user_columns} FROM {q(User._meta.db_table)} u WHERE u.{q(User._meta.pk.column)} = %s"
        token_columns = ", ".join(f"t.{q(f.column)}" for f in self.token_fields)
        self.token = (
            f"SELECT {token_columns}, {user_columns} FROM {q(ApiToken._meta.db_table)} t"
            f" INNER JOIN {q(User._meta.db_table)} u"
            f" ON u.{q(User._meta.pk.column)} = t.{q(ApiToken._meta.get_field('user').column)}"
            f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked_at')} IS NULL AND t.{q('expires_at')} > %s"
        )
        self.user_converters = _converters(connection, self.user_fields)
        self.token_converters = _converters(connection, self.token_fields)


_sql: dict[str, _IdentitySql] = {}


def _fetch(which: str, params: list):
    """The user (`which="user"`) or the token with its user, converted as the ORM would, or None."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _sql.get(connection.vendor)
    if sql is None:
        sql = _sql[connection.vendor] = _IdentitySql(connection)
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql.token if which == "token" else sql.user, params)
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    offset = 0
    if which == "token":
        token_values = row[: len(sql.token_fields)]
        _convert(token_values, sql.token_converters, connection)
        offset = len(sql.token_fields)
    user_values = row[offset:-1]
    _convert(user_values, sql.user_converters, connection)
    user = User.from_db(DEFAULT_DB_ALIAS, None, user_values)
    if user.role == Role.REVIEWER:
        districts = row[-1]  # PostgreSQL: a list; SQLite: a JSON array
        access.remember_district_codes(user, json.loads(districts) if isinstance(districts, str) else districts)
    if which == "user":
        return user
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, None, token_values)
    ApiToken.user.field.set_cached_value(token, user)
    return token


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
    user = _fetch("user", [Role.REVIEWER.value, user_id])
    return user if user is not None and user.is_active else None


def token_by_hash(key_hash: str, *, now: dt.datetime) -> ApiToken | None:
    """The unrevoked token with this hash that has not expired by `now`, its user loaded (active or not)."""
    now = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(now)
    return _fetch("token", [Role.REVIEWER.value, key_hash, now])
