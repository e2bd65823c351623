"""The sandbox's authorization servers: one engine (server.py) that each system's AuthProfile configures
with what the real system documents (grants, client authentication, scopes, token lifetimes, response and
error shapes, how the tenant is named). See sandbox/README.md, "Auth", for every endpoint and answer."""
