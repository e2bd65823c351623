"""Emulated Salesforce org: REST API, SOQL, the object model and its seed (Certinia PSA objects included)."""
