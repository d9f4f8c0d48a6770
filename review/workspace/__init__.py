"""The review pages of the caseworker workspace (issue #5): the review queue, the suspect item page with
its confirm and dismiss actions, and the appeals with their decision, under /ws/ in the "workspace" URL
namespace (config/urls.py mounts them beside the claims workspace pages). Reads go through
review.selectors, verbs through review.services; who may do what is decided by claims.permissions."""
