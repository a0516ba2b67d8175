"""Pure, frozen domain values: channels, policies, forwards, graphs, statistics and decisions.

Nothing in this package does I/O or imports an I/O library.
"""
