"""Start the chat server: warm the reviewer, build the Gradio app, serve until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

WARM_UP = "A service answers 1,000 requests per second within a 50 ms p99 budget, calling 3 backends at 1 ms each."


def serve(host: str, port: int, data: Path | None, llm, max_loops: int, machine, on_ready=print) -> None:
    from ceiling.graph import chat, workflow
    from ceiling.graph.threads import Threads

    # One throwaway rule review loads pint, the embedding model and the graph before the first user waits.
    workflow.run(WARM_UP, machine=machine)
    threads = Threads(data, llm=llm, max_loops=max_loops, machine=machine)
    demo = chat.build(threads)
    demo.queue(default_concurrency_limit=8)
    demo.launch(server_name=host, server_port=port, allowed_paths=[str(threads.folder)], prevent_thread_lock=True, quiet=True)
    on_ready(f"http://{host}:{port}")
    try:
        demo.block_thread()
    finally:
        demo.close()
