// The database: a JSON file of customers and orders written by
// `npm run init-db`, loaded once per process and queried in memory with an
// index by customer. (Node 20 has no built-in SQLite, and a native driver
// would need a compiler and the network in setup; Node 22's node:sqlite
// can replace this file.)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// DATA_FILE, or data/store.json in the project: each checkout (base and
// head) has its own.
function dataFile() {
  return path.resolve(process.env.DATA_FILE || path.join(__dirname, '..', 'data', 'store.json'));
}

class Store {
  static open(file = dataFile()) {
    if (!fs.existsSync(file)) {
      throw new Error(`database ${file} does not exist: run npm run init-db first`);
    }
    return new Store(JSON.parse(fs.readFileSync(file, 'utf8')));
  }

  constructor({ customers, orders }) {
    this.customers = new Map(customers.map((c) => [c.id, c]));
    this.orders = orders;
    this.byCustomer = new Map();
    for (const o of orders) {
      if (!this.byCustomer.has(o.customer)) this.byCustomer.set(o.customer, []);
      this.byCustomer.get(o.customer).push(o);
    }
  }

  // Revenue per customer over every order of a status: a full scan.
  topCustomers({ status = 'paid', limit = 10 } = {}) {
    const totals = new Map();
    for (const o of this.orders) {
      if (o.status !== status) continue;
      const t = totals.get(o.customer) || { revenue: 0, orders: 0 };
      t.revenue += o.items.reduce((sum, it) => sum + it.qty * it.priceCents, 0);
      t.orders++;
      totals.set(o.customer, t);
    }
    return [...totals]
      .sort((a, b) => b[1].revenue - a[1].revenue)
      .slice(0, limit)
      .map(([id, t]) => ({ customer: this.customers.get(id), ...t }));
  }

  customer(id) {
    const c = this.customers.get(id);
    if (!c) return null;
    const orders = (this.byCustomer.get(id) || []).slice().sort((a, b) => b.placed - a.placed);
    return { ...c, orders };
  }
}

module.exports = { Store, dataFile };
