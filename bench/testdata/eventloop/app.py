"""Starlette app for the event-loop tests (uvicorn): / sleeps ?ms= (async,
so a waiting request holds nothing), /cpu computes, /health answers."""
import asyncio
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def sleep(request):
    ms = float(request.query_params.get("ms", "2000"))
    await asyncio.sleep(ms / 1000)
    return PlainTextResponse("Finished")

def cpu(request):
    n = int(request.query_params.get("n", "90000"))
    x = 0
    for i in range(n):
        x += i * i
    return PlainTextResponse(str(x % 10))

async def cpu_async(request):
    return cpu(request)

async def health(request):
    return PlainTextResponse("ok")

app = Starlette(routes=[Route("/", sleep), Route("/cpu", cpu_async), Route("/health", health)])
