"""Entry points: the CLI, the web chat and its threads, the servers, the engines they start."""
