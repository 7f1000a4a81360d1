"""/items: the inventory, by page, and one item."""
import sqlite3
from typing import List

from fastapi import APIRouter, Depends, HTTPException, Query

from ..db import get_db
from ..schemas import Item

router = APIRouter(prefix="/items", tags=["items"])

COLUMNS = "i.id, sku, i.name, w.name AS warehouse, quantity, price_cents"


@router.get("", response_model=List[Item])
def list_items(
    q: str = "",
    limit: int = Query(50, ge=1, le=500),
    db: sqlite3.Connection = Depends(get_db),
):
    rows = db.execute(
        f"SELECT {COLUMNS} FROM item i JOIN warehouse w ON i.warehouse_id = w.id"
        " WHERE i.name LIKE ? ORDER BY price_cents DESC LIMIT ?",
        (f"%{q}%", limit),
    ).fetchall()
    return [dict(r) for r in rows]


@router.get("/{item_id}", response_model=Item)
def get_item(item_id: int, db: sqlite3.Connection = Depends(get_db)):
    row = db.execute(
        f"SELECT {COLUMNS} FROM item i JOIN warehouse w ON i.warehouse_id = w.id WHERE i.id = ?",
        (item_id,),
    ).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="no such item")
    return dict(row)
