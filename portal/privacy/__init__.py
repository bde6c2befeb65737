"""Privacy rules every published cell passes: never-publish, coarsening, suppression, scrubbing."""
