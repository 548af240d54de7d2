"""Webhook endpoints, the delivery record (with every attempt), resend and recovery, and chat
channels: the notify service's REST API as GraphQL. Notify judges every call itself: staff see
everything, a customer's administrators and integration keys their own customer's."""
