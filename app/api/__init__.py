"""The HTTP surface: routers (one per resource), the dependencies they share (pages, filters,
formats, keys), and what wraps every answer (errors as problem+json, headers, ETags,
compression, HEAD/OPTIONS, limits, the response cache, logs, the offline docs)."""
