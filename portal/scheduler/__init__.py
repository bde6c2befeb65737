"""The scheduler process (`portal scheduler`): cron schedules, the run queue, one active leader."""
