"""Members: accounts, collections, subscriptions and digests, recommendations, curation."""
