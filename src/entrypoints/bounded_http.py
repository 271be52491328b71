"""uvicorn's httptools protocol with the request head bounded while it arrives.

httptools buffers a request line and headers of any size before the application sees them (an
8 MB header is read whole, per connection). This protocol counts the bytes of each request's
head as they arrive and, past MAX_REQUEST_HEAD_BYTES, answers 431 and closes the connection.
Heads under it reach the application, whose own finer limits (adapters.http.limits) answer
431 with details. h11 has a limit of its own, set to the same size (entrypoints.serving).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapters.http.limits import headers_too_large_response

MAX_REQUEST_HEAD_BYTES = 64 * 1024


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Bytes received outside a request body count towards the head of the next request;
    they reset when its headers are complete and when its body is."""

    _head_bytes = 0
    _in_body = False

    def data_received(self, data: bytes) -> None:
        if not self._in_body:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_REQUEST_HEAD_BYTES:
                self.logger.warning("Request head over %d bytes refused.", MAX_REQUEST_HEAD_BYTES)
                detail = f"request line and headers over {MAX_REQUEST_HEAD_BYTES} bytes"
                self.transport.write(headers_too_large_response(detail))
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_body, self._head_bytes = True, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body, self._head_bytes = False, 0
        super().on_message_complete()
