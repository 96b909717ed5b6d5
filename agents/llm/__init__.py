"""The LLM agents: the client (official openai SDK), the stage and facts agents, their tools and checks."""
