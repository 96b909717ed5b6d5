"""Statements without numbers (prompts/statements.yaml), read with the project's embedding model:
paraphrases that are not among the prototypes fire, near misses on the same topic do not, and a
statement never replaces what the rules read."""

from __future__ import annotations

import pytest

from ceiling.agents.reading import statements
from ceiling.agents.reading.facts import extract

FIRES = [
    (
        "Each clinic keeps its patient data locally and only the model updates are sent to the central server for "
        "aggregation.",
        "data_stays_with_its_owners",
    ),
    ("Multiple specialised LLM agents talk to each other to write and test the code.", "many_reasoning_agents"),
    (
        "A crew of LLM-powered agents, each with its own role, pass messages to finish the user's request.",
        "many_reasoning_agents",
    ),
]
QUIET = [
    "A human agent in our support team picks up escalated tickets.",
    "We upload every user's photos to our servers and train the model there.",
    "The model fits on one GPU and answers in 40 ms.",
    "Our travel agent books the flights for the conference.",
]


@pytest.mark.parametrize(("sentence", "reading"), FIRES)
def test_a_paraphrase_of_a_statement_is_read(sentence, reading):
    assert sentence not in [p for r in statements.readings()[2] for p in r.prototypes]
    assert reading in [m.reading.name for m in statements.match([sentence])]


@pytest.mark.parametrize("sentence", QUIET)
def test_a_near_miss_on_the_same_topic_is_not(sentence):
    assert statements.match([sentence]) == []


def test_a_statement_is_quoted_with_its_similarity_and_never_replaces_a_number():
    text = "Multiple specialised LLM agents talk to each other to write and test the code. We run 12 agents."
    facts = extract(text)
    assert facts.agents.value == 12 and not facts.agents.assumed  # the number the text states
    assert facts.workload.value == "agents"
    words = extract("Multiple specialised LLM agents talk to each other to write and test the code.").agents
    assert words.value == 3 and words.assumed and "similar to" in words.assumption and words.quote


@pytest.mark.parametrize(
    ("sentence", "ceiling"),
    [
        ("Our product graph no longer fits in the memory of a single server.", "data"),
        ("No single machine can store the whole photo archive.", "data"),
        ("The checkpoint is too big for any one accelerator, so layers are spread over eight cards.", "model"),
        ("At launch the traffic will exceed what one serving host can handle.", "throughput"),
        ("The ranker fits on one GPU with room to spare.", None),
        ("We do not expect the load to exceed what a single server handles.", None),
        ("The archive is stored on one machine in the basement.", None),
        # the design's own spreading, said in words
        ("Our catalogue index is sharded across 40 storage nodes.", "data"),
        ("A gateway spreads incoming requests over a pool of inference replicas.", "throughput"),
        ("Layers are split across 8 GPUs with pipeline parallelism.", "model"),
        ("The weights are sharded across 16 H100s.", "model"),
        ("The ranker is replicated across 12 servers behind a balancer.", "throughput"),
        ("We could shard the index later if it grows.", None),
        ("Each request is routed to the nearest region.", None),
        ("The weights are loaded onto the GPU at start-up.", None),
        # parallelism named as a strategy, a store said to be distributed, work handed to many servers
        ("We train with tensor parallelism inside each node and pipeline parallelism across nodes.", "model"),
        ("Training uses FSDP over 64 GPUs.", "model"),
        ("The embedding tables are sharded; the MLPs are replicated.", "model"),
        ("Both data-parallel towers and model-parallel lookup tables are in the ranker.", "model"),
        ("We use distributed data parallel (DDP) on 16 GPUs.", "throughput"),
        ("This is a distributed on-disk index for billion-scale collections.", "data"),
        ("Each job processes a different shard of the input files.", "data"),
        ("The router takes client requests and dispatches them to the matching prefill and decode servers.",
         "throughput"),
        ("If the model is sharded across multiple accelerators, the shards sync via NCCL.", None),
        ("We never use tensor parallelism.", None),
        ("The previous vendor proposed a model-parallel cluster for this.", None),  # a design the text leaves
        ("A distributed team of five engineers owns the service.", None),
        ("Request volume doubled over the winter and the lone gateway became the bottleneck.", "throughput"),
        ("The bottleneck is the tokenizer, not the traffic.", None),
        # an architecture spread by its data, and work said to scale over machines with nothing named as outgrowing
        ("The warehouse is a shared-nothing MPP engine.", "data"),
        ("Query execution follows a massively parallel processing design.", "data"),
        ("The curation library uses Dask to scale out across multiple nodes.", "throughput"),
        ("Jobs scale to thousands of GPUs without code changes.", "throughput"),
        ("The dedup step could scale across a cluster later.", None),
        ("The labelling tool does not need to scale across multiple machines.", None),
        ("The web page scales to small screens.", None),
        ("The feature store would hardly fit into a single host's memory.", "data"),
        ("The ranker's embedding tables could barely fit on one GPU.", None),  # barely fits: it fits
        ("Its embedding tables will never fit on one GPU.", "model"),
    ],
)  # fmt: skip
def test_a_ceiling_stated_in_words_is_read_with_its_polarity(sentence, ceiling):
    assert extract(sentence).stated_ceiling.value == ceiling


