"""Feature requests and ideas: a feature-request case routed to sales (paid customization)
or to development (an idea for every user), ideas with their votes, planned and shipped."""
