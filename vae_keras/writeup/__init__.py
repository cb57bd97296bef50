"""The writeup machinery: the claims ledger and its words (more of the writeup wing moves here).

This wing uses the library (``vae_keras.data``, ``models``, ``train``, ``evaluate``, ...); the library
never imports it.
"""
