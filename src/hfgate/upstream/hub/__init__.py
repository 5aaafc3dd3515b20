"""The Hub's APIs used at create: model info and the Inference Endpoints management API."""
