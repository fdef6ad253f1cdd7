"""Community: campaign updates (and, later, comments and followers)."""
