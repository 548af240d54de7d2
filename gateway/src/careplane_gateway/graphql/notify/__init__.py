"""Webhook endpoints, the delivery record (with every attempt), resend and recovery, chat
channels, lifecycle announcements and maintenance windows, contacts' mail preferences, case
watchers and the staff digest: the notify service's REST API as GraphQL. Notify judges every
call itself: staff see everything, a customer's administrators and integration keys their own
customer's."""
