"""The seed experiment's Flask app, with knobs for benchmarking.

GET /            sleeps ?ms= milliseconds (default 2000, as in the seed): an
                 I/O-bound handler, like one waiting on a database.
GET /cpu         spins a pure-Python loop of ?n= iterations (default about
                 25 ms of CPU): a CPU-bound handler, which threads cannot
                 parallelise because of the GIL.
GET /health      answers at once.

WORKERBENCH_SLOWDOWN=0.10 in the environment makes both work endpoints 10%
slower, so a benchmark's base and head can differ by a known amount.
"""
import os
import time

from flask import Flask, request

app = Flask(__name__)
SLOWDOWN = float(os.environ.get("WORKERBENCH_SLOWDOWN", "0"))


@app.route("/")
def sleep():
    ms = float(request.args.get("ms", "2000"))
    time.sleep(ms * (1 + SLOWDOWN) / 1000)
    return "Finished"


@app.route("/cpu")
def cpu():
    n = int(int(request.args.get("n", "90000")) * (1 + SLOWDOWN))
    x = 0
    for i in range(n):
        x += i * i
    return str(x % 10)


@app.route("/health")
def health():
    return "ok"


if __name__ == "__main__":
    app.run(host="127.0.0.1")
