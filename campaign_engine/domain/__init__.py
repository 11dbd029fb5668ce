"""Decisions and invariants, as named verbs (`sign_action`, `confirm_signature`, ...).

Imports `db/`, `models`, `jobs`, `tokens` and `i18n`; never starlette, arq, aiosmtplib or twilio.
"""
