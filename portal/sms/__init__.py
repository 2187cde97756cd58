"""SMS both ways over SMPP (docs/sms.md).

Notices leave the outbox (portal/applications/notices.py) through
:class:`portal.sms.smpp.SmppSender`; delivery receipts and the messages people
send (``ESTADO <folio>``, ``BAJA``) arrive at the long-running receiver
(``flask sms-receiver``, :mod:`portal.sms.receiver`) and are handled by
:mod:`portal.sms.inbound`. :mod:`portal.sms.encoding` decides how a text fits
in SMS segments; :mod:`portal.sms.quota` keeps the per-number counters.
"""
