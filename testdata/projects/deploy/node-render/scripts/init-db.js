// Writes the database afresh with deterministic rows: npm run init-db
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { dataFile } = require('../src/store');

const CUSTOMERS = 500;
const ORDERS = 80000;
const CITIES = ['Lyon', 'Porto', 'Gdansk', 'Turin', 'Leeds', 'Ghent', 'Graz', 'Aarhus'];
const STATUSES = ['paid', 'paid', 'paid', 'shipped', 'refunded'];

// A small deterministic generator (mulberry32): the same data every time.
let seed = 1;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
  id: i + 1,
  name: `Customer ${String(i + 1).padStart(3, '0')}`,
  city: pick(CITIES),
}));
const start = Date.UTC(2024, 0, 1);
const orders = Array.from({ length: ORDERS }, (_, i) => ({
  id: i + 1,
  customer: 1 + Math.floor(rand() * CUSTOMERS),
  status: pick(STATUSES),
  placed: start + i * 60000,
  items: Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({
    sku: `SKU-${Math.floor(rand() * 5000)}`,
    qty: 1 + Math.floor(rand() * 3),
    priceCents: 100 + Math.floor(rand() * 10000),
  })),
}));

const file = dataFile();
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ customers, orders }));
console.log(`initialised ${file}: ${CUSTOMERS} customers, ${ORDERS} orders`);
