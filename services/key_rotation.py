"""Rotating the keys of personal data (`flask rotate-keys`): every sealed value not under the
current key is opened with its old one and sealed again; with `reindex`, every blind index is
computed again (after BLIND_INDEX_KEY changed — lookups miss until this has run).

Works on the raw stored text, table by table, in batches of ids, each batch its own
transaction: it can be stopped and run again, and the site stays up meanwhile (old keys
still open what is not done yet; a value changed since it was read is left for the next run)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import column, select, table, update

from extensions import db
from services.sealing import Sealed, SealedJSON, blind, key_id_of, open_sealed, seal
from services.registry import registry

BATCH = 1000


@dataclass(frozen=True)
class SealedColumn:
    table: str
    name: str
    purpose: str
    index_kind: str | None  # the blind index beside it: "phone", "id_number" or None


def sealed_columns() -> list[SealedColumn]:
    """Every sealed column the models declare, and whether a blind index goes with it."""
    found = []
    for tbl in db.metadata.sorted_tables:
        for col in tbl.columns:
            if isinstance(col.type, (Sealed, SealedJSON)):
                index = tbl.columns.get(f"{col.name}_index")
                found.append(SealedColumn(tbl.name, col.name, col.type.purpose,
                                          _index_kind(tbl.name, col.name) if index is not None else None))
    return found


def _index_kind(table_name: str, column_name: str) -> str:
    """The blind index's kind, as the model's attribute declares it."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == table_name:
            attr = getattr(mapper.class_, column_name)
            return attr.comparator.kind
    raise LookupError(f"{table_name}.{column_name}")


def rotate(reindex: bool = False) -> dict[str, int]:
    """Values sealed again (and indexes computed again), per table.column."""
    keys = registry().keys
    done: dict[str, int] = {}
    for sc in sealed_columns():
        raw = table(sc.table, column("id"), column(sc.name), *([column(f"{sc.name}_index")] if sc.index_kind else []))
        count, last = 0, 0
        while True:
            rows = db.session.execute(select(raw.c.id, raw.c[sc.name]).where(raw.c.id > last)
                                      .order_by(raw.c.id).limit(BATCH)).all()
            for row_id, stored in rows:
                if stored is None or (key_id_of(stored) == keys.current and not reindex):
                    continue
                plain = open_sealed(stored, sc.purpose)
                values = {sc.name: seal(plain, sc.purpose) if key_id_of(stored) != keys.current else stored}
                if sc.index_kind and reindex:
                    values[f"{sc.name}_index"] = blind(plain, sc.index_kind)
                # Only if nobody changed it since it was read: a person's new phone is never undone.
                count += db.session.execute(update(raw).where(raw.c.id == row_id, raw.c[sc.name] == stored)
                                            .values(**values)).rowcount
            db.session.commit()
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
        done[f"{sc.table}.{sc.name}"] = count
    return done
