"""Imported once by the forkserver of the reading processes (analytics.ingest.sandbox): the reader, its libraries,
and what they load on first use (pyarrow's conversions import more on the first table), so that every read's child
process starts warm: a fork, not a second of imports.
"""
from analytics.ingest import read

try:
    read.warm_up()
except Exception:  # noqa: BLE001 - a cold child is slower, never wrong: the forkserver must start whatever happens
    pass
