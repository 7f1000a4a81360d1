"""The application: uvicorn serves shop.main:app."""
import sqlite3

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse

from .db import get_db
from .routers import items, reports

app = FastAPI(title="shop")
app.include_router(reports.router)
app.include_router(items.router)


@app.get("/health", response_class=PlainTextResponse)
def health(db: sqlite3.Connection = Depends(get_db)):
    db.execute("SELECT 1").fetchone()
    return "ok"
