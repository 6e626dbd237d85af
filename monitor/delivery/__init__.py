"""Telling people: Slack alerts through an exactly-once outbox, and the weekly email digest.

* ``outbox``: transitions -> outbox messages, written in the same transaction (grouped so one
  evaluation never floods a channel).
* ``slack_messages``: Block Kit for a group of findings, with document text escaped.
* ``slack_sender``: routes messages to channels, claims deliveries, sends them with slack-sdk,
  records every attempt, retries, dead-letters, and recovers from a crash without duplicates.
* ``digest_build`` / ``digest_send``: the weekly digest's content, its rendering and its
  exactly-once sending per ISO week.

Only the command line reads the clock: everything here takes ``now`` or a ``clock``.
"""
