"""Where and how models run: the runtime rules, ONNX Runtime, bundled weights, the Hub."""
