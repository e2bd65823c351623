"""Polling and schedule triggers: the persisted cursor per trigger node and the beat task that polls."""
