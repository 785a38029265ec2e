"""Background jobs: a queue in the application's own database (``job_run``), a worker
that runs it with retries, and a schedule (APScheduler cron triggers) that puts the
periodic jobs on it. See README "Run it for a province" and docs/OPERATIONS.md.

- ``queue``: enqueue (idempotent per name and key), claim (``FOR UPDATE SKIP LOCKED``
  on PostgreSQL, so several workers never take the same job), run, retry with backoff.
- ``tasks``: the jobs themselves, each idempotent.
- ``schedule``: when each periodic job runs; ``motcua jobs scheduler`` in production,
  in-process in the demo (SQLite) together with the worker.
"""
