"""How real text writes numbers: each mechanism of the reader tried on phrasings written for these
tests (none comes from an eval case). A row is (text, field, value read, relative tolerance); None
means the text states no such quantity and nothing may be read for it."""

from __future__ import annotations

import pytest

from ceiling.agents.reading.facts import extract, split_sentences

B, GB = 1e9, 1e9

MODEL_NAMES = [
    ("Our assistant runs Mixtral-8x7B behind a small gateway.", "model_params", 56 * B, 0.0),
    ("Inference uses a Qwen2.5-72B deployment in one region.", "model_params", 72 * B, 0.0),
    ("Summaries come from T5-11B, fine-tuned on our tickets.", "model_params", 11 * B, 0.0),
    ("Params: 34B", "model_params", 34 * B, 0.0),
    ("We fine-tune Llama-3.1-405B-Instruct on internal data.", "model_params", 405 * B, 0.0),
    ("The ranker is a Gemma 3 model served on H100s.", "model_params", None, 0.0),
    ("Qwen2.5 answers questions; T5 does the summaries.", "model_params", None, 0.0),
    ("Requests go to GPT-4 through the vendor API.", "model_params", None, 0.0),
]

FLEETS = [
    ("Training runs on 48 A100s across six servers.", "workers", 48, 0.0),
    ("The cluster is 12 nodes x 4 L40S.", "workers", 48, 0.0),
    ("We rent 4 nodes of 8xH200 141GB for the run.", "workers", 32, 0.0),
    ("We rent 4 nodes of 8xH200 141GB for the run.", "gpu_memory", 141 * GB, 0.0),
    ("Two MI300Xx192GB boxes host the model.", "gpu_memory", 192 * GB, 0.0),
    ("The job uses 16 servers, each with 8 H100 GPUs.", "workers", 128, 0.0),
    ("Fleet: 4x g5.12xlarge (4 A10G 24GB each).", "workers", 16, 0.0),
    ("We serve from 2 p4d.24xlarge (8 A100 40GB each).", "devices_per_node", 8, 0.0),
    ("Ten n1-standard-8 VMs (each with 2 T4 GPUs) run the batch.", "workers", 20, 0.0),
    ("Serving sits on 8 nodes; each node has 8 A100 80GB cards.", "workers", 64, 0.0),
    ("Serving sits on 8 nodes; each node has 8 A100 80GB cards.", "gpu_memory", 80 * GB, 0.0),
    ("An H100 node hosts the index.", "workers", None, 0.0),
]

RANGES = [
    ("We train models from 1.3B up to 66B parameters.", "model_params", 66 * B, 0.0),
    ("The 8B, 34B and 120B variants are served side by side.", "model_params", 120 * B, 0.0),
    ("Model sizes range between 7B and 13B parameters.", "model_params", 13 * B, 0.0),
]

NOT_QUANTITIES = [
    ("As in MapReduce (Dean and Ghemawat, 2004), workers read their own splits.", "workers", None, 0.0),
    ("Since 2021 the service has grown every quarter.", "request_rate", None, 0.0),
    ("We upgraded to v3.1 of the scheduler last month.", "workers", None, 0.0),
    ("Section 4.2 describes the 3 stages of the pipeline.", "workers", None, 0.0),
    ("Capacity costs $3.50 per GPU-hour on demand.", "workers", None, 0.0),
    ("The rollout finished on 2024-05-14 without incident.", "workers", None, 0.0),
]

RATES = [
    ("We see 2 million requests a day, peaking at 900 a second.", "request_rate", 900, 0.0),
    ("About 86,400 queries per day arrive at a steady pace.", "request_rate", 1, 0.0),
]

MEASURED = [
    ("In our benchmark we observed a 1.2 s median latency.", "slo", None, 0.0),
    ("The p99 latency target is 300 ms; we measured 180 ms in staging.", "slo", 300, 0.0),
]

