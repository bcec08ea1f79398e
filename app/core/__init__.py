"""The kit under every domain: access, audit, imports/exports, Celery, time, security. Imports no domain."""
