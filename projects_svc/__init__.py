"""Projects context: projects, teams and resources (to be built)."""