TABLES = [
    (
        "| Quantity | Value |\n|---|---|\n| Peak load | 1,200 req/s |\n| Latency budget | 150 ms |",
        "request_rate",
        1200,
        0.0,
    ),
    ("| Quantity | Value |\n|---|---|\n| Peak load | 1,200 req/s |\n| Latency budget | 150 ms |", "slo", 150, 0.0),
    ("| Model | GPUs | Memory per GPU |\n|---|---|---|\n| ranker-v2 | 64 | 80 GB |", "workers", 64, 0.0),
    ("| Model | GPUs | Memory per GPU |\n|---|---|---|\n| ranker-v2 | 64 | 80 GB |", "gpu_memory", 80 * GB, 0.0),
    ("- Peak traffic: 3,000 requests per second\n- Latency SLO: 50 ms at p99", "request_rate", 3000, 0.0),
    ("- Peak traffic: 3,000 requests per second\n- Latency SLO: 50 ms at p99", "slo", 50, 0.0),
]

SCOPES = [
    (
        "## Goals\nServe 500 requests per second.\n\n## Non-goals\nScaling to 50,000 requests per second.",
        "request_rate",
        500,
        0.0,
    ),
    (
        "## Design\nA ranker on 4 GPUs.\n\n## Alternatives considered\nA 256-GPU cluster was rejected as too costly.",
        "workers",
        4,
        0.0,
    ),
]

DAY, WEEK = 86400, 7 * 86400
# Rates written with an adverb or a week, a peak whose unit is left unsaid, a count whose noun sits a few words on,
# roles listed instead of counted.
SAID_IN_PASSING = [
    ("The help bot answers 2M questions daily.", "request_rate", 2e6 / DAY, 1e-9),
    ("About 5M messages a week reach the triage model.", "request_rate", 5e6 / WEEK, 1e-9),
    ("Support sees 40K tickets daily on average and a peak of 90K.", "request_rate", 9e4 / DAY, 1e-9),
    ("Traffic is 2,000 requests per second, peaking at 5,000 during sales.", "request_rate", 5000, 0.0),
    ("HR runs the classifier over about 3,000 survey answers once a week.", "request_rate", None, 0.0),
    ("Doctors query the model a few dozen times a day.", "request_rate", 36 / DAY, 1e-9),
    ("The four EU national research laboratories keep their scans on site.", "parties", 4, 0.0),
    (
        "The studio runs LLM agents with distinct roles, such as director, writer, critic and editor.",
        "agents",
        4,
        0.0,
    ),
]

