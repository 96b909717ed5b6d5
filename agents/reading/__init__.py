"""The reader: a description (or a what-if) -> SystemFacts, every value with its quote."""
