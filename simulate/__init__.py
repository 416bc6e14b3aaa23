"""Synthetic central-Mediterranean AIS traffic with truth labels (`mare simulate`)."""
