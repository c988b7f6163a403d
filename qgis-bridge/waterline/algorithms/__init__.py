"""Processing algorithms of the Waterline provider."""
