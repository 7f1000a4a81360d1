"""Create the schema and seed rows in the database DATABASE_URL names.

    python3 init_db.py --side base

--side is recorded in the table deployment, so that each side's database
can be told apart: workerbench's setup passes {side}.
"""
import argparse
import os
from pathlib import Path

import psycopg2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", default="head", help="base or head")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    schema = (Path(__file__).parent / "schema.sql").read_text()
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(schema)
        cur.execute("INSERT INTO deployment (side) VALUES (%s)", (args.side,))
        cur.execute("SELECT COUNT(*) FROM note")
        notes = cur.fetchone()[0]
        dbname = conn.get_dsn_parameters()["dbname"]
    conn.close()
    print(f"initialised database {dbname} for {args.side}: {notes} notes")


if __name__ == "__main__":
    main()
