"""How personal data is sealed in its columns and opened out of them.

Personal data lives in `supporters` (email addresses) and `signer_details` (names,
phones, personal messages), sealed at rest (security/sealing.py) with the keys each
connection carries. A query names a sealed column `<field>_sealed`; `opened` hands it on
as `<field>`, opened under the label it was sealed with (an address sealed as a name
would not open).
"""

from __future__ import annotations

from typing import Any, TypeVar

from asyncpg import Record

from campaign_engine.db.pool import Connection, sealer_of

# Each sealed column's label, bound into its values (sealing.py), by the field queries open it
# as: an address sealed as a name would not open.
EMAIL = "supporters.email"
NAME = "signer_details.name"
PHONE = "signer_details.phone"
COMMENT = "signer_details.comment"
# A network import's checked rows, held an hour for its preview (member_imports.py): they
# hold addresses. Not resealed when the key turns: they are gone within the hour.
IMPORT_ROWS = "network_imports.rows"
# A member's mobile number for alerts by text (member_phones.py).
MEMBER_PHONE = "members.phone"
# A solidarity message as its writer gave it (solidarity.py).
SOLIDARITY = "solidarity_messages.original"
SEALED_AS = {
    "email": EMAIL,
    "signer_email": EMAIL,
    "name": NAME,
    "signer_name": NAME,
    "phone": PHONE,
    "comment": COMMENT,
    "rows": IMPORT_ROWS,
    "member_phone": MEMBER_PHONE,
    "original": SOLIDARITY,
}
SUFFIX = "_sealed"

T = TypeVar("T")


def opened(conn: Connection, row: Record) -> dict[str, Any]:
    """A row's columns, each `<field>_sealed` opened into `<field>` (None stays None)."""
    sealer = sealer_of(conn)
    values: dict[str, Any] = {}
    for column, value in row.items():
        if column.endswith(SUFFIX):
            field = column.removesuffix(SUFFIX)
            if field not in SEALED_AS:
                raise LookupError(f"{column}: name its column in SEALED_AS")
            values[field] = sealer.open_optional(value, SEALED_AS[field])
        else:
            values[column] = value
    return values


def opened_as(shape: type[T], conn: Connection, row: Record, **converted: Any) -> T:
    """A dataclass from a row with sealed columns (see `opened`; `converted` as from_row)."""
    return shape(**{**opened(conn, row), **converted})
