"""OpenAI's Files and Batches: files in a store, batches run line by line by a runner inside each replica.

One concept per module: :mod:`~hfgate.batches.files` (a file's bytes on disk, its metadata in the registry),
:mod:`~hfgate.batches.input` (a batch input file read and checked line by line),
:mod:`~hfgate.batches.store` (a batch's row and its lines' rows), :mod:`~hfgate.batches.claims` (lines claimed
in chunks under a lease, each result written once), :mod:`~hfgate.batches.calls` (one line sent through the
app itself, as its key), :mod:`~hfgate.batches.runner` (the loop that claims, runs, records and finalizes) and
:mod:`~hfgate.batches.shapes` (OpenAI's objects).
"""
