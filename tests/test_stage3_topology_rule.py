"""Stage 3 truth table: which topology the axis and the trust boundaries allow.

Encodes Chapter 1.8, "1.8.1 The Checklist, Stage by Stage", Stage 3:
"A centralized topology (one coordinator, many workers) is simplest and is the right default when the
coordinator is not itself a bottleneck and a single trust domain is acceptable. A decentralized topology
(peers, no single coordinator) is forced when no party may hold all the data or when a single point of failure
is unacceptable, as in federated learning (Chapter 14). A hybrid topology, centralized within a region and
decentralized across regions, is what most large systems actually become. Pick the simplest topology the axis
and the trust boundaries allow."
And Stage 1: "If none binds, the correct design is a single machine, and the rest of this checklist is moot."
The fraud example: "the topology is centralized, a load balancer in front of stateless replicas, since there is
one trust domain and the balancer is not the bottleneck."

The chapter gives no axis-specific topology rule, so the boolean table is crossed with every axis list: the
answer must not change with the axis. An empty `distribute` list (no ceiling bound) has its own table.
"""

from __future__ import annotations

import pytest

from ceiling.agents.stages.topology_agent import choose

TOPOLOGIES = {"single-machine", "centralized", "decentralized", "hybrid"}

# Axis lists a Stage 2 answer can hand over; the chapter's rule must not depend on which.
DISTRIBUTE = [
    pytest.param(["inference", "coordination"], id="fraud-inference+coordination"),
    pytest.param(["inference"], id="inference"),
    pytest.param(["data"], id="data"),
    pytest.param(["training"], id="training"),
    pytest.param(["model"], id="model"),
    pytest.param(["intelligence"], id="intelligence"),
]

# (share_data, spof_ok, multi_region) -> topology, when at least one axis is distributed
DISTRIBUTED_ROWS = [
    # "centralized ... is the right default when ... a single trust domain is acceptable"; fraud example Stage 3
    pytest.param(True, True, False, "centralized", id="share-spofok-oneregion"),
    # "A hybrid topology, centralized within a region and decentralized across regions"
    pytest.param(True, True, True, "hybrid", id="share-spofok-multiregion"),
    # "A decentralized topology ... is forced when ... a single point of failure is unacceptable"
    pytest.param(True, False, False, "decentralized", id="share-nospof-oneregion"),
    # chapter silent: on SPOF-intolerant AND multi-region. "A hybrid topology, centralized within a region and
    # decentralized across regions, is what most large systems actually become": no region is a single point of
    # failure for the whole, and a region's coordinator fails over to the others (eval case multi_region_search)
    pytest.param(True, False, True, "hybrid", id="share-nospof-multiregion"),
    # "A decentralized topology ... is forced when no party may hold all the data ..., as in federated learning"
    pytest.param(False, True, False, "decentralized", id="noshare-spofok-oneregion"),
    # chapter silent: on no-sharing AND multi-region; "forced" still applies -- a regional coordinator would hold
    # every party's data in its region, which the trust boundary forbids
    pytest.param(False, True, True, "decentralized", id="noshare-spofok-multiregion"),
    # "forced when no party may hold all the data or when a single point of failure is unacceptable" (both hold)
    pytest.param(False, False, False, "decentralized", id="noshare-nospof-oneregion"),
    # "forced when no party may hold all the data or when a single point of failure is unacceptable" (both hold)
    pytest.param(False, False, True, "decentralized", id="noshare-nospof-multiregion"),
]

# (share_data, spof_ok, multi_region) -> topology, when nothing is distributed (no ceiling bound)
EMPTY_ROWS = [
    # "If none binds, the correct design is a single machine"
    pytest.param(True, True, False, "single-machine", id="share-spofok-oneregion"),
    # "If none binds, the correct design is a single machine" + "Distribution is forced by a ceiling, never chosen
    # for elegance" -- regions alone are no ceiling
    pytest.param(True, True, True, "single-machine", id="share-spofok-multiregion"),
    # chapter silent: Stage 1 ("single machine") vs Stage 3 ("forced when a single point of failure is
    # unacceptable"); with no ceiling, SPOF is a failure tax (a standby), not a reason to distribute
    pytest.param(True, False, False, "single-machine", id="share-nospof-oneregion"),
    # chapter silent: same conflict as above; regions add no ceiling, so still a single machine plus a standby
    pytest.param(True, False, True, "single-machine", id="share-nospof-multiregion"),
    # chapter silent: Stage 1 vs "forced when no party may hold all the data". Two or more parties that may not pool
    # their data are a binding data ceiling in stage 1, so nothing distributed means one owner ("the records may not
    # leave the hospital"): its one machine inside the owner's walls is what the boundary allows
    pytest.param(False, True, False, "single-machine", id="noshare-spofok-oneregion"),
    # chapter silent: as above
    pytest.param(False, True, True, "single-machine", id="noshare-spofok-multiregion"),
    # chapter silent: as above; with no ceiling, an unacceptable single point of failure is a standby (failure tax)
    pytest.param(False, False, False, "single-machine", id="noshare-nospof-oneregion"),
    # chapter silent: as above
    pytest.param(False, False, True, "single-machine", id="noshare-nospof-multiregion"),
]


@pytest.mark.parametrize("distribute", DISTRIBUTE)
@pytest.mark.parametrize(("share_data", "spof_ok", "multi_region", "expected"), DISTRIBUTED_ROWS)
def test_topology_when_distributed(
    distribute: list[str], share_data: bool, spof_ok: bool, multi_region: bool, expected: str
) -> None:
    topology, reason = choose(list(distribute), share_data, spof_ok, multi_region)
    assert topology in TOPOLOGIES
    assert isinstance(reason, str) and reason.strip()
    assert topology == expected


@pytest.mark.parametrize(("share_data", "spof_ok", "multi_region", "expected"), EMPTY_ROWS)
def test_topology_when_nothing_distributed(share_data: bool, spof_ok: bool, multi_region: bool, expected: str) -> None:
    topology, reason = choose([], share_data, spof_ok, multi_region)
    assert topology in TOPOLOGIES
    assert isinstance(reason, str) and reason.strip()
    assert topology == expected
