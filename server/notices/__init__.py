"""Notices to citizens about their dossier: by SMS (a Vietnamese gateway's HTTP API),
e-mail (SMTP) and optionally Zalo (official-account template messages, ZNS).

Only for dossiers whose citizen agreed at intake (``notify_consent``). ``events``
decides what to tell (result ready, supplement needed, a new date after an apology),
``text`` words it, ``providers`` delivers it, ``dispatch`` queues, retries and logs
each message with its delivery state (table ``notice``).
"""
