"""The caseworker workspace (issue #5): dashboard, person, institution and search pages under /ws/. The
review queue, item and appeal pages are review.workspace's, in the same "workspace" URL namespace
(config/urls.py). Reads go through review.selectors; who may do what is decided by claims.permissions."""
