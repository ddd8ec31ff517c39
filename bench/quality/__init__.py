"""Quality: what the product gets right, on real people's recordings and on synthetic speech, each named as
what it is."""
