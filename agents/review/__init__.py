"""The review around the stages: the critic's loop, the strongest alternative, the writer, diffs, questions."""
