"""Community feedback: comments on datasets, resident surveys and the trust index from them."""