# A model's name and version before its size ("Llama 3.1 405B"), the version never a count nor joined to the size
# ("3 405B" is no 3,405B); a name cased like one ("OPT 66B"); a capitalised word or a year is no model's name.
NAMES_WITH_VERSIONS = [
    ("We serve Llama 3.1 405B on 16 nodes.", "model_params", 405 * B, 0.0),
    ("We serve Llama 3 405B on 16 nodes.", "model_params", 405 * B, 0.0),
    ("A Qwen 2 72B deployment answers support tickets.", "model_params", 72 * B, 0.0),
    ("Gemma 3 27B runs on 4 L4 GPUs.", "workers", 4, 0.0),
    ("The team fine-tunes OPT 66B nightly.", "model_params", 66 * B, 0.0),
    ("Today 5B requests arrive every month.", "model_params", None, 0.0),
    ("In 2023 7B tokens were processed.", "model_params", None, 0.0),
]
# A size in brackets after a model's name ("Llama 3.1 (up to 405B)"), a model's size said in bytes with "models".
SIZES_IN_BRACKETS = [
    ("Answers come from **Qwen 2** (72B) or **Gemma** (27B), whichever is free.", "model_params", 72 * B, 0.0),
    ("We host Mistral (up to 123B) for the legal team.", "model_params", 123 * B, 0.0),
    ("Our ranking models are about 4 terabytes in size.", "model_params", 2e12, 0.0),
    ("The meeting (2B) room is booked.", "model_params", None, 0.0),
]
# A batch's size is no batch job; machines run by whoever joins, with nobody over them, allow no single coordinator.
MODES_AND_PEERS = [
    ("Single-batch decoding reaches 9 tokens/s, fast enough for a chat assistant.", "arrival", "request", 0.0),
    ("The trainer uses mini-batches of 512 examples every night.", "arrival", "bounded", 0.0),
    ("Inference runs on a volunteer swarm of gaming PCs.", "spof_ok", False, 0.0),
    ("The model is served peer-to-peer by the users' own laptops.", "spof_ok", False, 0.0),
    ("GPUs use peer-to-peer transfers over NVLink inside each node.", "spof_ok", None, 0.0),
    ("Volunteers answer questions on the community-run forum.", "spof_ok", None, 0.0),
]
# A node written as "NxDEVICE" holds N devices; a run or a scale is sized by its model, a dataset named by its size is
# no model; "a large number of" is an amount, said so; a simulation runs as a batch.
HELD_OUT_SHAPES = [
    ("Pretraining fits on a single 8xH100 80GB node.", "workers", 8, 0.0),
    ("We rent 3 8XA100 40GB servers for the fine-tune.", "workers", 24, 0.0),
    ("The 70B training run restarts after every hardware fault.", "model_params", 70 * B, 0.0),
    ("Ablations stop at 1B; evaluation runs at full 13B scale.", "model_params", 13 * B, 0.0),
    ("Filtering code for the Pile-800B corpus lives in a branch.", "model_params", None, 0.0),
    ("The game pits a large number of agents against each other.", "agents", 100, 0.0),
    ("The simulation replays a day of shoppers through the pricing agent.", "arrival", "bounded", 0.0),
]
# Octets, as French writers spell bytes, glued to their number; a word "Go" or "To" after a number is no unit.
OCTETS = [
    ("The vector index takes 600Go on disk.", "data_size", 600e9, 0.0),
    ("The run uses 16xA100(40Go on GCP).", "gpu_memory", 40e9, 0.0),
    ("Step 3 Go to the console and restart the job.", "data_size", None, 0.0),
    ("Load 5 To 10 files per worker.", "data_size", None, 0.0),
]
# A request's two lengths said as directions ("3k tokens in, ~250 out"), the second with "tokens" left unsaid.
DIRECTIONS = [
    ("Each call is about 1,200 tokens in and 300 out.", "prompt_tokens", 1200, 0.0),
    ("Each call is about 1,200 tokens in and 300 out.", "output_tokens", 300, 0.0),
    ("Budget roughly 4k tokens in, 150 out, per ticket.", "output_tokens", 150, 0.0),
    ("The model reads 800 tokens in parallel batches.", "prompt_tokens", None, 0.0),
]
# Data said to stay with its owners, a word between ("raw recordings stay on each handset"); data kept in a store
# of the operator's own is no owner's.
STAYS_WITH_OWNERS = [
    ("Raw recordings stay on each handset; only gradients travel.", "share_data", False, 0.0),
    ("Patient scans remain in each hospital.", "share_data", False, 0.0),
    ("Our logs stay in S3 for a year.", "share_data", None, 0.0),
    ("The raw cache stays in memory for speed.", "share_data", None, 0.0),
]
# A store sized in bits is sized in bytes ("7.68 Tb of memory"; a link's Gb/s stays bits); "in a week" is one week;
# a fleet "using N" of its devices runs N.
TYPED_LOOSELY = [
    ("The vectors need about 6 Tb of memory.", "data_size", 6e12, 0.0),
    ("Each round sends 2 Gb of updates.", "data_size", 0.25e9, 0.0),
    ("The crawl must be downloaded in a week.", "deadline", 7 * 86400, 0.0),
    ("The job runs once a week.", "deadline", None, 0.0),
    ("We own 96 H100 GPUs, using 64 GPUs for the run and keeping the rest spare.", "workers", 64, 0.0),
    ("We have 16 A100 GPUs using 2 NVLink bridges.", "workers", 16, 0.0),
]
# Multi-agent designs as people write them: a reply "inside 20 seconds" is the budget, one call of a remote model is a
# hop of seconds, "4-6 agent turns" are the sequential hops (the largest carried); data that "never leaves the
# device" stays with its owner.
AGENTS_AND_OWNERS = [
    ("Users expect an answer inside 15 seconds.", "slo", 15000, 0.0),
    ("Each agent turn is one LLM call of about 2.5 s per call.", "hop_latency", 2500, 0.0),
    ("A case takes 3-5 agent turns before the reply.", "fanout", 5, 0.0),
    ("Voice clips never leave the phone; only gradients are uploaded.", "share_data", False, 0.0),
    ("Call 555-1234 for the on-call engineer.", "fanout", None, 0.0),
    ("Both agents are GPT-4o-mini calls.", "fanout", None, 0.0),  # the "4" of a model's name is no count
    ("Each reply goes through the gateway (~0.9 s median per call, p99 2 s).", "slo", None, 0.0),
    ("Each reply goes through the gateway (~0.9 s median per call, p99 2 s).", "hop_latency", 900, 0.0),
]
# A ranker of LLM size is no LLM: it scores candidates, no tokens decoded (set only where it changes the arithmetic).
RANKERS = [
    ("The DLRM ranker has 1.6 trillion parameters in its embedding tables.", "recommender", True, 0.0),
    ("A small ranking model (about 50M parameters) scores the results.", "recommender", None, 0.0),
    ("We serve a 70B chat model to 2,000 users.", "recommender", None, 0.0),
]
# A job's window between two times of day is its deadline, past midnight too; two plain numbers are no clock.
WINDOWS_OF_DAY = [
    ("Window: the refresh must finish between 01:00 and 06:00.", "deadline", 5 * 3600, 0.0),
    ("The batch job runs from 10pm to 4am.", "deadline", 6 * 3600, 0.0),
    ("Scores of the batch go between 2 and 4.", "deadline", None, 0.0),
    ("Support is open from 9:00 to 17:00 on weekdays.", "deadline", None, 0.0),
    ("A full retraining run lasts roughly 6 days.", "deadline", 6 * 86400, 0.0),
    ("The outage lasted 3 hours last week.", "deadline", None, 0.0),
    ("We retrain on the last 30 days of clicks.", "deadline", None, 0.0),
]
# A count names what it counts in its own phrase: markdown marks are no words, a noun after a clause break is not
# the count's, "three types of X" counts types, and a list of numbers shares its noun.
OWN_PHRASE = [
    ("The job reads **20000** `files`, on a cluster of **64** `workers`.", "workers", 64, 0.0),
    ("The batch handles 5000 images, on 8 machines.", "workers", 8, 0.0),
    ("There are four kinds of serving replicas.", "workers", None, 0.0),
    ("The service has two tiers of cache servers.", "workers", None, 0.0),
    ("Each `task` processes a `shard` of the data.", "stated_ceiling", "data", 0.0),
    ("We benchmark 7B and 13B models.", "model_params", 13 * B, 0.0),
    ("The job runs on 2 or 3 nodes.", "workers", 3, 0.0),
    ("The portal serves 300 users at once.", "concurrent_users", 300, 0.0),
]
# Agents who are people ("our support agents", "human agents") are no reasoning agents; people "online" at once are
# concurrency, whether named ("3,000 users online") or pointed to ("about 250 of them online").
PEOPLE_AND_AGENTS = [
    ("The bot drafts replies for our 120 support agents to approve.", "agents", None, 0.0),
    ("Escalations go to 15 human agents on the night shift.", "agents", None, 0.0),
    ("Escalations go to 15 human agents on the night shift.", "concurrent_users", None, 0.0),
    ("A crew of 6 LLM agents plans each trip.", "agents", 6, 0.0),
    ("Our call-center staff, about 400 of them online on weekdays, use the assistant.", "concurrent_users", 400, 0.0),
    ("At peak there are 2,500 users online in the editor.", "concurrent_users", 2500, 0.0),
    ("We ship 40 online courses a year.", "concurrent_users", None, 0.0),
    # a short verb phrase between the people and "at the same time"
    ("~400 people use it at the same time during the day.", "concurrent_users", 400, 0.0),
    ("About 90 analysts query the cluster concurrently at month end.", "concurrent_users", 90, 0.0),
    ("12 engineers review it at the end of the week.", "concurrent_users", None, 0.0),
]
# A model named by its role ("our 70B assistant"); "new tokens" by the trillion are a corpus, not a reply's length.
ROLES_AND_CORPORA = [
    ("Every night we continue-pretraining our 70B assistant on new data.", "model_params", 70e9, 0.0),
    ("A 13B chatbot answers the help desk.", "model_params", 13e9, 0.0),
    ("We run 40 bots against the staging site.", "model_params", None, 0.0),
    ("We train on the day's 1T new tokens.", "tokens", 1e12, 0.0),
    ("Each reply is about 300 new tokens.", "output_tokens", 300, 0.0),
]
# How long a federated round may take, said as people plan rounds; a checkpoint's period is no round's.
ROUNDS = [
    ("Each hospital has a 1 Gb/s link, and we want a new global model every ten minutes.", "round_period", 600, 0.0),
    ("Each round must finish within 2 minutes.", "round_period", 120, 0.0),
    ("Each round must finish within 2 minutes.", "slo", None, 0.0),
    ("The aggregator runs a round every 30 minutes.", "round_period", 1800, 0.0),
    ("We checkpoint every 30 minutes.", "round_period", None, 0.0),
    ("The gateway takes 1.5 s a round trip.", "round_period", None, 0.0),  # a round trip is no round
    ("The round-robin balancer re-routes in 2 s.", "round_period", None, 0.0),
]
# A distributive "each" right before a time is one call's latency, not the budget said after it.
EACH_BEFORE = [
    ("The search API makes 40 calls to the store, each about 2 ms, under a 50 ms p99 budget.", "hop_latency", 2, 0.0),
    ("The search API makes 40 calls to the store, each about 2 ms, under a 50 ms p99 budget.", "slo", 50, 0.0),
    (
        "Agents call the LLM 6 times, each taking about 1.2 s; the user expects a reply in 20 s.",
        "hop_latency",
        1200,
        0.0,
    ),
    ("We have 3 replicas, each at 40 ms p99.", "slo", 40, 0.0),
    ("Each request must be answered within 50 ms.", "hop_latency", None, 0.0),
]
# A vocabulary is the tokens a model knows: no request length and no training data.
VOCABULARIES = [
    ("- **Vocabulary size**: 131,072 tokens", "tokens", None, 0.0),
    ("Llama 3 uses a 128k-token vocabulary and was pretrained on 15T tokens.", "tokens", 15e12, 0.0),
    ("The tokenizer's vocab of 50,257 tokens is GPT-2's; prompts are 900 tokens.", "prompt_tokens", 900, 0.0),
]
# A device's memory bandwidth is no link between machines; a rate per device is no count of devices; a count of
# GPUs stated plainly beats a smaller fleet named in a benchmark's sentence.
DEVICE_SPECS = [
    ("Each B200 has 8 TB/s of HBM3e memory bandwidth; nodes talk over 400 Gb/s InfiniBand.", "bandwidth", 50 * GB, 0.0),
    ("HBM bandwidth is 3.35 TB/s per card.", "bandwidth", None, 0.0),
    ("| Setup | Tokens/s/GPU |\n|---|---|\n| baseline | 4,100 |", "workers", None, 0.0),
    ("Throughput per GPU: 5,000 tokens per second.", "workers", None, 0.0),
    (
        "The 7B run on 16 or 64 A100 GPUs reached 41% MFU. The production job uses 1,024 GPUs.",
        "workers",
        1024,
        0.0,
    ),
]

