"""The events tickets' mail listener sends notify: ``mail.unknown_sender`` (answer a
stranger politely) and ``mail.bounced`` (a mail of ours came back)."""
