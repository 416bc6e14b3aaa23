"""Sharing Mare's picture with other systems in their exchange models (CISE first)."""
