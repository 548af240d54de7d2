"""The peers Careplane's benchmarks compare against, each started reproducibly in its own
environment (see helpdesk_peer.py)."""