ROWS = (
    MODEL_NAMES
    + ROLES_AND_CORPORA
    + ROUNDS
    + EACH_BEFORE
    + VOCABULARIES
    + FLEETS
    + RANGES
    + NOT_QUANTITIES
    + RATES
    + MEASURED
    + TABLES
    + SCOPES
    + SAID_IN_PASSING
    + NAMES_WITH_VERSIONS
    + OWN_PHRASE
    + DEVICE_SPECS
    + SIZES_IN_BRACKETS
    + MODES_AND_PEERS
    + HELD_OUT_SHAPES
    + OCTETS
    + DIRECTIONS
    + WINDOWS_OF_DAY
    + STAYS_WITH_OWNERS
    + TYPED_LOOSELY
    + AGENTS_AND_OWNERS
    + RANKERS
    + PEOPLE_AND_AGENTS
)

# What one machine takes (a load test, a benchmark, "each server handles") is its capacity, never the load.
ONE_MACHINE_TAKES = [
    ("In a benchmark one node served 1,200 requests per second; the API sees 300 req/s.", "machine_rate", 1200, 0),
    ("In a benchmark one node served 1,200 requests per second; the API sees 300 req/s.", "request_rate", 300, 0),
    ("Each API server handles about 2k QPS and we peak at 9k QPS.", "machine_rate", 2000, 0),
    ("Each API server handles about 2k QPS and we peak at 9k QPS.", "request_rate", 9000, 0),
    ("stress-testing one m6i.4xlarge got ~850 scores/s", "machine_rate", 850, 0),
    ("stress-testing one m6i.4xlarge got ~850 scores/s", "request_rate", None, 0),
    ("A single replica tops out at 300 to 400 req/s in our load tests.", "machine_rate", 400, 0),
    ("Last year the cluster topped out at 410 qps on Black Friday.", "request_rate", 410, 0),
    ("Last year the cluster topped out at 410 qps on Black Friday.", "machine_rate", None, 0),
]
# A latency that was measured, or that matters to no one, is no budget; what people will wait is one.
BUDGETS_IN_WORDS = [
    ("loadtest on one box: ~4k req/s with p99 7ms; the SLO is 30 ms.", "slo", 30, 0),
    ("Keep p99 under 40 ms; nobody will notice 10 ms either way.", "slo", 40, 0),
    ("Agents serve field techs, who'll wait 8-10 s for a plan at most.", "slo", 10_000, 0),
    ("Our model answers support tickets; agents won't wait more than 4 seconds.", "slo", 4_000, 0),
    ("The model serves requests, and radiologists are willing to wait 40 seconds for a read.", "slo", 40_000, 0),
]
COST_DECLARED = [
    ("The assistant answers in 300 ms; what really keeps us up at night is the GPU bill.", "cost_focus", True, 0),
    ("The assistant answers in 300 ms; what we measure is p99 latency.", "cost_focus", None, 0),
]
# One item's rate times the count of those items, stated in another sentence, is the load; a total stays a total.
ITEMS_TIMES_RATE = [
    ("Our fleet is 12,000 delivery vans. Each van reports ~2 events/s to the tracker.", "request_rate", 24_000, 0),
    ("Each camera streams 30 frames/s to the detector; the site has 400 cameras.", "request_rate", 12_000, 0),
    ("We have 2k hosts. Each host emits 300 lines/s, and 3x that (~900 lines/s) at peak.", "request_rate", 1.8e6, 0),
    ("Each sensor sends 1 reading per second to the model.", "request_rate", None, 0),
    ("Each agent call generates 400 tokens, i.e. about 80,000 tokens per second overall.", "token_rate", 80_000, 0),
]
# A size that "fits" in a device is what fits, not the device's memory.
WHAT_FITS = [
    ("The 7B model in bf16 is 14 GB and fits easily on one A100 40GB.", "gpu_memory", 40 * GB, 0),
    ("Its weights are 140 GB, which fits on two H100s.", "gpu_memory", 80 * GB, 0),  # the H100s named, not 140 GB
    ("Each L40S card has 48 GB of VRAM for the ranker.", "gpu_memory", 48 * GB, 0),
]
# Compute plans: a compute rate, a per-parameter ratio, a step's compute, powers of ten typed tight, a node's MTBF.
COMPUTE_PLANS = [
    ("A 7B model trains on 64 H100s at 989 TFLOP/s peak each.", "request_rate", None, 0),
    ("A 7B model trains on 64 H100s; Adam state is 16 bytes/param.", "gpu_memory", 80 * GB, 0),
    ("Training a 3B model on 128 GPUs: each step is ~0.9 s of compute per step.", "service_time", None, 0),
    ("We pretrain a 3B model on 2.1×10^12 tokens over 128 GPUs.", "tokens", 2.1e12, 0),
    ("A 7B run on 16 nodes of 8x H100 80GB; we see one hard interruption per node every 30 days.", "mtbf", 5760, 0),
    ("A 7B run on 16 nodes of 8x H100 80GB; each GPU fails about once every 40,000 hours.", "mtbf", 40_000, 0),
    ("The job runs on a node of 8x A100 80GB, and each GPU fails about once every 30,000 hours.", "mtbf", 30_000, 0),
]
# Fractions of a scale said in words; a size "in total" too large for any model's weights is the data.
WORDS_AND_TOTALS = [
    ("Half a million shoppers use the recommender at the same time.", "concurrent_users", 500_000, 0),
    ("A quarter of a million people are online at once during the final.", "concurrent_users", 250_000, 0),
    ("The catalogue has one and a half million items; search must answer within 200 ms.", "slo", 200, 0),
    ("Each of 30 labs holds about 8 TB, so something like 240 TB in total.", "data_size", 240e12, 0),
]
ROWS += ONE_MACHINE_TAKES + BUDGETS_IN_WORDS + COST_DECLARED + ITEMS_TIMES_RATE
# A federated round's own work and how many rounds a window holds.
ROUNDS = [
    ("Six labs join; a round of local training lasts roughly 25 minutes on each lab's GPU.", "round_compute", 1500, 0),
    ("Six labs join; a round of local training lasts roughly 25 minutes on each lab's GPU.", "round_period", None, 0),
    ("We need 30 federated rounds every weekend.", "rounds", 30, 0),
    ("Each round must finish within 10 minutes.", "round_period", 600, 0),
]
# Agent chains: a call's own time said after it, an italic word inside a range, a rate range's low end.
CHAINS = [
    (
        "An answer takes 3 chained LLM calls, measured at 900 ms per call end to end; users wait up to 8 s.",
        "hop_latency",
        900,
        0,
    ),
    (
        "An answer takes 3 chained LLM calls, measured at 900 ms per call end to end; users wait up to 8 s.",
        "slo",
        8000,
        0,
    ),
    ("Each request makes 3–4 *sequential* feature lookups of 2 ms each.", "fanout", 4, 0),
    ("One node sustains 40–50 agent turns/s in our load tests.", "fanout", None, 0),
    ("One node sustains 40–50 agent turns/s in our load tests.", "machine_rate", 50, 0),
]
# One item's rate said after it ("per viewer"), times the items served at once; a device named sustains a capacity.
PER_ITEM_AFTER = [
    ("Our model scores clips: 40k concurrent viewers, 1 frame per second per viewer.", "request_rate", 40_000, 0),
    (
        "About 8k users are online at once; each sends ~2 requests per minute per user.",
        "request_rate",
        8000 * 2 / 60,
        1e-6,
    ),
    ("One A10G sustains about 900 images/s at batch 16 for the classifier.", "machine_rate", 900, 0),
    ("One A10G sustains about 900 images/s at batch 16 for the classifier.", "request_rate", None, 0),
    # a machine's noun inside a compound is none ("card-fraud"): the service's rate is the load
    ("A card-fraud scoring API serves 12,000 transactions per second.", "request_rate", 12_000, 0),
]
ROWS += WHAT_FITS + COMPUTE_PLANS + WORDS_AND_TOTALS + ROUNDS + CHAINS + PER_ITEM_AFTER


