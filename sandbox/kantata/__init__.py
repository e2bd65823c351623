"""Emulated Kantata OX (Mavenlink) API v1: routes, collections and seed."""
