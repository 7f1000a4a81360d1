"""The seed's app for ASGI servers (uvicorn, hypercorn), on Starlette.

GET /            awaits ?ms= milliseconds (default 2000): a handler that waits
                 without holding its worker, so one event loop serves many
                 such requests at once.
GET /cpu         spins a pure-Python loop of ?n= iterations (default 90000,
                 about 9 ms on a 2-vCPU runner) on the event loop itself, as
                 an async handler that computes does: it blocks the loop,
                 so a worker computes one request at a time.
GET /block       sleeps ?ms= milliseconds (default 2000) with time.sleep inside
                 async def: the commonest async mistake; the call holds the
                 event loop, so a worker serves one request at a time.
GET /sync        sleeps ?ms= milliseconds (default 2000) in a plain def
                 endpoint, which Starlette runs in its thread pool (40
                 threads per process by default).
GET /health      answers at once.
"""
import asyncio
import time

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def sleep(request):
    ms = float(request.query_params.get("ms", "2000"))
    await asyncio.sleep(ms / 1000)
    return PlainTextResponse("Finished")


async def cpu(request):
    n = int(request.query_params.get("n", "90000"))
    x = 0
    for i in range(n):
        x += i * i
    return PlainTextResponse(str(x % 10))


async def block(request):
    ms = float(request.query_params.get("ms", "2000"))
    time.sleep(ms / 1000)
    return PlainTextResponse("Finished")


def sync(request):
    ms = float(request.query_params.get("ms", "2000"))
    time.sleep(ms / 1000)
    return PlainTextResponse("Finished")


async def health(request):
    return PlainTextResponse("ok")


app = Starlette(routes=[
    Route("/", sleep), Route("/cpu", cpu), Route("/block", block), Route("/sync", sync),
    Route("/health", health),
])