@pytest.mark.parametrize(
    "text",
    [
        "We use federated learning: a coordinator and a number of clients, and the raw data stays on each client.",
        "Federated analytics across partner hospitals; patient records may not leave the hospitals.",
    ],
)
def test_owners_in_the_plural_with_no_count_are_at_least_two_parties_and_the_data_ceiling_binds(text):
    from ceiling.graph.workflow import run

    facts = extract(text)
    assert facts.share_data.value is False
    assert facts.parties.value == 2 and facts.parties.assumed and "at least 2 parties" in facts.parties.assumption
    review = run(text)["review"]
    assert review.ceiling == "data" and "data" in review.distribute


def test_a_counted_party_is_never_replaced_and_pooled_data_needs_no_parties():
    assert extract("Federated training over 12 hospitals; no patient data leaves a hospital.").parties.value == 12
    assert extract("Our clients upload their logs to one bucket for nightly training.").parties.value is None


def test_a_stated_ceiling_binds_as_stated_and_the_review_says_it_was_not_computed():
    from ceiling.graph.workflow import run

    review = run("A search service for our wiki. The index no longer fits in the RAM of a single server.")["review"]
    assert review.ceiling == "data" and "data" in review.distribute
    assert "as stated in the text, not computed" in review.stages[0]["justification"]


def test_many_reasoning_agents_distribute_intelligence_without_a_ceiling():
    from ceiling.graph.workflow import run

    review = run("A planner agent, a coder agent and a critic agent debate each pull request before it merges.")[
        "review"
    ]
    assert review.ceiling == "none" and review.distribute == ["intelligence"]
    assert review.feasible and not review.trace  # the critic accepts it: no loop, no contradiction to report


def test_a_description_off_every_topic_never_loads_the_embedding_model():
    """A sentence that uses none of a reading's topic words is not embedded: reading such a
    description in a fresh process imports neither onnxruntime nor the model."""
    import random
    import subprocess
    import sys

    rate = random.randint(1000, 10**6)  # a sentence the embedding cache has never seen
    code = (
        "import sys\n"
        "from ceiling.agents.reading.facts import extract\n"
        f"extract('We score card transactions at {rate} per second at peak, within 20 ms at p99.')\n"
        "print('onnxruntime' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


def test_a_batch_job_whose_processing_outgrows_one_machine_is_spread_by_its_data():
    """Section 1.2's mapping for a data job: a throughput ceiling on a batch pipeline distributes data (Part II,
    "shard + shuffle a >1-node corpus"), as one on training distributes training."""
    from ceiling.graph.workflow import run

    review = run(
        "A nightly batch job deduplicates and filters scanned contracts before they are archived. "
        "It uses Ray Data to scale out across multiple nodes."
    )["review"]
    assert review.ceiling == "throughput" and review.distribute[0] == "data" and "inference" not in review.distribute


def test_a_ceiling_stated_in_words_beside_the_computed_one_spreads_its_axis_too():
    from ceiling.graph.workflow import run

    review = run(
        "Our chat API serves a 30B mixture-of-experts model at 2,000 requests per second, "
        "using expert parallelism across the serving nodes."
    )["review"]
    assert review.ceiling == "throughput" and review.distribute[:2] == ["inference", "model"]
    assert "states a model ceiling in words" in review.stages[1]["justification"]
