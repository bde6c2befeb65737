"""The publishing pipeline: fetch → normalise → validate → guard → stage a candidate."""
