"""The point-of-sale core: models and business rules. No request, no HTML, nothing of ours imported."""
