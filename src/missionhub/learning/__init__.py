"""Shared learning: case studies, reusable components, search over everything the platform
knows (projects, case studies, components, imported inventories), similar-project detection,
importers of public AI inventories and exports."""
