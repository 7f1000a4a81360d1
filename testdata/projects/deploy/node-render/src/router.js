// Routes a request to its handler.
'use strict';
const views = require('./views');

const routes = [
  [/^\/$/, (store, req, res, url) => {
    const rows = store.topCustomers({
      status: url.searchParams.get('status') || 'paid',
      limit: Number(url.searchParams.get('limit') || 10),
    });
    html(res, 200, views.index(rows));
  }],
  [/^\/customers\/(\d+)$/, (store, req, res, url, [, id]) => {
    const c = store.customer(Number(id));
    if (!c) return html(res, 404, views.notFound(url.pathname));
    html(res, 200, views.customer(c));
  }],
  [/^\/health$/, (store, req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(store.customers.size > 0 ? 'ok' : 'empty');
  }],
];

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

function route(store, req, res) {
  const url = new URL(req.url, 'http://localhost');
  for (const [pattern, handler] of routes) {
    const m = pattern.exec(url.pathname);
    if (m && req.method === 'GET') return handler(store, req, res, url, m);
  }
  html(res, 404, views.notFound(url.pathname));
}

module.exports = { route };