@pytest.mark.parametrize(("text", "field", "value", "tol"), ROWS, ids=[f"{r[1]}:{r[0][:48]}" for r in ROWS])
def test_the_reader_reads_what_the_text_states(text, field, value, tol):
    fact = getattr(extract(text), field)
    got = fact.value if fact.known else None
    if value is None:
        assert got is None, f"read {got!r} from {fact.quote!r}"
    elif isinstance(value, (str, bool)):
        assert got == value, f"read {got!r} from {fact.quote!r}"
    else:
        assert got is not None and abs(got - value) <= tol * value + 1e-9, f"read {got!r} from {fact.quote!r}"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("We shard the index, e.g. by tenant. Each shard has 3 replicas.", 2),
        ("Latency is low (approx. 20 ms) vs. the old system. It runs nightly.", 2),
        ("The planner, i.e. the\ncoordinator, assigns\nwork to 5 agents.", 1),
        ("- first bullet\n- second bullet\n- third bullet", 3),
    ],
)
def test_sentences_split_at_sentence_ends_not_at_abbreviations(text, count):
    assert len(split_sentences(text)) == count, split_sentences(text)


def test_a_unit_that_ends_a_sentence_still_ends_it():
    assert len(split_sentences("The budget is 20 ms. The queue holds 5 jobs.")) == 2


