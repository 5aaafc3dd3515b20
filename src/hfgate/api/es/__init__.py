"""The Elasticsearch-shaped face: ``_inference`` routes, request parsing, result shapes, errors."""
