"""The scholarly apparatus every edition shares: citations, the index, the imprint."""
