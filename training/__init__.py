"""Train the sentiment head on frozen encoder features, select on dev, evaluate on test, plot."""
