DROP TABLE IF EXISTS item;
DROP TABLE IF EXISTS warehouse;

CREATE TABLE warehouse (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL
);

CREATE TABLE item (
  id INTEGER PRIMARY KEY,
  sku TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL,
  warehouse_id INTEGER NOT NULL REFERENCES warehouse (id),
  quantity INTEGER NOT NULL,
  price_cents INTEGER NOT NULL
);

CREATE INDEX item_quantity ON item (quantity);
