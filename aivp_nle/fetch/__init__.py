"""Collecting finished generations: resumable downloads (download), the services' task APIs
(services), waiting and fetching (tasks), the project's pending jobs (jobs), callbacks (webhook)."""
