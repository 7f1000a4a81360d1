"""The seed's app for an event-loop server, as a bare ASGI callable (no
framework, so any ASGI server runs it with nothing else installed).

GET /        awaits ?ms= milliseconds (default 2000): a handler that waits
             without holding its worker, so one event loop serves many such
             requests at once. Compare the Flask app, whose sync worker
             serves one at a time.
GET /health  answers at once.

Run it with: uvicorn --host 127.0.0.1 --port 8000 app:app
"""
import asyncio
from urllib.parse import parse_qs


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    status, body = 200, b"ok"
    if scope["path"] == "/":
        query = parse_qs(scope["query_string"].decode())
        await asyncio.sleep(float(query.get("ms", ["2000"])[0]) / 1000)
        body = b"Finished"
    elif scope["path"] != "/health":
        status, body = 404, b"not found"
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain")],
    })
    await send({"type": "http.response.body", "body": body})