def test_a_table_row_is_read_beside_its_headers_and_an_out_of_scope_section_is_listed_not_read():
    text = (
        "## Serving\n| Tier | Replicas | p99 budget |\n|---|---|---|\n| online | 12 | 40 ms |\n\n"
        "## Rejected alternatives\nA single 2 TB machine was considered.\n\n## Rollout\nWe start in one region."
    )
    facts = extract(text)
    assert facts.workers.value == 12 and facts.slo.value == 40
    assert facts.data_size.value is None
    assert len(facts.set_aside) == 1 and facts.set_aside[0].startswith('(under "Rejected alternatives"')
    assert "2 TB" in facts.set_aside[0]


def test_a_range_names_its_largest_value_and_says_so():
    fact = extract("The corpus is between 10 TB and 40 TB depending on the crawl.").data_size
    assert fact.value == 40e12 and "the largest" in fact.assumption


@pytest.mark.parametrize(
    ("text", "workers", "per_node"),
    [
        ("The service runs on 6 hosts. Each host has 4 L4 GPUs.", 24, 4),
        ("We use 20 machines with 8 GPUs per machine.", 160, 8),
        ("Replicas are spread out; each server has 8 H200 GPUs.", None, 8),
    ],
)
def test_nodes_and_the_devices_of_each_make_the_fleet(text, workers, per_node):
    facts = extract(text)
    assert facts.workers.value == workers and facts.devices_per_node.value == per_node


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("# Falcon-40B fine-tuning notes", "model_params", 40e9),
        ("We evaluate OPT-66B against the baseline.", "model_params", 66e9),
        ("Benchmarks span from 16 GPUs to 1,024 GPUs.", "workers", 1024),
        ("The job scales from 4 to 64 nodes.", "workers", 64),
        ("Host memory: 2 TB per node; the dataset is 300 GB.", "data_size", 300e9),
    ],
)
def test_names_ranges_of_counts_and_per_node_memory(text, field, value):
    assert getattr(extract(text), field).value == value


