import os
from pathlib import Path


def database_path() -> Path:
    """SHOP_DB, or shop.sqlite3 in the working directory (each checkout has its own)."""
    return Path(os.environ.get("SHOP_DB", "shop.sqlite3")).resolve()
