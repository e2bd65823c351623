"""Emulated Dynamics 365 Business Central API v2.0 (served under /dynamics): routes, OData, schema, seed."""
