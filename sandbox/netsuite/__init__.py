"""Emulated NetSuite REST web services: record API, SuiteQL, record types and seed."""
