"""Leak reports: trackers that escaped the gate on real visits, as sampled banners saw them."""
