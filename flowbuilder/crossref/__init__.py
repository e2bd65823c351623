"""Cross-reference store: which record in system B is the same customer/project/invoice as one in A."""
