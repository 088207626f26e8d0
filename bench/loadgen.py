"""A small HTTP/1.1 load client (no wrk needed): sends prepared requests over a few concurrent
connections, reconnecting when the server closes (gunicorn's sync workers do after each
response), and returns the status of every response and the requests per second."""

import asyncio
import time


async def _worker(host: str, port: int, queue: list[bytes], statuses: list[int]) -> None:
    reader = writer = None
    while queue:
        request = queue.pop()
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        status_line = await reader.readline()
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await reader.readexactly(length)
        statuses.append(int(status_line.split()[1]) if status_line else 0)
        if close or not status_line:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def post_request(host: str, port: int, path: str, body: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/x-www-form-urlencoded"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def run(host: str, port: int, requests: list[bytes], concurrency: int = 4) -> tuple[float, list[int]]:
    queue = list(reversed(requests))
    statuses: list[int] = []

    async def main() -> None:
        await asyncio.gather(*[_worker(host, port, queue, statuses) for _ in range(concurrency)])

    start = time.perf_counter()
    asyncio.run(main())
    return len(requests) / (time.perf_counter() - start), statuses
