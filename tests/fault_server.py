"""A real OpenAI-compatible endpoint on 127.0.0.1 that misbehaves on purpose, for the fault tests.

`FaultServer(fault)` answers POST /v1/chat/completions with one fault:

  ok            a well-formed completion whose content fits the stage / facts schema
  429           429 Too Many Requests with Retry-After
  500           500 Internal Server Error
  hang          says nothing until the client has given up (then closes)
  truncated     promises a body (Content-Length) and closes the connection half-way through it
  invalid_json  200 with an application/json body that is not JSON (a proxy's HTML error page)
  prose         a well-formed completion whose content is prose, not JSON
  schema        a well-formed completion whose content is JSON that violates the schema
  unknown_tool  a well-formed completion that calls a tool nobody offered
  auth_echo     401 whose error message repeats the caller's bearer token (a careless proxy)
  key_in_reply  a well-formed stage answer whose justification repeats the caller's Authorization header,
                verbatim, base64-encoded and URL-encoded (an endpoint that echoes what it was sent)

`answers={stage: answer}` makes the stage answers right (as the rules decide them) instead of the first
allowed one. `fail_first=N` sends the fault only for the first N attempts of each distinct request body
and answers "ok" after that: the SDK's retries can then be seen to recover. Every request is kept
(`requests`: path, headers with lower-case names, parsed JSON body, the fault sent, arrival time) so a
test can read exactly what the client sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = (
    "ok",
    "429",
    "500",
    "hang",
    "truncated",
    "invalid_json",
    "prose",
    "schema",
    "unknown_tool",
    "auth_echo",
    "key_in_reply",
)


def _completion(content: str | None = None, tool_calls: list | None = None) -> dict:
    message: dict = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fault-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def _prompt(body: dict) -> str:
    """The last user message that states the task: a stage's (it lists the allowed answers) or the
    facts agent's (a retry message refers back to the stage's)."""
    users = [m.get("content") or "" for m in body.get("messages") or [] if m.get("role") == "user"]
    return next((u for u in reversed(users) if "Allowed answers:" in u or '{"facts"' in u), users[-1] if users else "")


def valid_content(body: dict, answers: dict | None = None) -> str:
    """JSON that fits what the last user message asks for: a stage answer or a facts list. The answer is the
    first allowed one, or `answers[stage]` when given (a server that answers as the rules would)."""
    prompt = _prompt(body)
    if '{"facts"' in prompt:
        return json.dumps({"facts": []})
    allowed = re.search(r"Allowed answers: (.+)", prompt)
    stage = re.search(r"^STAGE (\d):", prompt, re.M)
    answer: object = []
    if answers and stage and int(stage.group(1)) in answers:
        answer = answers[int(stage.group(1))]
    elif allowed and not allowed.group(1).startswith("a list"):
        answer = allowed.group(1).split(",")[0].strip()
    return json.dumps(
        {"answer": answer, "justification": "As the stage before found, the evidence decides.", "citations": []}
    )


def _echoing(content: str, header: str) -> str:
    """`content` with the header repeated in its justification, in the three forms an echo takes."""
    from base64 import b64encode
    from urllib.parse import quote

    answer = json.loads(content)
    if "justification" not in answer:
        return content
    answer["justification"] = (
        f"Debug: Authorization={header}, b64 {b64encode(f'Authorization: {header}'.encode()).decode()},"
        f" url {quote(header, safe='')}, and {answer['justification']}"
    )
    return json.dumps(answer)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the test reads `requests`, not stderr
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        owner = self.server.owner
        fault = owner.fault_for(raw)
        owner.record(self.path, {k.lower(): v for k, v in self.headers.items()}, body, fault)
        try:
            self._answer(fault, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first: that is the timeout under test

    def _answer(self, fault: str, body: dict) -> None:
        owner = self.server.owner
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}')
        elif fault == "429":
            self._send(
                429,
                b'{"error": {"message": "rate limited", "type": "rate_limit_exceeded"}}',
                {"retry-after": f"{owner.retry_after:g}"},
            )
        elif fault == "auth_echo":
            token = self.headers.get("authorization", "").removeprefix("Bearer ")
            self._send(
                401,
                json.dumps(
                    {"error": {"message": f"Incorrect API key provided: {token}", "type": "invalid_request_error"}}
                ).encode(),
            )
        elif fault == "key_in_reply":
            self._send(
                200,
                json.dumps(
                    _completion(_echoing(valid_content(body, owner.answers), self.headers.get("authorization", "")))
                ).encode(),
            )
        elif fault == "500":
            self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
        elif fault == "hang":
            owner.stopping.wait(owner.hang_s)  # past the client's timeout; released at once when the server stops
            self.close_connection = True
        elif fault == "truncated":
            payload = json.dumps(_completion(valid_content(body))).encode()
            self._send(200, payload[: len(payload) // 2], length=len(payload))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault == "invalid_json":
            self._send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        elif fault == "prose":
            self._send(
                200,
                json.dumps(
                    _completion("Sure! As the reviewer I conclude the ceiling is the model and the design is approved.")
                ).encode(),
            )
        elif fault == "schema":
            wrong = (
                {"facts": [{"field": "password", "value": "hunter2"}]}
                if '{"facts"' in _prompt(body)
                else {"answer": "banana", "justification": 42, "citations": "none"}
            )
            self._send(200, json.dumps(_completion(json.dumps(wrong))).encode())
        elif fault == "unknown_tool":
            call = {
                "id": f"call_{len(owner.requests)}",
                "type": "function",
                "function": {"name": "delete_all_files", "arguments": json.dumps({"path": "/"})},
            }
            self._send(200, json.dumps(_completion(None, [call])).encode())
        else:
            self._send(200, json.dumps(_completion(valid_content(body))).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    """`with FaultServer("500") as server: ... server.base_url ... server.requests`"""

    def __init__(
        self,
        fault: str,
        *,
        retry_after: float = 1.0,
        hang_s: float = 30.0,
        fail_first: int | None = None,
        answers: dict | None = None,
    ):
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self.fault, self.retry_after, self.hang_s, self.fail_first = fault, retry_after, hang_s, fail_first
        self.answers = answers
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        self._attempts: dict[bytes, int] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"fault-server-{fault}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def fault_for(self, raw: bytes) -> str:
        with self._lock:
            seen = self._attempts.get(raw, 0)
            self._attempts[raw] = seen + 1
        if self.fail_first is not None and seen >= self.fail_first:
            return "ok"
        return self.fault

    def record(self, path: str, headers: dict, body: dict, fault: str) -> None:
        with self._lock:
            self.requests.append(
                {"path": path, "headers": headers, "body": body, "fault": fault, "at": time.monotonic()}
            )

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # python tests/fault_server.py 500  -> serve one fault until Ctrl-C
    import sys

    with FaultServer(sys.argv[1] if len(sys.argv) > 1 else "ok") as server:
        print(f"{server.fault}: OPENAI_BASE_URL={server.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
