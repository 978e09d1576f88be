"""Code intelligence: repo map and host tools for guest code."""
