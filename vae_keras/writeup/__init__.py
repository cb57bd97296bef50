"""The writeup machinery: notebooks run (``runner``), judged (``claims``), rendered (``report``), published
(``publish``) and followed (``progress``), with their catalogue, results and words.

This wing uses the library (``vae_keras.data``, ``models``, ``train``, ``evaluate``, ...); the library never
imports it, but for one door: ``vae_keras.cli`` hands ``run``, ``progress`` and ``publish`` to ``commands``
(ARCHITECTURE.md, "Two wings, one door").
"""
