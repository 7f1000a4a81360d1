// HTML templates.
'use strict';

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
const money = (cents) => (cents / 100).toFixed(2);

const layout = (title, body) => `<!doctype html>
<html lang="en">
<head><title>${escape(title)} - Orders</title></head>
<body>
<h1><a href="/">Orders</a></h1>
${body}
</body>
</html>
`;

exports.index = (rows) =>
  layout('Top customers', `<h2>Top customers</h2>
<table>
<tr><th>customer</th><th>city</th><th>orders</th><th>revenue</th></tr>
${rows
  .map(
    (r) => `<tr><td><a href="/customers/${r.customer.id}">${escape(r.customer.name)}</a></td>` +
      `<td>${escape(r.customer.city)}</td><td>${r.orders}</td><td>${money(r.revenue)}</td></tr>`,
  )
  .join('\n')}
</table>`);

exports.customer = (c) =>
  layout(c.name, `<h2>${escape(c.name)}, ${escape(c.city)}</h2>
<ol>
${c.orders
  .slice(0, 50)
  .map((o) => `<li>${new Date(o.placed).toISOString().slice(0, 10)}: ${escape(o.status)}, ${o.items.length} items</li>`)
  .join('\n')}
</ol>`);

exports.notFound = (path) => layout('Not found', `<p>Nothing at ${escape(path)}.</p>`);
