"""The caseworker workspace (issue #5): dashboard, review queue, item page, appeals, person,
institution and search pages under /ws/. Reads go through claims.review_selectors, verbs through
claims.review; who may do what is decided by claims.permissions."""
