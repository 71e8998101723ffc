"""Imported once by the forkserver of the reading processes (analytics.ingest.sandbox): the reader, its libraries,
and what they load on first use (pyarrow's conversions import more on the first table), so that every read's child
process starts warm: a fork, not a second of imports.
"""
from analytics.ingest import read

read.warm_up()