def test_two_counts_of_different_things_are_not_a_range():
    facts = extract("The ranker runs on 4 nodes and 16 GPUs serve the embeddings.")
    assert facts.workers.value in (4, 16) and "range" not in (facts.workers.assumption or "")


@pytest.mark.parametrize(
    ("text", "arrival"),
    [
        ("The curation job reads the 20 TB dataset once, with streaming execution across the cluster.", "bounded"),
        ("Events stream in from 40,000 sensors and are scored as they arrive.", "feed"),
    ],
)
def test_streaming_as_a_way_of_running_a_job_is_not_a_feed(text, arrival):
    assert extract(text).arrival.value == arrival


@pytest.mark.parametrize(
    ("text", "workers", "per_node", "memory"),
    [
        ("Benchmarks ran on cloud instances, each with 8 40GB NVIDIA A100s.", None, 8, 40e9),
        ("| Provider | GPUs |\n|---|---|\n| cloud-x | 8 x A100 (40GB) |", 8, None, 40e9),
        ("Pre-training used 512 V100 GPUs (32 NVIDIA DGX-2 nodes).", 512, 16, 32e9),
    ],
)
def test_more_ways_to_write_a_fleet(text, workers, per_node, memory):
    facts = extract(text)
    assert (facts.workers.value, facts.devices_per_node.value, facts.gpu_memory.value) == (workers, per_node, memory)


