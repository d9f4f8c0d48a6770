"""The smart-audit review (issue #5) as an app of its own: models, services, selectors, admin, API, workspace pages."""
