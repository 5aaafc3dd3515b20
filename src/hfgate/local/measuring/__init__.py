"""Choosing a local model's engine by measurement: one core that each kind (embedding, generation) plugs
its candidates into.

``choice`` reads the choice kept for a model on this kind of CPU, or measures one (``recorded_choice``,
``measure_choice``, ``choose``), and measures a choice made on a busy machine again; ``record`` is the
choice as kept on disk (JSON) and shown by ``GET _inference``; ``child`` runs the measuring process (and
the ONNX exports) and ``worker`` is what every measuring process does alike (arguments, each candidate
loaded apart, fidelity, timing, the pick written); ``rounds`` times candidates in interleaved rounds;
``fidelity`` compares a candidate with the exact reference; ``load`` is the load a measurement ran
under; ``switch`` lets a model serve on its exact default engine while it is measured, then switch.

A kind says what its candidates are and how one is loaded and timed: ``local/embedding/engine_choice.py``
and ``engine_measure_worker.py`` (texts/s, cosine of vectors), ``local/generation/engine_choice.py`` and
``engine_measure_worker.py`` (tokens/s, cosine of next-token logits).
"""
