"""Mail into Careplane: the SMTP listener and the webhook store raw messages; the intake
worker parses them, threads replies into their cases, opens cases for registered contacts,
quarantines what it must not trust, and recognises bounces (docs/email.md)."""
