"""How much of a stage's paragraph the model writes (a module of its own, light enough for the CLI's --help)."""

from enum import StrEnum


class Prose(StrEnum):
    # its decisive sentence, the rule agent's other sentences after it: the local 1.5B model (its paragraphs fail)
    sentence = "sentence"
    # the whole paragraph, from the rule agent's text and the chapter's passage: a strong endpoint
    paragraph = "paragraph"
