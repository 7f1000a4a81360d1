// The seed's app for Node: a cluster of WEB_CONCURRENCY workers on PORT.
const cluster = require('node:cluster');
const http = require('node:http');
const workers = Number(process.env.WEB_CONCURRENCY || 1);
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/health') return res.end('ok');
    if (url.pathname === '/cpu') {
      const n = Number(url.searchParams.get('n') || 900000);
      let x = 0;
      for (let i = 0; i < n; i++) x += i * i;
      return res.end(String(x % 10));
    }
    setTimeout(() => res.end('Finished'), Number(url.searchParams.get('ms') || 2000));
  }).listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
}
