"""Converters from older record schemas to the current ones (the migration hook).

A converter turns a dict of one schema into a dict of the next schema;
:func:`migrate` chains them until the record has the schema its typed class
reads. Register one with :func:`register_migration` when a schema is bumped,
so that every committed record keeps loading::

    @register_migration("crbench.run/1", to_schema="crbench.run/2")
    def _run_1_to_2(record):
        return {**record, "schema": "crbench.run/2", "new_field": None}

``crbench.run/1`` and ``crbench.bench/1`` are the current schemas: no
converter is registered today.
"""

from .fields import RecordError

__all__ = ["register_migration", "migrate", "known_schemas"]

# from schema -> (to schema, converter)
_MIGRATIONS = {}


def register_migration(from_schema, *, to_schema):
    """Decorator registering ``converter(dict) -> dict`` from ``from_schema`` to ``to_schema``.

    Raises
    ------
    ValueError
        When a converter from ``from_schema`` is already registered.
    """

    def decorate(converter):
        if from_schema in _MIGRATIONS:
            raise ValueError(f"a migration from {from_schema!r} is already registered")
        _MIGRATIONS[from_schema] = (to_schema, converter)
        return converter

    return decorate


def known_schemas(current):
    """Schemas that :func:`migrate` can bring to ``current`` (``current`` included)."""
    return sorted({current} | {schema for schema in _MIGRATIONS if _chain_ends_at(schema, current)})


def _chain_ends_at(schema, current):
    seen = set()
    while schema in _MIGRATIONS and schema not in seen:
        seen.add(schema)
        schema = _MIGRATIONS[schema][0]
    return schema == current


def migrate(data, *, current, source="<record>"):
    """Return ``data`` converted to schema ``current`` (unchanged when it already has it).

    Raises
    ------
    RecordError
        When ``data`` is not an object or its schema cannot be converted.
    """
    if not isinstance(data, dict):
        raise RecordError(f"{source}: a record must be a JSON object, got {type(data).__name__}")
    seen = []
    while data.get("schema") != current:
        schema = data.get("schema")
        if schema not in _MIGRATIONS or schema in seen:
            raise RecordError(f"{source} has schema {schema!r}, which crbench cannot read as {current!r} "
                              f"(readable: {', '.join(known_schemas(current))})")
        seen.append(schema)
        to_schema, converter = _MIGRATIONS[schema]
        data = converter(data)
        if not isinstance(data, dict) or data.get("schema") != to_schema:
            raise RecordError(f"the migration {schema!r} -> {to_schema!r} did not produce a {to_schema!r} record")
    return data