def test_a_code_block_is_set_aside_with_its_reason_and_its_numbers_are_not_read():
    text = "Serving runs on 6 replicas.\n\n```bash\ntorchrun --nproc_per_node 64 train.py --epochs 90\n```\n"
    facts = extract(text)
    assert facts.workers.value == 6
    assert facts.set_aside == [
        "(a code block: not read as the design) torchrun --nproc_per_node 64 train.py --epochs 90"
    ]


def test_a_numbered_list_marker_and_a_time_of_day_are_no_quantities():
    facts = extract("1. The job starts at 11:30 pm and must finish by 6am.\n2. It reads 4 TB of logs.")
    assert facts.data_size.value == 4e12
    assert facts.unread_numbers == []


def test_the_first_number_of_a_percentage_range_is_a_percentage():
    facts = extract("Utilisation rises from 41% to 47-48% as the cluster grows to 96 nodes.")
    assert facts.workers.value == 96 and facts.unread_numbers == []


def test_named_accelerators_are_the_fleet_beside_a_larger_count_of_cpu_machines():
    facts = extract("The cluster has 64 V100 GPUs for the dense part and 100 CPU instances for the embeddings.")
    assert facts.workers.value == 64


def test_a_chat_message_in_lower_case_splits_into_sentences_and_keeps_its_abbreviations():
    text = "plan is 2 nodes of 8x H100 for now. traffic peaks around 45 req/s, e.g. during EU mornings. ok?"
    assert split_sentences(text) == [
        "plan is 2 nodes of 8x H100 for now.",
        "traffic peaks around 45 req/s, e.g. during EU mornings.",
        "ok?",
    ]


def test_a_number_with_no_time_unit_does_not_make_a_rate_read_elsewhere_an_assumption():
    facts = extract("we stuff the last 10 messages of the thread into the prompt. traffic peaks around 45 req/s.")
    assert facts.request_rate.value == 45 and not facts.request_rate.assumed
    alone = extract("we stuff the last 10 messages of the thread into the prompt.")
    assert alone.request_rate.value is None and "gives no time unit" in (alone.request_rate.assumption or "")
