"""The six stage agents of Chapter 1.8's checklist, each a pure rule over the facts, and their citations."""
