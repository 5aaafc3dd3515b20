"""In-process sentence embeddings: engine choice, the torch and ONNX engines, tokens and pooling."""
