"""Create the database afresh with deterministic rows: python3 -m shop.init_db"""
import random
import sqlite3
from importlib import resources

from .config import database_path

WAREHOUSES = 12
ITEMS = 8000
NOUNS = "bolt nut washer gear spring valve pump hose clamp bearing filter gasket".split()


def main() -> None:
    path = database_path()
    rnd = random.Random(1)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(resources.files(__package__).joinpath("schema.sql").read_text())
        conn.executemany(
            "INSERT INTO warehouse (id, name) VALUES (?, ?)",
            [(i + 1, f"warehouse {i + 1:02d}") for i in range(WAREHOUSES)],
        )
        conn.executemany(
            "INSERT INTO item (sku, name, warehouse_id, quantity, price_cents) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    f"SKU-{i:06d}",
                    f"{rnd.choice(NOUNS)} {rnd.randrange(1, 100)} mm",
                    rnd.randrange(WAREHOUSES) + 1,
                    rnd.randrange(0, 1000),
                    rnd.randrange(10, 50000),
                )
                for i in range(ITEMS)
            ],
        )
    conn.close()
    print(f"initialised {path}: {WAREHOUSES} warehouses, {ITEMS} items")


if __name__ == "__main__":
    main()
