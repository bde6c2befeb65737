"""Tests of the scheduler, the run queue and freshness."""
