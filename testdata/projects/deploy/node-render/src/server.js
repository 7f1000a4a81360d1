// Starts the service as platforms start it: it listens on PORT (and HOST,
// default 127.0.0.1) and runs WEB_CONCURRENCY processes with node:cluster
// (one process, without a primary, when it is 1 or unset).
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const { Store } = require('./store');
const { route } = require('./router');

const workers = Number(process.env.WEB_CONCURRENCY || 1);

function serve() {
  const store = Store.open();
  http
    .createServer((req, res) => route(store, req, res))
    .listen(Number(process.env.PORT || 3000), process.env.HOST || '127.0.0.1');
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
