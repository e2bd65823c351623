"""Emulated Salesforce (with Certinia PSA objects), Kantata OX, NetSuite and Business Central APIs.

One stdlib HTTP process serves all systems under per-system prefixes; state lives in SQLite under a data
directory. See README.md for the CLI, the URL layout and where each thing lives. Imports nothing of
flowbuilder, connectors or Django, and nothing there imports it (.importlinter).
"""
