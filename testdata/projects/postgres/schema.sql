-- The schema, created afresh by init_db.py.
DROP TABLE IF EXISTS note;
DROP TABLE IF EXISTS author;
DROP TABLE IF EXISTS deployment;

CREATE TABLE author (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE note (
  id SERIAL PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES author (id),
  tag TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created TIMESTAMPTZ NOT NULL
);

CREATE INDEX note_created ON note (created);

-- Which side's setup initialised this database (base or head).
CREATE TABLE deployment (
  id SERIAL PRIMARY KEY,
  side TEXT NOT NULL,
  initialised TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Seed rows: enough that the index page's scan does real work.
INSERT INTO author (name)
SELECT 'author ' || to_char(i, 'FM000') FROM generate_series(1, 100) AS i;

INSERT INTO note (author_id, tag, title, body, created)
SELECT 1 + (i * 7919) % 100,
       (ARRAY['work', 'home', 'ideas', 'reading', 'travel', 'code', 'music', 'food'])[1 + i % 8],
       'note ' || i,
       repeat('lorem ipsum dolor sit amet ', 1 + (i * 31) % 20),
       timestamptz '2024-01-01' + i * interval '1 minute'
FROM generate_series(1, 8000) AS i;

ANALYZE;
