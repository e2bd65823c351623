"""Emulated Salesforce (with Certinia PSA objects), Kantata OX, NetSuite and Business Central APIs.

One stdlib HTTP process serves all systems under per-system prefixes; state lives in SQLite under a data
directory. See README.md for the CLI and URL layout. Never imports django or flowbuilder.
"""
