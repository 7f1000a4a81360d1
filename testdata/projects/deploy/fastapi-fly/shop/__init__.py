"""shop: a FastAPI inventory service on SQLite (uvicorn serves shop.main:app)."""
