// The seed's app for Node, started as platforms start it: it listens on
// PORT (and HOST, default 127.0.0.1) and runs WEB_CONCURRENCY processes
// with node:cluster (one, without a primary, when it is 1 or unset).
//
// GET /         answers after ?ms= milliseconds (default 2000) with a timer:
//               a handler that waits without holding its process.
// GET /cpu      computes a loop of ?n= iterations (default 10000000, about
//               10 ms on a 2-vCPU runner once compiled): it blocks its
//               process, so only more processes compute more at once.
// GET /health   answers at once.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const workers = Number(process.env.WEB_CONCURRENCY || 1);

function cpu(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x += i * i;
  return x;
}

function serve() {
  http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const param = (name, def) => Number(url.searchParams.get(name) || def);
    switch (url.pathname) {
      case '/health':
        return res.end('ok');
      case '/cpu':
        return res.end(String(cpu(param('n', 10000000)) % 10));
      default:
        setTimeout(() => res.end('Finished'), param('ms', 2000));
    }
  }).listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
}

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // A worker that dies is not replaced: a benchmark should see it.
  cluster.on('exit', (w, code, signal) => {
    console.error(`worker ${w.process.pid} exited (${signal || code})`);
  });
} else {
  serve();
}
