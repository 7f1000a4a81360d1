"""/: stock per warehouse (a scan of the inventory) and what runs low."""
import sqlite3

from fastapi import APIRouter, Depends

from ..db import get_db
from ..schemas import Summary

router = APIRouter(tags=["reports"])


@router.get("/", response_model=Summary)
def summary(low: int = 5, db: sqlite3.Connection = Depends(get_db)):
    warehouses = db.execute(
        "SELECT w.name AS warehouse, COUNT(*) AS items, SUM(quantity) AS quantity,"
        " SUM(quantity * price_cents) AS value_cents"
        " FROM item i JOIN warehouse w ON i.warehouse_id = w.id"
        " GROUP BY w.id ORDER BY value_cents DESC"
    ).fetchall()
    low_stock = db.execute(
        "SELECT i.id, sku, i.name, w.name AS warehouse, quantity, price_cents"
        " FROM item i JOIN warehouse w ON i.warehouse_id = w.id"
        " WHERE quantity < ? ORDER BY quantity, i.id LIMIT 20",
        (low,),
    ).fetchall()
    return {"warehouses": [dict(r) for r in warehouses], "low_stock": [dict(r) for r in low_stock]}
