"""Decisions and invariants, as named verbs (`sign_action`, `confirm_signature`, ...), grouped
by capability. May import: db/, models, jobs, security, formats, i18n; never web/, starlette,
arq, aiosmtplib or twilio."""
